"""The federation's space: every coop, and the creation of new ones."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from coopculture.coops import selectors, services
from coopculture.coops.errors import CoopError
from coopculture.coops.forms import CoopCreateForm
from coopculture.coops.views.decorators import federation_required


@federation_required
def index(request):
    return render(
        request, "coops/federation/index.html", {"coops": selectors.coop_list_for_federation()}
    )


@federation_required
def coop_create(request):
    form = CoopCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            coop = services.coop_create(
                actor=request.user,
                name=data["name"],
                slug=data["slug"],
                legal_form=data["legal_form"],
                activities=data["activities"],
                contact_email=data["contact_email"],
                first_admin_email=data["first_admin_email"],
            )
        except CoopError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The coop %(name)s is created.") % {"name": coop.name})
            return redirect("federation:index")
    return render(request, "coops/federation/coop_create.html", {"form": form})
