"""The name to print on an attendance certificate (printed only, never stored)."""

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

NAME_MAX_LENGTH = 80
# Control characters, surrogates, private use and unassigned code points (format
# characters such as direction marks stay allowed: some names need them).
UNPRINTABLE = {"Cc", "Cs", "Co", "Cn"}


class CertificateNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name to print on the certificate"),
        max_length=NAME_MAX_LENGTH,
        strip=True,
        help_text=_(
            "As it should appear, for example Léa Moreau (at most 80 characters). "
            "It is only printed on the document: it is not saved."
        ),
        error_messages={
            "required": _("Type the name to print on the certificate."),
            "max_length": _("The name is too long: at most %(limit_value)d characters."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())  # one space between words
        if any(unicodedata.category(char) in UNPRINTABLE for char in name):
            raise forms.ValidationError(
                _("The name contains characters that cannot be printed."), code="invalid"
            )
        return name
