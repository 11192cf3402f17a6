from allauth.account.forms import ConfirmLoginCodeForm as AllauthConfirmLoginCodeForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.core import context
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coopculture.accounts import selectors

# The request attribute telling the adapter that the address asking for a code is a team
# account's: it gets an email pointing to the password form instead of a code.
STAFF_CODE_REFUSED = "coopculture_staff_code_refused"


def code_lock_error(until, *, client: bool = False) -> forms.ValidationError:
    local = timezone.localtime(until)
    when = formats.time_format(local, "H:i")
    if local.date() != timezone.localdate():
        when = formats.date_format(local, "j F Y") + " " + when
    if client:
        message = gettext(
            "Too many wrong codes were typed from your connection. For your security, "
            "signing in by code is suspended until %(time)s. You can then ask for a new code."
        )
    else:
        message = gettext(
            "Too many wrong codes were typed for this account. For your security, signing "
            "in by code is suspended until %(time)s. You can then ask for a new code."
        )
    return forms.ValidationError(message % {"time": when}, code="login_code_locked")


def check_code_sign_in_open(*, request, user) -> None:
    """Refuse (ValidationError, in French) while this client or this account is locked out
    of code sign-in after too many wrong codes."""
    from coopculture.accounts.services import (
        login_code_account_locked_until,
        login_code_client_locked_until,
    )

    until = login_code_client_locked_until(request=request)
    if until is not None:
        raise code_lock_error(until, client=True)
    until = login_code_account_locked_until(user=user)
    if until is not None:
        raise code_lock_error(until)


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """Ask for a sign-in code; an address we do not know yet gets a member account.

    The code goes only to an account that holds the address verified, or to the account
    created for that address by a code request (selectors.user_for_code_sign_in). Team
    accounts sign in with their password: they get an email saying so, not a code. The
    page answers the same whatever the address, so it reveals nothing about who has an
    account.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = _("Your email address")
        field.help_text = _("We will send you a code of 6 digits. No password is needed.")
        field.widget.attrs.update({"autocomplete": "email", "placeholder": ""})

    def clean_email(self) -> str:
        email = super().clean_email()  # rate limits (allauth)
        self._user = None
        if not email:
            return email
        from coopculture.accounts.services import user_get_or_create_member

        request = context.request
        check_code_sign_in_open(request=request, user=None)  # this client first
        user = user_get_or_create_member(email=email)
        check_code_sign_in_open(request=request, user=user)
        if user is not None and selectors.required_assurance(user) != selectors.MEMBER:
            setattr(request, STAFF_CODE_REFUSED, email.lower())
            return email
        self._user = user
        return email


class ConfirmLoginCodeForm(AllauthConfirmLoginCodeForm):
    """The code field, made for phones: a digit keypad and the code offered by the OS.

    While the account (or this client) is locked out after too many wrong codes, no code
    is accepted, not even the right one.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = _("Code received by email")
        field.help_text = _("6 digits, valid for 15 minutes.")
        field.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": ""}
        )

    def clean_code(self) -> str:
        request = context.request
        stage = getattr(request, "_login_stage", None)
        check_code_sign_in_open(request=request, user=stage.login.user if stage else None)
        return super().clean_code()


class ResetPasswordForm(AllauthResetPasswordForm):
    """A reset link goes only to the account holding the address verified: an address
    added to some account without proof never receives that account's reset link."""

    def clean_email(self) -> str:
        email = super().clean_email()
        user = selectors.user_by_verified_email(email=email)
        self.users = [user] if user is not None else []
        return email


class ActivateTOTPForm(AllauthActivateTOTPForm):
    """Setting up TOTP takes a valid code from the app: the session has just given one,
    which counts as its TOTP step (staff pages of administrators need it)."""

    def clean_code(self):
        code = super().clean_code()
        from allauth.account.internal.flows.login import record_authentication

        record_authentication(context.request, self.user, "mfa", type="totp", activated=True)
        return code
