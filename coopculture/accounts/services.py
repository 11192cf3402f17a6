from datetime import timedelta

from allauth.account.models import EmailAddress

from django.db import transaction
from django.utils import timezone

from coopculture.accounts.models import User

UNCONFIRMED_ACCOUNT_LIFETIME = timedelta(days=1)


def user_get_or_create_member(*, email: str) -> User:
    """The account a member signs in to by code, created on their first request.

    It has no password; it only becomes used once the member types the code they
    received (until then `last_login` stays empty and the tick purges it after a day).
    """
    email = User.objects.normalize_email(email).strip().lower()
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email)
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user


def user_purge_unconfirmed(*, now=None) -> int:
    """Delete member accounts created by a code request that was never confirmed."""
    now = now or timezone.now()
    stale = User.objects.filter(
        last_login__isnull=True,
        date_joined__lt=now - UNCONFIRMED_ACCOUNT_LIFETIME,
        is_federation_staff=False,
        is_staff=False,
        is_superuser=False,
        memberships__isnull=True,
        password__startswith="!",  # noqa: S106 (unusable passwords start with "!")
    )
    _total, deleted = User.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()
    return deleted.get(User._meta.label, 0)
