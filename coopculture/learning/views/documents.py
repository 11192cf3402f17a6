"""PDF documents of the learning path: a module's leaflet (plaquette) and attendance
certificates (attestations de suivi), printed through core.pdf.

Certificates are earned per coop: only what this learner completed in this coop's space
counts. The name typed on the form is printed and never stored.
"""

from django.conf import settings
from django.db.models import Min, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from coopculture.core.pdf import pdf_response, render_pdf
from coopculture.learning import leaflets, learners, selectors
from coopculture.learning.forms_documents import CertificateNameForm
from coopculture.learning.models import EventKind, LearningEvent

# --- Reads ------------------------------------------------------------------------------


def completion_dates(*, coop, learner_key, user, module_ids) -> dict:
    """When this learner first completed each module in `coop` (module id -> datetime)."""
    who = Q(learner_key=learner_key) if learner_key else Q(pk__in=[])
    if user is not None and user.is_authenticated:
        who |= Q(user=user)
    rows = (
        LearningEvent.objects.filter(
            who, coop=coop, kind=EventKind.MODULE_COMPLETED, module_id__in=list(module_ids)
        )
        .values("module_id")
        .annotate(completed_at=Min("created_at"))
    )
    return {row["module_id"]: row["completed_at"] for row in rows}


def _learner(request):
    learner_key = learners.learner_key_for(request, create=False)
    progress = selectors.learner_progress(
        coop=request.coop, learner_key=learner_key, user=request.user
    )
    return learner_key, progress


def _lang() -> str:
    return (get_language() or "fr").split("-")[0]


# --- Leaflet ----------------------------------------------------------------------------


@require_safe
def leaflet(request, coop_slug, module_slug, position):
    coop = request.coop
    filename, pdf, fingerprint = leaflets.leaflet_pdf_cached(
        coop=coop,
        module_slug=module_slug,
        position=position,
        # SITE_URL, as every printed link: not the host this download came through.
        coop_url=settings.SITE_URL.rstrip("/")
        + reverse("learning:home", kwargs={"coop_slug": coop.slug}),
        lang=_lang(),
    )
    response = pdf_response(pdf, filename)
    response["ETag"] = f'"{fingerprint}"'
    return response


# --- Attendance certificates ------------------------------------------------------------


def _certificate_pdf(request, *, name, entries, item=None):
    coop = request.coop
    if item is not None:
        title = _("Attendance certificate: %(module)s") % {"module": item.module.title}
        filename = f"attestation-{item.module.slug}.pdf"
    else:
        title = _("Attendance certificate: the Culture Coop' learning path")
        filename = "attestation-parcours-culture-coop.pdf"
    pdf = render_pdf(
        "learning/pdf/certificate.html",
        {
            "coop": coop,
            "name": name,
            "item": item,
            "entries": entries,
            "total_minutes": sum(entry["module"].duration_minutes for entry in entries),
            "issued_on": timezone.localdate(),
        },
        title=title,
        lang=_lang(),
    )
    response = pdf_response(pdf, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def _certificate_page(request, context, *, form=None):
    return render(request, "learning/documents/certificate.html", {"form": form, **context})


@never_cache
@require_http_methods(["GET", "POST"])
def certificate_module(request, coop_slug, module_slug):
    coop = request.coop
    item = selectors.access_coop_module(coop=coop, slug=module_slug)
    module = item.module
    learner_key, progress = _learner(request)
    context = {
        "item": item,
        "page_title": _("Attendance certificate: %(module)s") % {"module": module.title},
    }
    if module.pk not in progress.completed:
        return _certificate_page(
            request,
            {
                **context,
                "earned": False,
                "started": module.pk in progress.started,
                "activities_left": [
                    {
                        "activity": activity,
                        "state": selectors.activity_state(activity, progress),
                        "score": progress.scores.get(activity.pk),
                    }
                    for activity in selectors.activities_left(module.steps.all(), progress)
                ],
            },
        )
    form = CertificateNameForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        dates = completion_dates(
            coop=coop, learner_key=learner_key, user=request.user, module_ids=[module.pk]
        )
        entries = [{"module": module, "completed_at": dates.get(module.pk)}]
        return _certificate_pdf(request, name=form.cleaned_data["name"], entries=entries, item=item)
    return _certificate_page(request, {**context, "earned": True}, form=form)


@never_cache
@require_http_methods(["GET", "POST"])
def certificate_parcours(request, coop_slug):
    coop = request.coop
    learner_key, progress = _learner(request)
    items = sorted(
        selectors.coop_module_list(coop=coop),
        key=lambda item: (item.module.position, item.module.pk),
    )
    required = selectors.path_required(items)
    missing = [item for item in required if item.module.pk not in progress.completed]
    context = {"page_title": _("Attendance certificate: the Culture Coop' learning path")}
    if not required or missing:
        return _certificate_page(
            request,
            {
                **context,
                "earned": False,
                "parcours": True,
                "modules_missing": [
                    {"item": item, "state": progress.module_state(item.module)} for item in missing
                ],
                "modules_done": len(required) - len(missing),
                "modules_required": len(required),
            },
        )
    form = CertificateNameForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        done = [item for item in items if item.module.pk in progress.completed]
        dates = completion_dates(
            coop=coop,
            learner_key=learner_key,
            user=request.user,
            module_ids=[item.module.pk for item in done],
        )
        entries = [
            {"module": item.module, "completed_at": dates.get(item.module.pk)} for item in done
        ]
        return _certificate_pdf(request, name=form.cleaned_data["name"], entries=entries)
    return _certificate_page(
        request,
        {**context, "earned": True, "parcours": True, "modules_required": len(required)},
        form=form,
    )
