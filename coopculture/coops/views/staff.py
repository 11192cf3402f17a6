"""The coop team's back office, under /gestion/<coop_slug>/ (the middleware has resolved
the coop, checked the role and opened the scope)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coopculture.coops import audit as audit_display
from coopculture.coops import selectors, services
from coopculture.coops.errors import CoopError
from coopculture.coops.forms import CoopSettingsForm, InvitationForm, RoleForm
from coopculture.coops.permissions import request_has_permission
from coopculture.coops.views.decorators import coop_permission_required


@coop_permission_required("coop.view_dashboard")
def dashboard(request, coop_slug):
    summary = selectors.dashboard_summary(coop=request.coop)
    cards = [
        (card, [a for a in card.actions if request_has_permission(request, a.permission)])
        for card in selectors.dashboard_cards(coop=request.coop)
    ]
    return render(request, "coops/staff/dashboard.html", {"summary": summary, "cards": cards})


@coop_permission_required("coop.change_settings")
def coop_settings(request, coop_slug):
    coop = request.coop
    form = CoopSettingsForm(request.POST or None, request.FILES or None, instance=coop, initial={})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in services.SETTINGS_FIELDS}
        try:
            services.coop_update_settings(
                coop=coop,
                actor=request.user,
                data=data,
                logo=form.cleaned_data.get("logo"),
                remove_logo=form.cleaned_data.get("remove_logo", False),
            )
        except CoopError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The coop's settings are saved."))
            return redirect("staff:settings", coop_slug=coop.slug)
    if request.method == "POST":
        coop.refresh_from_db()
    return render(request, "coops/staff/settings.html", {"form": form})


@coop_permission_required("coop.manage_team")
def team(request, coop_slug):
    coop = request.coop
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                coop=coop,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except CoopError as error:
            form.add_error("email", error.message)
        else:
            messages.success(
                request,
                _("An invitation has been sent to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("staff:team", coop_slug=coop.slug)
    return render(
        request,
        "coops/staff/team.html",
        {
            "form": form,
            "memberships": selectors.membership_list(coop=coop),
            "invitations": selectors.invitation_list_pending(coop=coop),
            "role_form": RoleForm(),
        },
    )


@require_POST
@coop_permission_required("coop.manage_team")
def invitation_revoke(request, coop_slug, invitation_id):
    invitation = selectors.access_invitation(coop=request.coop, public_id=invitation_id)
    try:
        services.invitation_revoke(coop=request.coop, actor=request.user, invitation=invitation)
    except CoopError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The invitation to %(email)s is cancelled.") % {"email": invitation.email}
        )
    return redirect("staff:team", coop_slug=request.coop.slug)


@require_POST
@coop_permission_required("coop.manage_team")
def membership_role(request, coop_slug, membership_id):
    membership = selectors.access_membership(coop=request.coop, public_id=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role from the list."))
    else:
        try:
            services.membership_change_role(
                coop=request.coop,
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
            )
        except CoopError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(name)s is now %(role)s.")
                % {"name": membership.user, "role": membership.get_role_display().lower()},
            )
    return redirect("staff:team", coop_slug=request.coop.slug)


@require_POST
@coop_permission_required("coop.manage_team")
def membership_remove(request, coop_slug, membership_id):
    membership = selectors.access_membership(coop=request.coop, public_id=membership_id)
    try:
        services.membership_remove(coop=request.coop, actor=request.user, membership=membership)
    except CoopError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(name)s no longer belongs to the team.") % {"name": membership.user}
        )
        if membership.user_id == request.user.pk:
            return redirect("spaces")
    return redirect("staff:team", coop_slug=request.coop.slug)


@coop_permission_required("coop.view_audit")
def audit(request, coop_slug):
    rows = [
        {
            "event": event,
            "label": audit_display.label(event),
            "details": audit_display.describe(event),
        }
        for event in selectors.audit_event_list(coop=request.coop)
    ]
    return render(request, "coops/staff/audit.html", {"rows": rows})
