"""Rate limits for public forms (DESIGN.md §6): a fixed window per client and scope.

Sign-in is limited by allauth (ACCOUNT_RATE_LIMITS); this covers the other forms anyone can
post without an account: quiz and game answers, the preferences page, unsubscribe links.
Counters live in the cache (Redis in production, shared by every process); the client is
identified by an HMAC of its address with the secret key, so no address is ever stored.
The limits are generous: a coop's meeting room behind one address must not be refused.
"""

import functools
import hashlib
import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


def client_id(request) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def allow(scope: str, ident: str, *, limit: int, period: int) -> bool:
    """Count one hit; False once `limit` hits were counted in the current window."""
    window = int(time.time() // period)
    key = f"ratelimit:{scope}:{ident}:{window}"
    if cache.add(key, 1, timeout=period + 1):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=period + 1)
        return True


def rate_limited(scope: str, *, limit: int, period: int = 60, methods=("POST",)):
    """Refuse with 429 and a French page once a client sent `limit` requests of `methods`
    in `period` seconds; nothing of the refused request is done."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and not allow(
                scope, client_id(request), limit=limit, period=period
            ):
                response = render(request, "errors/429.html", {"retry_after": period}, status=429)
                response["Retry-After"] = str(period)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
