from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from coopculture.coops.branding import LOGO_RULES
from coopculture.coops.models import Activity, Coop, LegalForm, Role
from coopculture.coops.services import SETTINGS_FIELDS
from coopculture.core.images import ACCEPT as LOGO_ACCEPT
from coopculture.core.images import UploadedImageField


def activities_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("What the coop does"),
        choices=Activity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The learning path recommends modules and flags examples from this list."),
    )


class CoopSettingsForm(forms.ModelForm):
    activities = activities_field()
    logo = UploadedImageField(
        label=_("Logo"),
        required=False,
        rules=LOGO_RULES,
        widget=forms.FileInput(attrs={"accept": LOGO_ACCEPT}),
        help_text=_("PNG, JPEG or WebP, at most 1 MB and 2000 pixels a side."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the current logo"), required=False)

    class Meta:
        model = Coop
        fields = list(SETTINGS_FIELDS)
        widgets = {
            "legal_form": forms.RadioSelect,
            "postal_address": forms.Textarea(attrs={"rows": 3}),
            "main_colour": forms.TextInput(
                attrs={"pattern": "#[0-9a-fA-F]{6}", "spellcheck": "false", "size": 8}
            ),
        }
        help_texts = {
            "main_colour": _(
                "For example #1d5c8c. If white text on it would be hard to read, "
                "a darker shade is used automatically."
            ),
            "contact_phone": _("Shown to members who prefer to call."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_email"].widget.attrs["autocomplete"] = "email"
        self.fields["contact_phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["website"].widget.attrs["autocomplete"] = "url"
        if not (self.instance and self.instance.logo):
            del self.fields["remove_logo"]


class CoopCreateForm(forms.ModelForm):
    activities = activities_field()
    first_admin_email = forms.EmailField(
        label=_("Email of the coop's first administrator"),
        required=False,
        help_text=_("They receive an invitation to join the coop's team."),
    )

    class Meta:
        model = Coop
        fields = ["name", "slug", "legal_form", "activities", "contact_email"]
        widgets = {"legal_form": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_form"].initial = LegalForm.SCP


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Role.choices,
        widget=forms.RadioSelect,
        initial=Role.EDITOR,
        help_text=_(
            "Administrator: everything, including the team. Editor: adapts and spreads "
            "the MOOC. Facilitator: runs sessions and live screens."
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("New role"), choices=Role.choices)


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your first and last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not too common, not only digits."),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean_password2(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise forms.ValidationError(_("The two passwords are different."))
        if password2:
            from django.contrib.auth import get_user_model

            user = get_user_model()(email=self.email, full_name=self.cleaned_data.get("full_name"))
            password_validation.validate_password(password2, user)
        return password2
