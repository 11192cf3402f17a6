"""Reads. Coop-owned reads take the coop and run inside its scope."""

from django_scopes import scopes_disabled

from django.core import signing
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from coopculture.coops.models import AuditEvent, Coop, Invitation, Membership

INVITATION_SALT = "coops.invitation"


def coop_get_active(*, slug: str) -> Coop | None:
    return Coop.objects.filter(slug=slug, is_active=True).first()


def coop_list_public() -> list[Coop]:
    return list(Coop.objects.filter(is_active=True).order_by("name"))


def coop_list_for_federation() -> list[Coop]:
    """Every coop with its team size (federation space only: aggregates, no personal data)."""
    with scopes_disabled():
        sizes = dict(Membership.objects.values_list("coop_id").annotate(n=Count("id")).order_by())
    coops = list(Coop.objects.order_by("name"))
    for coop in coops:
        coop.team_size = sizes.get(coop.pk, 0)
    return coops


def coop_list_for_user(*, user) -> list[tuple[Coop, str]]:
    """The coops whose back office `user` may open, with their role there."""
    with scopes_disabled():
        memberships = Membership.objects.filter(user=user, coop__is_active=True).select_related(
            "coop"
        )
        return [(m.coop, m.get_role_display()) for m in memberships.order_by("coop__name")]


def membership_for_user(*, coop: Coop, user) -> Membership | None:
    return Membership.objects.filter(coop=coop, user=user).first()


def membership_list(*, coop: Coop) -> list[Membership]:
    return list(
        Membership.objects.filter(coop=coop).select_related("user").order_by("role", "user__email")
    )


def access_membership(*, coop: Coop, public_id) -> Membership:
    membership = (
        Membership.objects.filter(coop=coop, public_id=public_id).select_related("user").first()
    )
    if membership is None:
        raise Http404
    return membership


def invitation_list_pending(*, coop: Coop) -> list[Invitation]:
    return list(
        Invitation.objects.filter(
            coop=coop, accepted_at__isnull=True, revoked_at__isnull=True
        ).select_related("invited_by")
    )


def access_invitation(*, coop: Coop, public_id) -> Invitation:
    invitation = Invitation.objects.filter(coop=coop, public_id=public_id).first()
    if invitation is None:
        raise Http404
    return invitation


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation a signed link points to, whatever its coop (the signature is the key)."""
    try:
        public_id = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        return None
    with scopes_disabled():
        return Invitation.objects.filter(public_id=public_id).select_related("coop").first()


def dashboard_summary(*, coop: Coop) -> dict:
    now = timezone.now()
    counts = Membership.objects.filter(coop=coop).aggregate(
        team=Count("id"),
        admins=Count("id", filter=Q(role="admin")),
    )
    pending = Invitation.objects.filter(
        coop=coop, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).count()
    return {"team_size": counts["team"], "admins": counts["admins"], "pending_invitations": pending}


def dashboard_cards(*, coop: Coop) -> list:
    """The cards of the feature apps (coops.dashboard), their figures read in one query
    scoped to `coop`, whatever the data size."""
    from coopculture.coops import dashboard

    cards = dashboard.registered_cards()
    expressions = {
        f"{card.key}_{name}": expression
        for card in cards
        for name, expression in card.figures(coop).items()
    }
    values = Coop.objects.filter(pk=coop.pk).values(**expressions).get() if expressions else {}
    views = []
    for card in cards:
        prefix = f"{card.key}_"
        own = {key.removeprefix(prefix): v for key, v in values.items() if key.startswith(prefix)}
        views.append(card.present(coop, own))
    return views


def audit_event_list(*, coop: Coop, limit: int = 200) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(coop=coop).select_related("actor")[:limit])
