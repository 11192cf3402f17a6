"""The federation builds every active coop's kit in one batch (one task per coop)."""

from django_scopes import scopes_disabled

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from coopculture.coops.views.decorators import federation_required
from coopculture.kit import print_services
from coopculture.kit.models import BuildStatus, KitBatch, KitBuild

BATCHES_SHOWN = 10


@never_cache
@require_http_methods(["GET", "POST"])
@federation_required
def batch_list(request):
    if request.method == "POST":
        batch = print_services.kit_batch_request(actor=request.user)
        messages.info(request, _("The kits of every active coop are being prepared."))
        return redirect("kit_federation:batch", batch_id=batch.public_id)
    batches = list(
        KitBatch.objects.select_related("requested_by").order_by("-created_at")[:BATCHES_SHOWN]
    )
    progress = print_services.batches_progress(batches)
    rows = [{"batch": batch, "progress": progress[batch.pk]} for batch in batches]
    return render(request, "kit/print/federation_batches.html", {"rows": rows})


@never_cache
@require_safe
@federation_required
def batch_detail(request, batch_id):
    batch = KitBatch.objects.filter(public_id=batch_id).select_related("requested_by").first()
    if batch is None:
        raise Http404
    with scopes_disabled():
        failures = list(
            KitBuild.objects.filter(batch=batch, status=BuildStatus.FAILED)
            .select_related("coop")
            .order_by("coop__name")
        )
    context = {
        "batch": batch,
        "progress": print_services.batch_progress(batch),
        "failures": failures,
    }
    if request.headers.get("HX-Request"):
        return render(request, "kit/print/_batch_status.html", context)
    return render(request, "kit/print/federation_batch.html", context)
