"""Writes of the coops domain: keyword-only, atomic, coop passed in, audited."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coopculture.coops.errors import CoopError
from coopculture.coops.models import Activity, AuditEvent, Coop, Invitation, Membership, Role
from coopculture.coops.scoping import coop_scope, ensure_same_coop
from coopculture.coops.selectors import INVITATION_SALT
from coopculture.coops.signals import coop_settings_changed

SETTINGS_FIELDS = (
    "name",
    "legal_form",
    "activities",
    "main_colour",
    "contact_email",
    "contact_phone",
    "postal_address",
    "website",
    "retention_years",
    "tracks_ag_email_consent",
)


def audit_log(*, coop: Coop, actor, action: str, data: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        coop=coop,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        data=data or {},
    )


def _clean_activities(activities) -> list[str]:
    valid = set(Activity.values)
    unknown = [a for a in activities if a not in valid]
    if unknown:
        raise CoopError(_("Unknown activity: %(names)s.") % {"names": ", ".join(unknown)})
    return [a for a in Activity.values if a in set(activities)]


@transaction.atomic
def coop_create(
    *,
    actor,
    name: str,
    slug: str,
    legal_form: str,
    activities: list[str],
    contact_email: str = "",
    main_colour: str | None = None,
    first_admin_email: str = "",
) -> Coop:
    coop = Coop(
        name=name.strip(),
        slug=slug,
        legal_form=legal_form,
        activities=_clean_activities(activities),
        contact_email=contact_email,
    )
    if main_colour:
        coop.main_colour = main_colour
    coop.full_clean()
    coop.save()
    with coop_scope(coop):
        audit_log(coop=coop, actor=actor, action="coop.created", data={"name": coop.name})
        if first_admin_email:
            invitation_create(coop=coop, actor=actor, email=first_admin_email, role=Role.ADMIN)
    return coop


@transaction.atomic
def coop_update_settings(*, coop: Coop, actor, data: dict, logo=None, remove_logo=False) -> Coop:
    """Apply the changed profile fields; compares with the stored row, not with `coop`
    (a ModelForm validated on `coop` has already copied its data onto it)."""
    stored = Coop.objects.select_for_update().get(pk=coop.pk)
    changed = []
    for field in SETTINGS_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "activities":
            value = _clean_activities(value)
        if getattr(stored, field) != value:
            setattr(stored, field, value)
            changed.append(field)
    old_logo = stored.logo.name if stored.logo else ""
    if logo is not None:
        stored.logo = logo
        changed.append("logo")
    elif remove_logo and stored.logo:
        stored.logo = ""
        changed.append("logo")
    if not changed:
        return stored
    stored.full_clean()
    stored.save(update_fields=[*changed, "updated_at"])
    if "logo" in changed and old_logo:
        storage = stored.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    audit_log(coop=stored, actor=actor, action="coop.settings_changed", data={"fields": changed})
    coop_settings_changed.send(sender=Coop, coop=stored, fields=changed)
    return stored


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(str(invitation.public_id), salt=INVITATION_SALT)


def invitation_url(invitation: Invitation) -> str:
    from django.urls import reverse

    path = reverse("invitation-accept", kwargs={"token": invitation_token(invitation)})
    return settings.SITE_URL.rstrip("/") + path


@transaction.atomic
def invitation_create(*, coop: Coop, actor, email: str, role: str) -> Invitation:
    email = get_user_model().objects.normalize_email(email).strip().lower()
    if role not in Role.values:
        raise CoopError(_("Choose a role from the list."))
    if Membership.objects.filter(coop=coop, user__email__iexact=email).exists():
        raise CoopError(_("%(email)s is already in this coop's team.") % {"email": email})
    now = timezone.now()
    # A new invitation to the same address replaces the pending one.
    Invitation.objects.filter(
        coop=coop, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    invitation = Invitation.objects.create(
        coop=coop,
        email=email,
        role=role,
        invited_by=actor if actor is not None and actor.is_authenticated else None,
        expires_at=now + settings.INVITATION_VALIDITY,
    )
    audit_log(coop=coop, actor=actor, action="team.invited", data={"email": email, "role": role})

    from coopculture.coops.tasks import send_invitation_email_task

    transaction.on_commit(
        lambda: send_invitation_email_task.enqueue(coop_id=coop.pk, invitation_id=invitation.pk)
    )
    return invitation


def invitation_send_email(*, coop: Coop, invitation: Invitation) -> bool:
    """Mail the invitation link; False when it is no longer pending (nothing sent)."""
    from coopculture.core.mail import send_transactional_email

    ensure_same_coop(coop, invitation)
    if not invitation.is_pending:
        return False
    send_transactional_email(
        "coops/email/invitation",
        to=[invitation.email],
        context={
            "coop": coop,
            "invitation": invitation,
            "role": invitation.get_role_display(),
            "inviter": invitation.invited_by,
            "url": invitation_url(invitation),
        },
    )
    return True


@transaction.atomic
def invitation_revoke(*, coop: Coop, actor, invitation: Invitation) -> None:
    ensure_same_coop(coop, invitation)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise CoopError(_("This invitation is no longer pending."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_log(
        coop=coop, actor=actor, action="team.invitation_revoked", data={"email": invitation.email}
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Join the team: the invitation must be pending and addressed to one of the verified
    addresses of `user` (an address attached without proof never counts)."""
    from coopculture.accounts.selectors import user_has_verified_email

    coop = invitation.coop
    with coop_scope(coop):
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise CoopError(_("This invitation has already been used."))
        if invitation.revoked_at is not None:
            raise CoopError(_("This invitation has been cancelled by the coop."))
        if invitation.is_expired:
            raise CoopError(_("This invitation has expired. Ask the coop for a new one."))
        if not user_has_verified_email(user=user, email=invitation.email):
            raise CoopError(
                _("This invitation was sent to %(email)s, not to the account you are using.")
                % {"email": invitation.email}
            )
        membership, created = Membership.objects.get_or_create(
            coop=coop, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        audit_log(
            coop=coop,
            actor=user,
            action="team.joined",
            data={"email": user.email, "role": membership.role, "new": created},
        )
    return membership


def user_create_from_invitation(*, invitation: Invitation, full_name: str, password: str):
    """A staff account for the invited address (the emailed link proved it is theirs)."""
    from allauth.account.models import EmailAddress

    user_model = get_user_model()
    with transaction.atomic():
        user = user_model.objects.create_user(
            email=invitation.email, password=password, full_name=full_name.strip()
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        invitation_accept(invitation=invitation, user=user)
    return user


def _ensure_an_admin_remains(*, coop: Coop, leaving: Membership) -> None:
    if leaving.role != Role.ADMIN:
        return
    others = Membership.objects.filter(coop=coop, role=Role.ADMIN).exclude(pk=leaving.pk)
    if not others.exists():
        raise CoopError(_("The coop must keep at least one administrator. Name another one first."))


@transaction.atomic
def membership_change_role(*, coop: Coop, actor, membership: Membership, role: str) -> Membership:
    ensure_same_coop(coop, membership)
    if role not in Role.values:
        raise CoopError(_("Choose a role from the list."))
    if role == membership.role:
        return membership
    if role != Role.ADMIN:
        _ensure_an_admin_remains(coop=coop, leaving=membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_log(
        coop=coop,
        actor=actor,
        action="team.role_changed",
        data={"email": membership.user.email, "from": old, "to": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, coop: Coop, actor, membership: Membership) -> None:
    ensure_same_coop(coop, membership)
    _ensure_an_admin_remains(coop=coop, leaving=membership)
    email = membership.user.email
    membership.delete()
    audit_log(coop=coop, actor=actor, action="team.removed", data={"email": email})
