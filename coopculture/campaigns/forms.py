"""Forms of the campaigns back office: a campaign's text and MOOC blocks, its recipients
(segment), its schedule, the life-cycle automations and the monthly bulletin."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coopculture.campaigns.models import (
    AutomationKind,
    AutomationSetting,
    BulletinNews,
    BulletinSettings,
    Message,
)
from coopculture.learning import api as learning_api
from coopculture.members.models import Channel, ProfileKind, Purpose, Stage

# Texts longer than this do not fit on the one printed page of a letter.
LETTER_TEXT_LIMIT = 2200

# Block fields of the message form: name -> kind of MOOC item it offers.
BLOCK_FIELDS = (("video", "video"), ("testimonial", "testimonial"), ("leaflet", "leaflet"))


def _item_choices(coop, kind: str, empty_label) -> list[tuple[str, str]]:
    items = learning_api.mail_items(coop=coop, kinds=(kind,))
    return [("", empty_label)] + [
        (item.key, f"{item.module_title} — {item.title}") for item in items
    ]


def _module_choices(coop, empty_label) -> list[tuple[str, str]]:
    return [("", empty_label)] + [
        (item.module.slug, item.module.title) for item in learning_api.coop_module_list(coop=coop)
    ]


class MessageForm(forms.ModelForm):
    """A message's text and its MOOC content, chosen among the coop's modules. The blocks
    are stored in Message.blocks (see campaigns.models.Message)."""

    video = forms.ChoiceField(
        label=_("Video card"),
        required=False,
        help_text=_("Its picture and a link to watch it in your coop's space."),
    )
    testimonial = forms.ChoiceField(
        label=_("Testimonial quote"), required=False, help_text=_("A quote and a link to it.")
    )
    leaflet = forms.ChoiceField(
        label=_("Leaflet"), required=False, help_text=_("A link to download the leaflet.")
    )
    next_module = forms.BooleanField(
        label=_("Add « your next module » (chosen for each member)"), required=False
    )

    class Meta:
        model = Message
        fields = ["subject", "preheader", "body", "letter_body"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 12}),
            "letter_body": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args, coop, **kwargs):
        super().__init__(*args, **kwargs)
        self.coop = coop
        self.fields["video"].choices = _item_choices(coop, "video", _("No video"))
        self.fields["testimonial"].choices = _item_choices(coop, "testimonial", _("No testimonial"))
        self.fields["leaflet"].choices = _item_choices(coop, "leaflet", _("No leaflet"))
        if self.instance.pk and not self.is_bound:
            for block in self.instance.blocks or []:
                kind = block.get("type")
                if kind in dict(BLOCK_FIELDS):
                    self.initial[kind] = f"{block.get('module')}:{block.get('position')}"
                elif kind == "next_module":
                    self.initial["next_module"] = True

    def blocks(self) -> list[dict]:
        data = self.cleaned_data
        blocks = []
        for field, kind in BLOCK_FIELDS:
            if value := data.get(field):
                slug, _sep, position = value.rpartition(":")
                blocks.append({"type": kind, "module": slug, "position": int(position)})
        if data.get("next_module"):
            blocks.append({"type": "next_module"})
        # Links that are not MOOC items (the booklet, a page) are kept as they were.
        blocks += [
            b
            for b in (self.instance.blocks or [])
            if b.get("type") in {"link", "news", "next_item", "booklet"}
        ]
        return blocks

    def save(self, commit=True):
        self.instance.blocks = self.blocks()
        return super().save(commit=commit)

    @property
    def too_long_for_letters(self) -> bool:
        letter = self["letter_body"].value() or self["body"].value() or ""
        return len(letter) > LETTER_TEXT_LIMIT


class CampaignForm(MessageForm):
    """A one-off campaign: its name (for staff) and the consent it needs, then its text."""

    name = forms.CharField(
        label=_("Name of the campaign"),
        max_length=120,
        help_text=_("For the team only; members see the subject."),
    )
    purpose = forms.ChoiceField(
        label=_("Consent needed"),
        choices=Purpose.choices,
        initial=Purpose.COOP_NEWS,
        help_text=_(
            "Only members who agreed to this receive it; the unsubscribe link withdraws it."
        ),
    )
    field_order = ["name", "purpose", "subject", "preheader", "body", "letter_body"]


class SegmentForm(forms.Form):
    """Who receives a campaign: the members list's filters plus learning progress."""

    profile = forms.ChoiceField(label=_("Profile"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    programme = forms.ChoiceField(label=_("Programme"), required=False)
    channel = forms.ChoiceField(label=_("Preferred channel"), required=False)
    has_email = forms.ChoiceField(
        label=_("Email address"),
        required=False,
        choices=[
            ("", _("With or without")),
            ("yes", _("With an email address")),
            ("no", _("Without an email address")),
        ],
    )
    not_started_module = forms.ChoiceField(label=_("Has not started the module"), required=False)
    completed_module = forms.ChoiceField(label=_("Has completed the module"), required=False)

    KEYS = (
        "profile",
        "stage",
        "programme",
        "channel",
        "has_email",
        "not_started_module",
        "completed_module",
    )

    def __init__(self, *args, coop, programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [("", _("Every profile")), *ProfileKind.choices]
        self.fields["stage"].choices = [("", _("Every stage")), *Stage.choices]
        self.fields["programme"].choices = [("", _("Every programme"))] + [
            (str(p.public_id), p.name) for p in programmes
        ]
        self.fields["channel"].choices = [("", _("Every channel")), *Channel.choices]
        self.fields["not_started_module"].choices = _module_choices(coop, _("No matter"))
        self.fields["completed_module"].choices = _module_choices(coop, _("No matter"))

    def segment(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in self.KEYS if data.get(key)}


class ScheduleForm(forms.Form):
    """Send now, or at a date and time (Europe/Paris)."""

    when = forms.ChoiceField(
        label=_("When"),
        choices=[("now", _("Send now")), ("later", _("Send at the date and time below"))],
        widget=forms.RadioSelect,
        initial="now",
    )
    date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time = forms.TimeField(
        label=_("Time"),
        required=False,
        initial=dt.time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("when") == "later":
            if not data.get("date"):
                self.add_error("date", _("Give the date of the send."))
                return data
            moment = timezone.make_aware(
                dt.datetime.combine(data["date"], data.get("time") or dt.time(9, 0))
            )
            if moment <= timezone.now():
                self.add_error("date", _("This moment is already past."))
            data["scheduled_at"] = moment
        return data


class AutomationSettingForm(forms.ModelForm):
    """An automation: on or off (and, for the general assembly, its date)."""

    class Meta:
        model = AutomationSetting
        fields = ["enabled", "event_date", "days_before"]
        widgets = {"event_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}
        help_texts = {
            "event_date": _("The reminder leaves the chosen number of days before this date."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind != AutomationKind.AG_REMINDER:
            del self.fields["event_date"]
            del self.fields["days_before"]

    def clean(self):
        data = super().clean()
        if (
            self.instance.kind == AutomationKind.AG_REMINDER
            and data.get("enabled")
            and not data.get("event_date")
        ):
            self.add_error("event_date", _("Give the date of the general assembly."))
        return data


class BulletinSettingsForm(forms.ModelForm):
    class Meta:
        model = BulletinSettings
        fields = ["enabled", "day_of_month"]
        help_texts = {"day_of_month": _("From 1 to 28, so that every month has it.")}


class BulletinNewsForm(forms.ModelForm):
    class Meta:
        model = BulletinNews
        fields = ["title", "body", "link_url", "link_label"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
