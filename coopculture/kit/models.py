"""Spreading the MOOC: tracked links per channel, their daily counts, the print kit.

Links are coop-owned rows with a globally unique short code (`/l/<code>` carries no coop
slug: it must fit on a poster). Their target is stored as a kind plus the global content's
slug and position, never as a URL, so that it stays editable after printing and always
resolves inside the link's own coop.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coopculture.coops.models import CoopOwnedModel
from coopculture.members.models import private_storage


class Channel(models.TextChoices):
    WEBSITE = "site", _("Website")
    INTRANET = "intranet", _("Intranet")
    NEWSLETTER = "newsletter", _("Newsletter")
    MAILING = "mailing", _("Mailing")
    SOCIAL = "reseaux", _("Social networks")
    FLYER = "flyer", _("Flyer")
    POSTER = "affiche", _("Poster")
    BOOKLET = "livret", _("Welcome booklet")
    GENERAL_ASSEMBLY = "ag", _("General assembly")
    OTHER = "autre", _("Other")


class TargetKind(models.TextChoices):
    LANDING = "landing", _("The coop's MOOC page")
    MODULE = "module", _("A module")
    ACTIVITY = "activity", _("An activity")


class TrackedLink(CoopOwnedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("short code"), max_length=16, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    label = models.CharField(_("name"), max_length=120)
    target_kind = models.CharField(
        _("target"), max_length=20, choices=TargetKind.choices, default=TargetKind.LANDING
    )
    module_slug = models.SlugField(_("module"), max_length=80, blank=True)
    activity_position = models.PositiveSmallIntegerField(_("activity"), null=True, blank=True)
    # Links the print kit makes for its own pieces ("flyer", "poster-a4", "booklet:accedant",
    # "booklet:accedant:<module>:<position>"): one per coop and piece, reused at each build.
    piece = models.CharField(_("printed piece"), max_length=120, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tracked link")
        verbose_name_plural = _("tracked links")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["coop", "piece"],
                condition=~models.Q(piece=""),
                name="kit_link_piece_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} (/l/{self.code})"


class LinkDailyCount(CoopOwnedModel):
    """Visits through a link on one day: a counter, no visitor data at all."""

    link = models.ForeignKey(
        TrackedLink, on_delete=models.CASCADE, related_name="daily_counts", verbose_name=_("link")
    )
    day = models.DateField(_("day"))
    visits = models.PositiveIntegerField(_("visits"), default=0)

    class Meta:
        verbose_name = _("daily visit count")
        verbose_name_plural = _("daily visit counts")
        constraints = [
            models.UniqueConstraint(fields=["link", "day"], name="kit_count_link_day_unique"),
        ]
        indexes = [models.Index(fields=["coop", "day"], name="kit_count_coop_day_idx")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.day}: {self.visits}"


class AccountSource(CoopOwnedModel):
    """The first link through which an account came to this coop's MOOC (all devices)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("account"),
    )
    source = models.CharField(_("source"), max_length=40)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account source")
        verbose_name_plural = _("account sources")
        constraints = [
            models.UniqueConstraint(fields=["coop", "user"], name="kit_account_source_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.source}"


class KitSettings(CoopOwnedModel):
    """The few texts a coop may write on its printed pieces, with limits that keep every
    layout whole even with the longest coop names allowed."""

    TAGLINE_MAX = 90
    MESSAGE_MAX = 320
    WELCOME_MAX = 900

    tagline = models.CharField(_("tagline"), max_length=TAGLINE_MAX, blank=True)
    message = models.TextField(_("message"), max_length=MESSAGE_MAX, blank=True)
    welcome_text = models.TextField(
        _("welcome text of the booklet"), max_length=WELCOME_MAX, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("kit texts")
        verbose_name_plural = _("kit texts")
        constraints = [models.UniqueConstraint(fields=["coop"], name="kit_settings_unique")]

    def __str__(self) -> str:
        return str(self.coop_id)


class KitBatch(models.Model):
    """The federation's request to build the kit of every coop (not coop-owned)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("kit batch")
        verbose_name_plural = _("kit batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return str(self.public_id)


class BuildStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def kit_archive_path(instance, filename: str) -> str:
    return f"kit/{instance.coop_id}/{instance.public_id}/{filename}"


class KitBuild(CoopOwnedModel):
    """One "whole kit" ZIP, built by a background task; the history staff see."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(
        KitBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="builds",
        verbose_name=_("batch"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=BuildStatus.choices, default=BuildStatus.QUEUED
    )
    pieces_done = models.PositiveSmallIntegerField(_("pieces done"), default=0)
    pieces_total = models.PositiveSmallIntegerField(_("pieces in all"), default=0)
    # Private: served only through the kit's permission-checked download view.
    archive = models.FileField(
        _("archive"), upload_to=kit_archive_path, storage=private_storage, blank=True
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("kit build")
        verbose_name_plural = _("kit builds")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["coop", "-created_at"], name="kit_build_coop_idx")]

    def __str__(self) -> str:
        return f"{self.coop_id} {self.created_at:%Y-%m-%d %H:%M}"
