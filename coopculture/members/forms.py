"""Forms of the members back office. They validate input; services do the writing."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coopculture.members import contacts
from coopculture.members.models import (
    Channel,
    ConsentSource,
    ContractKind,
    Member,
    ProfileKind,
    Programme,
    Purpose,
    Stage,
)
from coopculture.members.services import MEMBER_FIELDS, PROGRAMME_FIELDS

GROUPED_FORM_TEMPLATE = "members/staff/_grouped_form.html"


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _programme_choices(programmes, empty_label) -> list[tuple[str, str]]:
    return [("", empty_label)] + [(str(p.public_id), p.name) for p in programmes]


class GroupedFormMixin:
    """Render the fields under headings: `groups = [(heading, [field names]), ...]`."""

    template_name = GROUPED_FORM_TEMPLATE
    groups: list = []

    def grouped_fields(self):
        return [(heading, [self[name] for name in names]) for heading, names in self.groups]


# --- Member list filters --------------------------------------------------------------------


class MemberFilterForm(forms.Form):
    """The member list's filters: a GET form, every field optional."""

    template_name = "members/staff/_filter_form.html"

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("A name, an email address or a member number."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    profile = forms.ChoiceField(label=_("Profile"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    programme = forms.ChoiceField(label=_("Programme"), required=False)
    channel = forms.ChoiceField(label=_("Preferred channel"), required=False)
    consent = forms.ChoiceField(label=_("Has agreed to"), required=False)
    has_email = forms.ChoiceField(
        label=_("Email address"),
        required=False,
        choices=[
            ("", _("With or without")),
            ("yes", _("With an email address")),
            ("no", _("Without an email address")),
        ],
    )

    FILTERS = ("q", "profile", "stage", "programme", "channel", "consent", "has_email")

    def __init__(self, *args, programmes=(), purposes=Purpose.choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [("", _("Every profile")), *ProfileKind.choices]
        self.fields["stage"].choices = [("", _("Every stage")), *Stage.choices]
        self.fields["programme"].choices = _programme_choices(programmes, _("Every programme"))
        self.fields["channel"].choices = [("", _("Every channel")), *Channel.choices]
        self.fields["consent"].choices = [("", _("No matter")), *purposes]

    def filters(self) -> dict:
        """The valid, non-empty filters (an invalid field is ignored, and shown in error)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in self.FILTERS if data.get(name)}

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters())


# --- Member create and edit -----------------------------------------------------------------


class MemberForm(GroupedFormMixin, forms.ModelForm):
    """A member's details. Bound to a *copy* of the member: the view passes the untouched
    instance to the service, which compares the data with the stored row."""

    groups = [
        (_("Identity"), ["first_name", "last_name", "external_ref"]),
        (_("Contact"), ["email", "phone", "postal_address", "preferred_channel"]),
        (_("Needs"), ["needs_large_print", "needs_digital_help", "accessibility_notes"]),
    ]

    class Meta:
        model = Member
        fields = list(MEMBER_FIELDS)
        widgets = {
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "accessibility_notes": forms.Textarea(attrs={"rows": 3}),
            "preferred_channel": forms.RadioSelect,
        }
        help_texts = {
            "email": _("Leave empty if the member has no email address."),
            "accessibility_notes": _(
                "What helps this member take part: hearing, sight, mobility, times to call..."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Staff type someone else's details: the browser must not offer their own.
        for name in ("first_name", "last_name", "email", "phone", "postal_address"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        self.fields["phone"].widget.input_type = "tel"

    def clean_email(self):
        """One form for every address (members.contacts): the same person typed twice with
        another case is one address; an accented domain is stored in IDNA."""
        try:
            return contacts.normalise_email(self.cleaned_data.get("email", ""))
        except contacts.ContactError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def clean_phone(self):
        try:
            return contacts.normalise_phone(self.cleaned_data.get("phone", ""))
        except contacts.ContactError as error:
            raise forms.ValidationError(error.message, code=error.code) from None

    def member_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in MEMBER_FIELDS}


class MemberCreateForm(MemberForm):
    """A new member, with an optional profile and an optional programme."""

    profile = forms.ChoiceField(label=_("Profile"), required=False)
    profile_start = forms.DateField(
        label=_("Profile since"), required=False, widget=DateInput, initial=timezone.localdate
    )
    programme = forms.ChoiceField(label=_("Programme"), required=False)
    contract = forms.ChoiceField(
        label=_("Contract"),
        choices=ContractKind.choices,
        initial=ContractKind.RESERVATION,
        widget=forms.RadioSelect,
    )
    signed_on = forms.DateField(
        label=_("Signed on"), required=False, widget=DateInput, initial=timezone.localdate
    )
    lot_number = forms.CharField(label=_("Lot number"), max_length=20, required=False)

    groups = [
        *MemberForm.groups,
        (_("Profile (optional)"), ["profile", "profile_start"]),
        (_("Programme (optional)"), ["programme", "contract", "signed_on", "lot_number"]),
    ]

    def __init__(self, *args, programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.programmes = {str(p.public_id): p for p in programmes}
        self.fields["profile"].choices = [("", _("None for now")), *ProfileKind.choices]
        self.fields["programme"].choices = _programme_choices(programmes, _("None for now"))

    def clean(self):
        data = super().clean()
        if data.get("profile") and not data.get("profile_start"):
            self.add_error("profile_start", _("Give the date the profile starts."))
        if data.get("programme") and not data.get("signed_on"):
            self.add_error("signed_on", _("Give the date the contract was signed."))
        return data

    def chosen_programme(self) -> Programme | None:
        return self.programmes.get(self.cleaned_data.get("programme") or "")


# --- Consent recorded by staff --------------------------------------------------------------


class ConsentForm(forms.Form):
    """A consent given or refused on paper or by phone (the web form and the unsubscribe
    link record their own; imports too)."""

    STAFF_SOURCES = (ConsentSource.PAPER, ConsentSource.PHONE)

    purpose = forms.ChoiceField(
        label=_("What for"), choices=Purpose.choices, widget=forms.RadioSelect
    )
    granted = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("Agrees")), ("no", _("Refuses or withdraws"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(
        label=_("Given"),
        choices=[(s.value, s.label) for s in STAFF_SOURCES],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        help_text=_("For example: signed form kept at the branch office, call of 3 March."),
    )

    def __init__(self, *args, purposes=Purpose.choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = purposes


# --- Programmes -----------------------------------------------------------------------------


class ProgrammeForm(forms.ModelForm):
    """A programme's name and dates. The expected delivery date is set here only when the
    programme is created; afterwards it changes through DeliveryChangeForm (with a reason)."""

    class Meta:
        model = Programme
        fields = [*PROGRAMME_FIELDS[:5], "expected_delivery_on", *PROGRAMME_FIELDS[5:]]
        widgets = {
            "kind": forms.RadioSelect,
            "reservations_open_on": DateInput,
            "works_start_on": DateInput,
            "expected_delivery_on": DateInput,
            "delivered_on": DateInput,
            "coownership_created_on": DateInput,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            del self.fields["expected_delivery_on"]

    def programme_data(self) -> dict:
        return dict(self.cleaned_data)


class DeliveryChangeForm(forms.Form):
    new_date = forms.DateField(label=_("New expected delivery date"), widget=DateInput)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Members are told why: bad weather, a company in difficulty..."),
    )
