import uuid

from django_scopes import ScopedManager

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coopculture.coops.branding import DEFAULT_COLOUR, readable_colour, validate_hex_colour
from coopculture.core.images import FORMATS as IMAGE_FORMATS
from coopculture.core.models import TimeStampedModel

IMAGE_EXTENSIONS = {*IMAGE_FORMATS.values(), "jpeg"}


class LegalForm(models.TextChoices):
    SCIC = "scic", _("SCIC d'HLM (cooperative of collective interest)")
    SCP = "scp", _("SCP d'HLM (production cooperative)")
    OTHER = "other", _("Other")


class Activity(models.TextChoices):
    """What a coop really does: it decides which MOOC modules and examples concern it."""

    ACCESSION_VEFA = "accession_vefa", _("Home sales off-plan (accession, VEFA)")
    PSLA = "psla", _("Rent-to-buy (PSLA)")
    BRS_OFS = "brs_ofs", _("Solidarity land lease (BRS / OFS)")
    GESTION_LOCATIVE = "gestion_locative", _("Rental management (gestion locative)")
    SYNDIC = "syndic", _("Co-ownership management (syndic)")
    HABITAT_PARTICIPATIF = "habitat_participatif", _("Participatory housing")


def coop_logo_path(instance: "Coop", filename: str) -> str:
    """An opaque name; the extension is the one core.images gave the re-encoded file (any
    other, such as `.html` from an uploaded name, is never kept)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in IMAGE_EXTENSIONS:
        extension = "bin"
    return f"coops/{instance.uuid}/logo-{uuid.uuid4().hex[:8]}.{extension}"


class Coop(TimeStampedModel):
    """A cooperative: the tenant. Everything a coop owns carries a foreign key to it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(
        _("address name"),
        max_length=40,
        unique=True,
        help_text=_("Used in the coop's web addresses, e.g. /c/coop-horizon/."),
    )
    legal_form = models.CharField(
        _("legal form"), max_length=10, choices=LegalForm.choices, default=LegalForm.SCP
    )
    activities = models.JSONField(_("activities"), default=list, blank=True)
    logo = models.ImageField(_("logo"), upload_to=coop_logo_path, blank=True)
    main_colour = models.CharField(
        _("main colour"), max_length=7, default=DEFAULT_COLOUR, validators=[validate_hex_colour]
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    postal_address = models.TextField(_("postal address"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    retention_years = models.PositiveSmallIntegerField(
        _("keep inactive members' data for (years)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_(
            "Members with no contact for this long are flagged, then anonymised a month later."
        ),
    )
    tracks_ag_email_consent = models.BooleanField(
        _("members may agree to receive general assembly notices by email"),
        default=False,
        help_text=_(
            "Turn on if your statutes allow convening the general assembly by email: "
            "members' agreement is then recorded and can be changed on their preferences page."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def printed_details(self) -> list[str]:
        """What printed pieces and PDFs show of the coop (name, colour, logo, contact
        details, and the activities that decide which examples apply), plus its last
        change: part of the keys under which what is printed for it is kept."""
        return [
            self.name,
            self.safe_colour,
            self.logo.name if self.logo else "",
            self.contact_phone,
            self.contact_email,
            self.postal_address,
            self.website,
            ",".join(sorted(self.activities or [])),
            str(self.updated_at),
        ]

    @property
    def safe_colour(self) -> str:
        """The main colour, darkened if needed so that white text on it stays readable."""
        return readable_colour(self.main_colour)

    def has_activity(self, activity: str) -> bool:
        return activity in (self.activities or [])

    def get_activities_display(self) -> list[str]:
        labels = dict(Activity.choices)
        return [str(labels[a]) for a in self.activities or [] if a in labels]


class CoopOwnedModel(models.Model):
    """Base for every row a coop owns: its own `coop` key and a fail-closed manager.

    Querying through `objects` outside `scope(coop=...)` raises ScopeError instead of
    returning every coop's rows; the coop middleware opens the scope on each request
    and `coops.tasks.coop_task` in each task. A system check refuses any model with
    a foreign key to Coop whose default manager is not scoped this way.
    """

    coop = models.ForeignKey(
        Coop, on_delete=models.PROTECT, related_name="+", verbose_name=_("cooperative")
    )

    objects = ScopedManager(coop="coop")

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    EDITOR = "editor", _("Editor")
    ANIMATEUR = "animateur", _("Facilitator (animateur)")


class Membership(CoopOwnedModel):
    """A staff role of a user in a coop."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedManager(coop="coop")

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["coop", "user"], name="coops_membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Invitation(CoopOwnedModel):
    """An invitation to join a coop's team, sent by email, valid for a limited time."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = ScopedManager(coop="coop")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class AuditEvent(CoopOwnedModel):
    """Who did what, when, in a coop (team changes, settings, federation access...)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("action"), max_length=80)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    objects = ScopedManager(coop="coop")

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.action
