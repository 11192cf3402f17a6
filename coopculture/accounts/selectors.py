"""Reads about accounts: who an address signs in to, and what a session must prove.

Both are decided on every use from the database, never cached in the session: a role
gained or lost, an address added or verified, takes effect on the next request.
"""

from allauth.account.authentication import get_authentication_records
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from django.contrib.auth import get_user_model

# What a session of a user must have proven (docs/decisions/0003-accounts.md).
MEMBER = "member"  # an emailed code is enough
PASSWORD = "password"  # noqa: S105 (a level, not a secret) coop editors and facilitators: their password
TOTP = "totp"  # coop administrators, the federation, Django admin users: password and TOTP

ADMIN_ROLE = "admin"  # coops.Role.ADMIN (not imported: coops depends on accounts)


def user_by_verified_email(*, email: str):
    """The active account holding `email` as a verified address, or None.

    An address someone added to their account without proving it never counts: it must
    not open that account to the mailbox owner (account pre-hijacking).
    """
    email = (email or "").strip().lower()
    if not email:
        return None
    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=True, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return address.user if address is not None else None


def user_for_code_sign_in(*, email: str):
    """The account a sign-in code for `email` opens, or None.

    The account holding the address verified; otherwise an account created for this very
    address by a code request and never used yet (its own address, not yet proven: the
    code proves it). An address merely added, unverified, to another account never
    matches.
    """
    user = user_by_verified_email(email=email)
    if user is not None:
        return user
    email = (email or "").strip().lower()
    return (
        get_user_model()
        .objects.filter(email__iexact=email, is_active=True, last_login__isnull=True)
        .exclude(emailaddress__verified=True)
        .first()
    )


def user_has_verified_email(*, user, email: str) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def required_assurance(user) -> str:
    """What a session of `user` must prove, from the roles the user holds right now."""
    if not user.is_authenticated:
        return MEMBER
    if user.is_federation_staff or user.is_staff or user.is_superuser:
        return TOTP
    roles = set(
        get_user_model()
        .objects.filter(pk=user.pk, memberships__isnull=False)
        .values_list("memberships__role", flat=True)
    )
    if ADMIN_ROLE in roles:
        return TOTP
    return PASSWORD if roles else MEMBER


def session_methods(request, user) -> set[str]:
    """The sign-in methods allauth recorded for `user` in this session ("password",
    "code", "mfa"...)."""
    return {record.get("method") for record in get_authentication_records(request, user)}


def user_has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def last_sign_in_at(request, user) -> int | None:
    """When this session last completed a sign-in step (allauth's records), if known."""
    times = [record.get("at") for record in get_authentication_records(request, user)]
    times = [t for t in times if isinstance(t, int | float)]
    return int(max(times)) if times else None
