import contextlib
import datetime as dt
import time
from datetime import timedelta

from allauth.account.models import EmailAddress

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from coopculture.accounts import selectors
from coopculture.accounts.models import User

UNCONFIRMED_ACCOUNT_LIFETIME = timedelta(days=1)


def user_get_or_create_member(*, email: str) -> User | None:
    """The account a sign-in code for `email` opens, created on the first request.

    A new account has no password; it only becomes used once the member types the code
    they received (until then `last_login` stays empty and the tick purges it after a day).
    None when the address is the main address of an account that may not be opened with
    it (used, yet never proven: selectors.user_for_code_sign_in); no code is sent then.
    """
    email = User.objects.normalize_email(email).strip().lower()
    with transaction.atomic():
        user = selectors.user_for_code_sign_in(email=email)
        if user is None and not User.objects.filter(email__iexact=email).exists():
            user = User.objects.create_user(email=email)
            EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user


# --- Failed sign-in codes: per account and per client, over a sliding hour ----------------


def _failures_key(kind: str, ident) -> str:
    return f"accounts:login-code-failures:{kind}:{ident}"


def _recent(key: str, now: float) -> list[float]:
    period = settings.LOGIN_CODE_FAILURES["period"]
    return sorted(t for t in cache.get(key, []) if t > now - period)


def _locked_until(key: str, limit: int, now: float) -> dt.datetime | None:
    failures = _recent(key, now)
    if len(failures) < limit:
        return None
    # Open again once the oldest of the last `limit` failures is an hour old.
    until = failures[-limit] + settings.LOGIN_CODE_FAILURES["period"]
    return dt.datetime.fromtimestamp(until, tz=dt.UTC)


def login_code_client_locked_until(*, request) -> dt.datetime | None:
    """Until when code sign-in stays closed for this client (too many wrong codes from
    it, whatever the accounts), or None."""
    from coopculture.core.ratelimit import client_id

    limit = settings.LOGIN_CODE_FAILURES["per_ip"]
    return _locked_until(_failures_key("ip", client_id(request)), limit, time.time())


def login_code_account_locked_until(*, user) -> dt.datetime | None:
    """Until when code sign-in stays closed for `user` (too many wrong codes), or None."""
    if user is None:
        return None
    limit = settings.LOGIN_CODE_FAILURES["per_account"]
    return _locked_until(_failures_key("user", user.pk), limit, time.time())


def login_code_failure_record(*, request, user) -> None:
    """Count a wrong code for `user` (and this client). When the account reaches the limit,
    its code sign-in closes for the rest of the hour and its owner is told by email."""
    from coopculture.core.ratelimit import client_id

    limits, now = settings.LOGIN_CODE_FAILURES, time.time()
    period = limits["period"]
    ip_key = _failures_key("ip", client_id(request))
    with _cache_lock(ip_key):
        cache.set(ip_key, [*_recent(ip_key, now), now], timeout=period + 1)
    user_key = _failures_key("user", user.pk)
    with _cache_lock(user_key):
        failures = _recent(user_key, now)
        if len(failures) >= limits["per_account"]:
            return  # already closed: the owner was told
        failures.append(now)
        cache.set(user_key, failures, timeout=period + 1)
    if len(failures) == limits["per_account"]:
        until = _locked_until(user_key, limits["per_account"], now)
        _send_code_lock_email(user=user, until=until)


@contextlib.contextmanager
def _cache_lock(key: str):
    """Serialise the read-modify-write of a counter across processes (parallel guesses
    must not slip past the limit). Gives up after a second: counting stays best effort."""
    lock = f"{key}:lock"
    deadline = time.monotonic() + 1
    acquired = cache.add(lock, 1, timeout=5)
    while not acquired and time.monotonic() < deadline:
        time.sleep(0.01)
        acquired = cache.add(lock, 1, timeout=5)
    try:
        yield
    finally:
        if acquired:
            cache.delete(lock)


def _send_code_lock_email(*, user, until: dt.datetime) -> None:
    from django.urls import reverse

    from coopculture.core.mail import send_transactional_email

    send_transactional_email(
        "accounts/email/login_code_locked",
        to=[user.email],
        context={
            "user": user,
            "until": timezone.localtime(until),
            "site_url": settings.SITE_URL.rstrip("/"),
            "login_path": reverse("account_login"),
        },
    )


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
