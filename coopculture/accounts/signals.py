from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, login_code_rejected

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from coopculture.accounts.middleware import SESSION_LAST_SEEN


@receiver(user_logged_in, dispatch_uid="accounts.start_session")
def start_session(sender, request, user, **kwargs):
    """A new sign-in starts a new idle clock.

    Nothing about the user's rights is stored here: roles and the steps a session must
    have proven are read again on every request (accounts.middleware). Nor is any address
    marked verified: a password proves no mailbox; a code sign-in verifies the address the
    code was sent to (allauth does it).
    """
    request.session.pop(SESSION_LAST_SEEN, None)


@receiver(email_confirmed, dispatch_uid="accounts.drop_unproven_claims")
def drop_unproven_claims(sender, request, email_address, **kwargs):
    """Once the mailbox owner proved an address, other accounts' unproven copies go."""
    EmailAddress.objects.filter(
        email__iexact=email_address.email, verified=False, primary=False
    ).exclude(user_id=email_address.user_id).delete()


@receiver(login_code_rejected, dispatch_uid="accounts.count_code_failures")
def count_code_failures(sender, request, user, **kwargs):
    from coopculture.accounts.services import login_code_failure_record

    login_code_failure_record(request=request, user=user)
