"""The federation's learning path (one canonical copy) and each coop's overlay on it.

Content (Module, Activity, GlossaryTerm) is global and never copied per coop. What a coop
changes lives in CoopModuleSetting; what learners do lives in LearningEvent. Both are
coop-owned and scoped.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from coopculture.coops.models import CoopOwnedModel
from coopculture.core.models import TimeStampedModel


class Audience(models.TextChoices):
    LOCATAIRE = "locataire", _("Tenants")
    ACCEDANT = "accedant", _("Home buyers")
    COPROPRIETAIRE = "coproprietaire", _("Co-owners")


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ModuleStatus(models.TextChoices):
    """How a module stands for a given coop (default from its activities, or chosen)."""

    RECOMMENDED = "recommended", _("Recommended")
    OPTIONAL = "optional", _("Optional")
    NOT_APPLICABLE = "not_applicable", _("Does not concern the coop")


# Words the learning URLs use after /parcours/: a module cannot take them as its slug.
RESERVED_MODULE_SLUGS = frozenset({"glossaire", "documents", "attestation"})


def validate_module_slug(value: str) -> None:
    if value in RESERVED_MODULE_SLUGS:
        raise ValidationError(
            _("“%(slug)s” is reserved by the site's addresses: choose another address name."),
            params={"slug": value},
            code="reserved_slug",
        )


class Module(TimeStampedModel):
    slug = models.SlugField(
        _("address name"), max_length=80, unique=True, validators=[validate_module_slug]
    )
    title = models.CharField(_("title"), max_length=120)
    summary = models.TextField(_("summary"), max_length=600)
    duration_minutes = models.PositiveSmallIntegerField(_("estimated duration (minutes)"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    concerns = models.JSONField(
        _("coop activities it concerns"),
        default=list,
        blank=True,
        help_text=_("Empty: every coop. Otherwise the module does not concern a coop without any."),
    )
    recommended_for = models.JSONField(
        _("recommended for the activities"),
        default=list,
        blank=True,
        help_text=_("Empty: recommended wherever it applies. Otherwise optional for the others."),
    )
    audiences = models.JSONField(_("audiences"), default=list, blank=True)
    cover_image = models.ImageField(_("cover image"), upload_to="learning/covers/", blank=True)
    cover_alt = models.CharField(_("cover image text alternative"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
    )

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def default_status_for(self, coop_activities) -> str:
        """Recommended, optional or not applicable, from what the coop does."""
        activities = set(coop_activities or [])
        if self.concerns and not activities.intersection(self.concerns):
            return ModuleStatus.NOT_APPLICABLE
        if not self.recommended_for or activities.intersection(self.recommended_for):
            return ModuleStatus.RECOMMENDED
        return ModuleStatus.OPTIONAL


class ActivityKind(models.TextChoices):
    VIDEO = "video", _("Video")
    TESTIMONIAL = "testimonial", _("Testimonial")
    QUIZ = "quiz", _("Quiz")
    GAME = "game", _("Game")
    LEAFLET = "leaflet", _("Leaflet")
    TEXT = "text", _("Text")


class Activity(models.Model):
    """One step of a module. Its kind-specific content is validated JSON (learning.content)."""

    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="steps", verbose_name=_("module")
    )
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=160)
    required = models.BooleanField(_("required to complete the module"), default=True)
    content = models.JSONField(_("content"), default=dict, blank=True)
    media = models.FileField(_("video file"), upload_to="learning/media/", blank=True)
    captions = models.FileField(_("captions (WebVTT)"), upload_to="learning/media/", blank=True)
    poster = models.ImageField(_("poster image"), upload_to="learning/media/", blank=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["module", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["module", "position"], name="learning_activity_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.module.title} – {self.title}"

    def clean(self):
        from coopculture.learning.content import validate_content

        validate_content(self.kind, self.content)


class GlossaryTerm(models.Model):
    term = models.CharField(_("term"), max_length=80, unique=True)
    slug = models.SlugField(_("address name"), max_length=80, unique=True)
    definition = models.TextField(_("plain-language definition"), max_length=600)
    variants = models.JSONField(
        _("other forms"), default=list, blank=True, help_text=_("Plurals, abbreviations...")
    )

    class Meta:
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary terms")
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term


class CoopModuleSetting(CoopOwnedModel):
    """A coop's choices on one module: status, highlight and a note ("Chez <coop>, ...")."""

    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="+", verbose_name=_("module")
    )
    status = models.CharField(
        _("status for the coop"),
        max_length=20,
        choices=ModuleStatus.choices,
        blank=True,
        help_text=_("Empty: the default from the coop's activities."),
    )
    highlighted = models.BooleanField(_("highlighted"), default=False)
    highlight_position = models.PositiveSmallIntegerField(_("highlight order"), default=0)
    note = models.TextField(_("coop note"), max_length=800, blank=True)

    class Meta:
        verbose_name = _("coop module setting")
        verbose_name_plural = _("coop module settings")
        constraints = [
            models.UniqueConstraint(fields=["coop", "module"], name="learning_setting_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.coop} – {self.module}"


class EventKind(models.TextChoices):
    MODULE_STARTED = "module_started", _("Module started")
    ACTIVITY_DONE = "activity_done", _("Activity done")
    MODULE_COMPLETED = "module_completed", _("Module completed")


class LearningEvent(CoopOwnedModel):
    """What a learner did, in a coop's space: one row per (learner, kind, module/activity).

    `learner_key` identifies the browser session (kept through sign-in); `user` is set
    once the learner signs in, which carries anonymous progress into the account.
    """

    learner_key = models.UUIDField(_("learner"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="+", verbose_name=_("module")
    )
    activity = models.ForeignKey(
        Activity,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activity"),
    )
    score = models.PositiveSmallIntegerField(_("score (%)"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("learning event")
        verbose_name_plural = _("learning events")
        indexes = [
            models.Index(fields=["coop", "user", "kind"], name="learning_event_user_idx"),
            models.Index(fields=["coop", "module", "kind"], name="learning_event_module_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["coop", "learner_key", "kind", "module", "activity"],
                name="learning_event_unique_activity",
                condition=models.Q(activity__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["coop", "learner_key", "kind", "module"],
                name="learning_event_unique_module",
                condition=models.Q(activity__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.module_id}"


def new_learner_key() -> uuid.UUID:
    return uuid.uuid4()
