import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

SESSION_LAST_SEEN = "last_seen"
SESSION_IS_STAFF = "staff_session"
# Activity is recorded at most once a minute (each record is a session write).
LAST_SEEN_RESOLUTION = 60


def is_staff_user(user) -> bool:
    """Staff = federation team or a role in at least one coop (their sessions expire)."""
    if user.is_federation_staff or user.is_staff or user.is_superuser:
        return True
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=user.pk, memberships__isnull=False).exists()


class IdleSessionMiddleware:
    """Staff sessions end after STAFF_IDLE_TIMEOUT seconds without a request.

    Members keep the normal session lifetime (SESSION_COOKIE_AGE): they come back
    rarely, on their own device, and their account holds only their own progress.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            if SESSION_IS_STAFF not in session:
                session[SESSION_IS_STAFF] = is_staff_user(user)
            if session[SESSION_IS_STAFF]:
                now = int(time.time())
                last_seen = session.get(SESSION_LAST_SEEN)
                if last_seen is not None and now - last_seen > settings.STAFF_IDLE_TIMEOUT:
                    logout(request)
                    messages.info(
                        request,
                        _(
                            "Your session has ended after a period of inactivity. "
                            "Please sign in again."
                        ),
                    )
                    login_url = reverse("account_login")
                    return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
                if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                    session[SESSION_LAST_SEEN] = now
        return self.get_response(request)
