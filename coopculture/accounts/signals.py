from allauth.account.models import EmailAddress

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from coopculture.accounts.middleware import SESSION_IS_STAFF, SESSION_LAST_SEEN, is_staff_user


@receiver(user_logged_in, dispatch_uid="accounts.start_session")
def start_session(sender, request, user, **kwargs):
    """Mark staff sessions (they expire when idle) and trust the address used to sign in."""
    request.session[SESSION_IS_STAFF] = is_staff_user(user)
    request.session.pop(SESSION_LAST_SEEN, None)
    EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).update(
        verified=True
    )
