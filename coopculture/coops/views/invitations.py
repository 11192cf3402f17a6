"""Accepting an invitation to a coop's team, from the link in the email."""

from allauth.account.internal.flows.login import record_authentication

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from coopculture.accounts import selectors as account_selectors
from coopculture.coops import selectors, services
from coopculture.coops.errors import CoopError
from coopculture.coops.forms import InvitationAcceptForm

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _problem(invitation) -> str | None:
    if invitation.accepted_at is not None:
        return _("This invitation has already been used. Sign in to reach the coop's space.")
    if invitation.revoked_at is not None:
        return _("This invitation has been cancelled by the coop.")
    if invitation.is_expired:
        return _("This invitation has expired. Ask the coop's administrator for a new one.")
    return None


@never_cache
def accept(request, token):
    invitation = selectors.invitation_get_by_token(token=token)
    if invitation is None:
        return render(request, "coops/invitation_invalid.html", status=404)
    coop = invitation.coop
    context = {"invitation": invitation, "invited_coop": coop}
    problem = _problem(invitation)
    if problem:
        context["problem"] = problem
        return render(request, "coops/invitation_accept.html", context, status=410)

    user = request.user
    dashboard = reverse("staff:dashboard", kwargs={"coop_slug": coop.slug})
    if user.is_authenticated:
        if not account_selectors.user_has_verified_email(user=user, email=invitation.email):
            # Only the proven owner of the invited address may join: an address added to
            # an account without proof does not count (account pre-hijacking).
            context["wrong_account"] = True
            return render(request, "coops/invitation_accept.html", context, status=403)
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=user)
            except CoopError as error:
                context["problem"] = error.message
                return render(request, "coops/invitation_accept.html", context, status=410)
            messages.success(request, _("Welcome to the team of %(coop)s.") % {"coop": coop.name})
            if not user.has_usable_password():
                messages.info(request, _("Choose a password to sign in to the coop's space."))
                return redirect("account_set_password")
            return redirect(dashboard)
        return render(request, "coops/invitation_accept.html", context)

    user_model = get_user_model()
    if (
        user_model.objects.filter(email__iexact=invitation.email).exists()
        or account_selectors.user_by_verified_email(email=invitation.email) is not None
    ):
        context["login_url"] = (
            reverse("account_login") + "?next=" + reverse("invitation-accept", args=[token])
        )
        return render(request, "coops/invitation_accept.html", context)

    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            new_user = services.user_create_from_invitation(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except CoopError as error:
            form.add_error(None, error.message)
        else:
            login(request, new_user, backend=LOGIN_BACKEND)
            # The emailed link proved the address and the person just chose the password:
            # the session counts as signed in with it (accounts.middleware).
            record_authentication(request, new_user, "password", email=new_user.email)
            messages.success(
                request,
                _(
                    "Welcome to the team of %(coop)s. We advise you to turn on two-step "
                    "verification in your account."
                )
                % {"coop": coop.name},
            )
            return redirect(dashboard)
    context["form"] = form
    return render(request, "coops/invitation_accept.html", context)
