"""Forms of the coop's adaptation of the learning path (back office)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coopculture.learning.models import CoopModuleSetting, ModuleStatus
from coopculture.learning.selectors import CoopModule

NOTE_MAX_LENGTH = CoopModuleSetting._meta.get_field("note").max_length
HIGHLIGHT_POSITION_MAX = 999


class NoteField(forms.CharField):
    """A textarea's text, with line breaks counted as one character.

    Browsers count a line break as one character for `maxlength` but send two (CRLF):
    without this, a note the browser accepted could be refused here.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")


class ModuleSettingForm(forms.Form):
    """What a coop may change on one module. The module's content stays the federation's."""

    status = forms.ChoiceField(
        label=_("Status for your coop"),
        required=False,
        widget=forms.RadioSelect,
    )
    highlighted = forms.BooleanField(label=_("Highlight this module"), required=False)
    highlight_position = forms.IntegerField(
        label=_("Order among the highlighted modules"),
        min_value=0,
        max_value=HIGHLIGHT_POSITION_MAX,
        required=False,
        help_text=_("Highlighted modules come first, the smallest number first."),
    )
    note = NoteField(
        label=_("Your coop's note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, item: CoopModule, coop, **kwargs):
        setting = item.setting
        kwargs.setdefault(
            "initial",
            {
                "status": setting.status if setting else "",
                "highlighted": item.highlighted,
                "highlight_position": item.highlight_position,
                "note": item.note,
            },
        )
        super().__init__(*args, **kwargs)
        default_label = ModuleStatus(item.default_status).label
        self.fields["status"].choices = [
            ("", _("Default (%(status)s)") % {"status": default_label}),
            *ModuleStatus.choices,
        ]
        self.fields["status"].help_text = _(
            "The default comes from the activities declared in your coop's profile."
        )
        self.fields["note"].help_text = _(
            "Shown at the top of the module: “At %(name)s, …” (at most %(max)s characters)."
        ) % {"name": coop.name, "max": NOTE_MAX_LENGTH}

    def clean_highlight_position(self):
        return self.cleaned_data.get("highlight_position") or 0
