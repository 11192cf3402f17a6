from allauth.account.forms import ConfirmLoginCodeForm as AllauthConfirmLoginCodeForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm

from django.utils.translation import gettext_lazy as _


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """Ask for a sign-in code; an address we do not know yet gets a member account.

    The page answers the same whatever the address, so it reveals nothing about who
    has an account.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = _("Your email address")
        field.help_text = _("We will send you a code of 6 digits. No password is needed.")
        field.widget.attrs.update({"autocomplete": "email", "placeholder": ""})

    def clean_email(self) -> str:
        email = super().clean_email()
        if email and getattr(self, "_user", None) is None:
            from coopculture.accounts.services import user_get_or_create_member

            self._user = user_get_or_create_member(email=email)
        return email


class ConfirmLoginCodeForm(AllauthConfirmLoginCodeForm):
    """The code field, made for phones: a digit keypad and the code offered by the OS."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = _("Code received by email")
        field.help_text = _("6 digits, valid for 15 minutes.")
        field.widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": ""}
        )
