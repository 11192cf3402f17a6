"""The member's own preferences form (reached by a signed link, without signing in)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coopculture.members.models import Channel, ConsentRecord, Member, Purpose

YES, NO = "yes", "no"

# Each purpose as a plain question and what saying yes means, in everyday words.
PURPOSE_QUESTIONS = {
    Purpose.BULLETIN: (
        _("Do you want to receive the information bulletin?"),
        _(
            "About once a month: how your home's programme is going (works, visits, key "
            "dates) and what is new at your coop. By email, or printed and posted if you "
            "have no email address."
        ),
    ),
    Purpose.COOP_NEWS: (
        _("Do you want to receive news of cooperative life?"),
        _(
            "From time to time: your coop's general assembly, its projects, events for "
            "members and the free course Culture Coop'."
        ),
    ),
    Purpose.SESSIONS: (
        _("Do you want to be invited to sessions and workshops?"),
        _(
            "Meetings in small groups at your coop, for example to follow the course "
            "Culture Coop' together or to prepare a general assembly."
        ),
    ),
    Purpose.AG_ELECTRONIC: (
        _("Do you agree to receive the notices of your coop's general assembly by email?"),
        _(
            "The official notice of the general assembly (AG) of your coop is sent by post. "
            "It can only be sent to you by email if you agree to it beforehand: this is why "
            "we ask. You can go back to post at any time."
        ),
    ),
}


def purpose_field_name(purpose: str) -> str:
    return f"consent_{purpose}"


def channel_choices(member: Member) -> list[tuple[str, str]]:
    """The channels the coop can actually use for this member (and the current one)."""
    usable = {
        Channel.EMAIL: bool(member.email),
        Channel.POST: True,
        Channel.PHONE: bool(member.phone),
        Channel.SMS: bool(member.phone),
    }
    return [
        (value, label)
        for value, label in Channel.choices
        if usable[value] or value == member.preferred_channel
    ]


def shown_purposes(member: Member, consents: dict[str, ConsentRecord | None]) -> list[str]:
    """Every purpose, except email notices of the AG for a member without an email
    address (unless an answer is already recorded, so that it can be withdrawn)."""
    return [
        purpose
        for purpose in consents  # the purposes the coop tracks
        if purpose != Purpose.AG_ELECTRONIC or member.email or consents[purpose] is not None
    ]


class PreferencesForm(forms.Form):
    """The preferred channel and a yes/no answer per purpose, nothing ticked in advance:
    a purpose never asked shows no answer, and leaving it unanswered records nothing."""

    preferred_channel = forms.ChoiceField(
        label=_("How do you prefer your coop to contact you?"),
        widget=forms.RadioSelect,
        help_text=_(
            "To give or change your email address or phone number, contact your coop "
            "(its details are at the bottom of this page)."
        ),
    )

    def __init__(self, *args, member: Member, consents: dict[str, ConsentRecord | None], **kw):
        super().__init__(*args, **kw)
        self.member = member
        self.consents = consents
        channel = self.fields["preferred_channel"]
        channel.choices = channel_choices(member)
        channel.initial = member.preferred_channel
        self.purposes = shown_purposes(member, consents)
        for purpose in self.purposes:
            question, explanation = PURPOSE_QUESTIONS[purpose]
            record = consents.get(purpose)
            self.fields[purpose_field_name(purpose)] = forms.ChoiceField(
                label=question,
                help_text=explanation,
                choices=[(YES, _("Yes")), (NO, _("No"))],
                widget=forms.RadioSelect,
                required=False,
                initial=None if record is None else (YES if record.granted else NO),
            )

    def changed_consents(self) -> dict[str, bool]:
        """The purposes whose answer differs from the one in force (unanswered: none)."""
        changes = {}
        for purpose in self.purposes:
            answer = self.cleaned_data.get(purpose_field_name(purpose))
            if answer not in (YES, NO):
                continue
            granted = answer == YES
            record = self.consents.get(purpose)
            if record is None or record.granted != granted:
                changes[purpose] = granted
        return changes


class AccessCodeForm(forms.Form):
    """The one-time code mailed to the member (members.proof)."""

    code = forms.CharField(
        label=_("The code you received by email"),
        max_length=12,
        help_text=_("6 digits, in the email we have just sent you."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
