"""Authoring of the learning path by the federation (Django admin, /federation/admin/).

Only the federation's global content is registered: modules with their activities, and
the glossary. The federation team (User.is_federation_staff) authors them without any
Django permission of its own (FederationAuthoring); the rest of the admin stays technical.
Each coop's overlay (CoopModuleSetting) and the learners' events (LearningEvent) are
coop-owned and scoped: they are not in the admin (ADR 0005).
"""

import inspect
import json
import uuid

from django import forms
from django.contrib import admin, messages
from django.core.validators import FileExtensionValidator
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coopculture.coops.models import Activity as CoopActivity
from coopculture.core.images import UploadedImageField
from coopculture.learning import content
from coopculture.learning.models import (
    Activity,
    Audience,
    GlossaryTerm,
    Module,
    PublicationStatus,
)

CONTENT_SHAPES = inspect.cleandoc(content.__doc__.split("\n", 1)[1])


def _activity_labels(codes) -> str:
    labels = dict(CoopActivity.choices)
    return ", ".join(str(labels.get(code, code)) for code in codes or [])


def is_federation_author(request) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_federation_staff)


class FederationAuthoring:
    """The federation team writes the learning path: every right on these models."""

    def has_module_permission(self, request):
        return is_federation_author(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_federation_author(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_federation_author(request) or super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_federation_author(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_federation_author(request) or super().has_delete_permission(request, obj)


# --- Modules ------------------------------------------------------------------------------


class ModuleAdminForm(forms.ModelForm):
    concerns = forms.MultipleChoiceField(
        label=_("Coop activities it concerns"),
        choices=CoopActivity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "None ticked: every coop. Otherwise the module does not concern a coop "
            "that does none of them."
        ),
    )
    recommended_for = forms.MultipleChoiceField(
        label=_("Recommended for the activities"),
        choices=CoopActivity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "None ticked: recommended wherever it applies. Otherwise optional for "
            "the coops that do none of them."
        ),
    )
    audiences = forms.MultipleChoiceField(
        label=_("Audiences"),
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Module
        fields = [
            "title",
            "slug",
            "summary",
            "duration_minutes",
            "position",
            "status",
            "concerns",
            "recommended_for",
            "audiences",
            "cover_image",
            "cover_alt",
        ]
        # Re-encoded under a random name (core.images), like every uploaded image.
        field_classes = {"cover_image": UploadedImageField}

    def clean(self):
        cleaned = super().clean()
        concerns = set(cleaned.get("concerns") or [])
        outside = set(cleaned.get("recommended_for") or []) - concerns
        if concerns and outside:
            self.add_error(
                "recommended_for",
                _("A module can be recommended only for activities it concerns: %(names)s.")
                % {"names": _activity_labels(sorted(outside))},
            )
        return cleaned


class ContentField(forms.JSONField):
    """The activity's JSON content, indented so that it can be read and edited by hand."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)

    def to_python(self, value):
        if value in self.empty_values:
            return {}
        return super().to_python(value)


class ActivityAdminForm(forms.ModelForm):
    content = ContentField(
        label=_("Content"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 90, "class": "vLargeTextField"}),
    )
    media = forms.FileField(
        label=_("Video file"),
        required=False,
        validators=[FileExtensionValidator(["mp4", "webm"])],
        help_text=_("MP4 or WebM."),
    )
    captions = forms.FileField(
        label=_("Captions (WebVTT)"),
        required=False,
        validators=[FileExtensionValidator(["vtt"])],
        help_text=_("A .vtt file."),
    )
    poster = UploadedImageField(label=_("Poster image"), required=False)

    class Meta:
        model = Activity
        fields = [
            "position",
            "kind",
            "title",
            "required",
            "content",
            "media",
            "captions",
            "poster",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["content"].help_text = format_html(
            "{}<pre>{}</pre>",
            _("JSON, in the shape expected for the activity's kind:"),
            CONTENT_SHAPES,
        )

    def _opaque_name(self, field: str, extension: str | None = None):
        """The uploaded file under a random name: only its checked extension is kept."""
        uploaded = self.cleaned_data.get(field)
        if uploaded and hasattr(uploaded, "content_type"):  # a new upload, not the stored file
            suffix = extension or uploaded.name.rsplit(".", 1)[-1].lower()
            uploaded.name = f"{uuid.uuid4().hex}.{suffix}"
        return uploaded

    def clean_media(self):
        return self._opaque_name("media")

    def clean_captions(self):
        return self._opaque_name("captions", "vtt")

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind and not self.has_error("content"):
            errors = content.content_errors(kind, cleaned.get("content"))
            if errors:
                self.add_error("content", errors)
        return cleaned

    def _post_clean(self):
        # Activity.clean() checks the content again, as form-wide errors and against the
        # previous content (the invalid one is not copied to the instance): skip it when
        # the problems are already listed under the content field.
        if self.has_error("content"):
            return
        super()._post_clean()


class ActivityInline(FederationAuthoring, admin.StackedInline):
    model = Activity
    form = ActivityAdminForm
    extra = 0
    ordering = ["position"]
    verbose_name = _("activity")
    verbose_name_plural = _("activities (in their order)")


@admin.register(Module)
class ModuleAdmin(FederationAuthoring, admin.ModelAdmin):
    """The federation's modules. Publishing makes a module visible in every coop."""

    form = ModuleAdminForm
    inlines = [ActivityInline]
    list_display = [
        "title",
        "status",
        "position",
        "concerns_display",
        "activity_count",
    ]
    list_display_links = ["title"]
    list_filter = ["status"]
    search_fields = ["title", "slug", "summary"]
    ordering = ["position", "id"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["preview_link", "created_at", "updated_at"]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "summary",
                    "duration_minutes",
                    "position",
                    "status",
                    "preview_link",
                ]
            },
        ),
        (_("Which coops it concerns"), {"fields": ["concerns", "recommended_for", "audiences"]}),
        (_("Cover"), {"fields": ["cover_image", "cover_alt"]}),
        (_("History"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(activity_total=Count("steps"))

    @admin.display(description=_("Concerns"))
    def concerns_display(self, module):
        # The codes, as in example blocks ("::: exemple gestion_locative"): short in a list.
        return ", ".join(module.concerns or []) or _("every coop")

    @admin.display(description=_("Activities"), ordering="activity_total")
    def activity_count(self, module):
        return module.activity_total

    @admin.display(description=_("Preview"))
    def preview_link(self, module):
        if module.pk is None:
            return _("Save the module first.")
        url = reverse("learning_preview:index")
        return format_html(
            '<a href="{}?{}">{}</a>',
            url,
            urlencode({"module": module.slug}),
            _("See this module as a coop shows it"),
        )

    @admin.action(description=_("Publish"), permissions=["change"])
    def publish(self, request, queryset):
        """Publish the selected modules that have activities, all with valid content."""
        published, refused = [], []
        for module in queryset.prefetch_related("steps"):
            steps = list(module.steps.all())
            problems = [
                activity.title
                for activity in steps
                if content.content_errors(activity.kind, activity.content)
            ]
            if not steps:
                refused.append(_("%(title)s (no activity)") % {"title": module.title})
            elif problems:
                refused.append(
                    _("%(title)s (content to fix: %(activities)s)")
                    % {"title": module.title, "activities": ", ".join(problems)}
                )
            else:
                published.append(module.pk)
        count = Module.objects.filter(pk__in=published).update(status=PublicationStatus.PUBLISHED)
        if count:
            self.message_user(
                request,
                ngettext("%(count)d module published.", "%(count)d modules published.", count)
                % {"count": count},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                _("Not published: %(modules)s.") % {"modules": "; ".join(refused)},
                messages.ERROR,
            )

    @admin.action(description=_("Back to draft"), permissions=["change"])
    def unpublish(self, request, queryset):
        count = queryset.update(status=PublicationStatus.DRAFT)
        self.message_user(
            request,
            ngettext(
                "%(count)d module is a draft again: members no longer see it.",
                "%(count)d modules are drafts again: members no longer see them.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


# --- Glossary -----------------------------------------------------------------------------


class CommaListField(forms.CharField):
    """A list of short texts, typed separated by commas."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        return [part.strip() for part in value.split(",") if part.strip()]


class GlossaryTermAdminForm(forms.ModelForm):
    variants = CommaListField(
        label=_("Other forms"),
        required=False,
        help_text=_("Plurals, abbreviations..., separated by commas."),
    )

    class Meta:
        model = GlossaryTerm
        fields = ["term", "slug", "definition", "variants"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(FederationAuthoring, admin.ModelAdmin):
    form = GlossaryTermAdminForm
    list_display = ["term", "variants_display", "definition"]
    search_fields = ["term", "definition"]
    prepopulated_fields = {"slug": ["term"]}
    ordering = ["term"]

    @admin.display(description=_("Other forms"))
    def variants_display(self, term):
        return ", ".join(term.variants or [])
