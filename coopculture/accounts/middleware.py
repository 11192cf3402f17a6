import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from coopculture.accounts import selectors

SESSION_LAST_SEEN = "last_seen"
# Activity is recorded at most once a minute (each record is a session write).
LAST_SEEN_RESOLUTION = 60
# The back office and the federation space (with the Django admin): staff powers.
STAFF_AREA_PREFIXES = ("/gestion/", "/federation/")


def is_staff_user(user) -> bool:
    """Staff = federation team or a role in at least one coop (their sessions expire)."""
    return selectors.required_assurance(user) != selectors.MEMBER


def _holds_staff_role(request, user) -> bool:
    """Whether `user` is staff right now, read on this request (no flag in the session).

    On coop pages the coop middleware already read the user's membership there: a role
    in this coop settles it without another query."""
    if user.is_federation_staff or user.is_staff or user.is_superuser:
        return True
    if getattr(request, "membership", None) is not None:
        return True
    return is_staff_user(user)


def _page_assurance(request, user) -> str:
    """What the powers of this page need: the role on this coop's back office, the
    federation's on the federation space (where nobody else gets anything)."""
    if request.path_info.startswith("/federation/"):
        if user.is_federation_staff or user.is_staff or user.is_superuser:
            return selectors.TOTP
        return selectors.MEMBER
    role = getattr(request, "coop_role", None)
    if role is None:
        return selectors.MEMBER
    if role == selectors.ADMIN_ROLE or role == "federation":
        return selectors.TOTP
    return selectors.PASSWORD


def _to_sign_in(request, message: str):
    """Sign out and send to the password form, with a way back to the page asked for."""
    next_url = request.get_full_path()
    logout(request)
    messages.info(request, message)
    login_url = reverse("account_login")
    return redirect(f"{login_url}?{urlencode({'next': next_url})}")


class IdleSessionMiddleware:
    """Staff sessions end after STAFF_IDLE_TIMEOUT seconds without a request.

    Whether the limit applies is decided on every request from the roles the user holds
    now: a member promoted during their session gets the limit from that request on.
    Members keep the normal session lifetime (SESSION_COOKIE_AGE): they come back
    rarely, on their own device, and their account holds only their own progress.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # process_view: after the coop middleware has read the user's role in the coop.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            if _holds_staff_role(request, user):
                now = int(time.time())
                last_seen = session.get(SESSION_LAST_SEEN)
                if last_seen is None:
                    # No staff request yet in this session (e.g. a member who gained a
                    # role since): idle since they last signed in, not since now.
                    last_seen = selectors.last_sign_in_at(request, user)
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
                if (
                    session.get(SESSION_LAST_SEEN) is None
                    or now - session[SESSION_LAST_SEEN] >= LAST_SEEN_RESOLUTION
                ):
                    session[SESSION_LAST_SEEN] = now
        return None


class StaffSignInMiddleware:
    """Staff powers need a session that proved enough (docs/decisions/0003-accounts.md).

    On the back office and the federation space, decided on every request from the role
    the user holds there now and the sign-in steps allauth recorded in this session:
    - any coop role: the session was opened with the password (an emailed code is not
      enough), otherwise sign out and back to the password form;
    - a coop's administrators, the federation and Django admin users: also a TOTP code.
      Not set up yet: to the TOTP setup page first; set up but not given in this session
      (a role gained since): sign in again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # process_view: after the coop middleware has read the user's role in the coop.
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not request.path_info.startswith(STAFF_AREA_PREFIXES)
        ):
            return None
        assurance = _page_assurance(request, user)
        if assurance == selectors.MEMBER:
            return None
        methods = selectors.session_methods(request, user)
        if "password" not in methods:
            return _to_sign_in(
                request,
                _(
                    "Team accounts sign in with their email address and their password, "
                    "not with an emailed code. Please sign in with your password."
                ),
            )
        if assurance == selectors.TOTP and "mfa" not in methods:
            if not selectors.user_has_totp(user):
                messages.warning(
                    request,
                    _(
                        "Coop administrators and the federation team must use two-step "
                        "verification. Set up your authenticator app to continue."
                    ),
                )
                return redirect("mfa_activate_totp")
            return _to_sign_in(
                request,
                _(
                    "Your account now needs two-step verification. Please sign in again "
                    "with your password and the code of your authenticator app."
                ),
            )
        return None
