"""The kit texts form: each field shows its length limit (the layouts are built for it)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coopculture.kit.models import KitSettings

HELP = {
    "tagline": _(
        "One sentence in large print on the flyer and the posters. At most %(max)s characters."
    ),
    "message": _(
        "A few lines under the tagline: why your members should follow the course. "
        "At most %(max)s characters."
    ),
    "welcome_text": _("The first page of the welcome booklets. At most %(max)s characters."),
}


class KitTextsForm(forms.Form):
    tagline = forms.CharField(
        label=_("Tagline"), max_length=KitSettings.TAGLINE_MAX, required=False
    )
    message = forms.CharField(
        label=_("Message"),
        max_length=KitSettings.MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    welcome_text = forms.CharField(
        label=_("Welcome text of the booklet"),
        max_length=KitSettings.WELCOME_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in HELP.items():
            field = self.fields[name]
            field.help_text = str(text) % {"max": field.max_length}
