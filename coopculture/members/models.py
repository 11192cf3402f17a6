"""A coop's members (coopérateurs), its housing programmes, consents and the audit trail.

The life-cycle stage of a member (réservataire, en chantier, livré, copropriétaire,
locataire) is never stored: selectors compute it from the programme's dates.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coopculture.coops.models import CoopOwnedModel


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    POST = "post", _("Post (letter)")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("Text message")


class ProfileKind(models.TextChoices):
    LOCATAIRE = "locataire", _("Tenant")
    ACCEDANT = "accedant", _("Home buyer")
    COPROPRIETAIRE = "coproprietaire", _("Co-owner")


class Stage(models.TextChoices):
    RESERVATAIRE = "reservataire", _("Reservation signed")
    EN_CHANTIER = "en_chantier", _("Under construction")
    LIVRE = "livre", _("Home delivered")
    COPROPRIETAIRE = "coproprietaire", _("Co-owner")
    LOCATAIRE = "locataire", _("Tenant")


class Member(CoopOwnedModel):
    """A coopérateur of one coop. Contact fields are optional: many have no email."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=80)
    last_name = models.CharField(_("last name"), max_length=80)
    email = models.EmailField(_("email address"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    postal_address = models.TextField(_("postal address"), max_length=300, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.POST
    )
    needs_large_print = models.BooleanField(_("large print"), default=False)
    needs_digital_help = models.BooleanField(_("help with digital tools"), default=False)
    accessibility_notes = models.TextField(_("other needs"), max_length=500, blank=True)
    external_ref = models.CharField(
        _("member number or client reference"),
        max_length=64,
        blank=True,
        help_text=_("Unique within the coop: imports update the member with this reference."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member_records",
        verbose_name=_("account"),
    )
    last_contact_at = models.DateTimeField(
        _("last contact from the member"), default=timezone.now, db_index=True
    )
    retention_flagged_at = models.DateTimeField(_("flagged as inactive"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["coop", "external_ref"],
                condition=~models.Q(external_ref=""),
                name="members_member_unique_ref",
            ),
        ]
        indexes = [
            models.Index(fields=["coop", "last_name", "first_name"], name="members_name_idx"),
            models.Index(fields=["coop", "email"], name="members_email_idx"),
            models.Index(fields=["coop", "preferred_channel"], name="members_channel_idx"),
        ]

    def __str__(self) -> str:
        if self.anonymised_at is not None:
            return str(_("Anonymised member"))
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None


class MemberProfile(CoopOwnedModel):
    """A period during which the member was a tenant, a buyer or a co-owner."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="profiles", verbose_name=_("member")
    )
    kind = models.CharField(_("profile"), max_length=20, choices=ProfileKind.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("member profile")
        verbose_name_plural = _("member profiles")
        ordering = ["start_date"]
        indexes = [models.Index(fields=["coop", "kind", "end_date"], name="members_profile_idx")]

    def __str__(self) -> str:
        return self.get_kind_display()


class ProgrammeKind(models.TextChoices):
    VEFA = "vefa", _("Off-plan sale (VEFA)")
    PSLA = "psla", _("Rent-to-buy (PSLA)")
    BRS = "brs", _("Solidarity land lease (BRS)")
    LOCATIF = "locatif", _("Rental")


class Programme(CoopOwnedModel):
    """A housing programme (opération) and the dates of its life cycle."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    town = models.CharField(_("town"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ProgrammeKind.choices)
    reservations_open_on = models.DateField(_("reservations open"), null=True, blank=True)
    works_start_on = models.DateField(_("works start"), null=True, blank=True)
    expected_delivery_on = models.DateField(_("expected delivery"), null=True, blank=True)
    delivered_on = models.DateField(_("actual delivery"), null=True, blank=True)
    coownership_created_on = models.DateField(_("co-ownership created"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("housing programme")
        verbose_name_plural = _("housing programmes")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["coop", "name"], name="members_programme_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class DeliveryDateChange(CoopOwnedModel):
    """Every change of a programme's expected delivery date, with its reason."""

    programme = models.ForeignKey(
        Programme,
        on_delete=models.CASCADE,
        related_name="delivery_changes",
        verbose_name=_("programme"),
    )
    previous_date = models.DateField(_("previous date"), null=True, blank=True)
    new_date = models.DateField(_("new date"))
    reason = models.TextField(_("reason"), max_length=500)
    changed_at = models.DateTimeField(_("changed on"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("delivery date change")
        verbose_name_plural = _("delivery date changes")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.previous_date} → {self.new_date}"


class ContractKind(models.TextChoices):
    RESERVATION = "reservation", _("Reservation")
    LEASE = "lease", _("Lease")


class Reservation(CoopOwnedModel):
    """How a member joins a programme: a reservation (buyers) or a lease (tenants)."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="reservations", verbose_name=_("member")
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="reservations",
        verbose_name=_("programme"),
    )
    kind = models.CharField(
        _("contract"), max_length=20, choices=ContractKind.choices, default=ContractKind.RESERVATION
    )
    signed_on = models.DateField(_("signed on"))
    lot_number = models.CharField(_("lot number"), max_length=20, blank=True)
    home_type = models.CharField(_("type of home"), max_length=20, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation or lease")
        verbose_name_plural = _("reservations and leases")
        ordering = ["-signed_on", "-id"]
        indexes = [models.Index(fields=["coop", "programme", "ended_on"], name="members_res_idx")]

    def __str__(self) -> str:
        return f"{self.member} – {self.programme}"


class Purpose(models.TextChoices):
    BULLETIN = "bulletin", _("Information bulletin")
    COOP_NEWS = "coop_news", _("Coop news")
    SESSIONS = "sessions", _("Invitations to sessions")
    AG_ELECTRONIC = "ag_electronic", _("General assembly notices by email")


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest")
    MEMBERSHIP = "membership", _("Membership of the coop")


class ConsentSource(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    PAPER = "paper", _("Paper form")
    PHONE = "phone", _("Phone call")
    IMPORT = "import", _("Import")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")


class ConsentRecord(CoopOwnedModel):
    """The consent ledger: rows are only added; the latest per purpose is in force."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="consents", verbose_name=_("member")
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    legal_basis = models.CharField(_("legal basis"), max_length=30, choices=LegalBasis.choices)
    source = models.CharField(_("source"), max_length=20, choices=ConsentSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded on"), default=timezone.now, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["coop", "member", "purpose", "recorded_at"], name="members_consent_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {self.granted}"


class ColumnMapping(CoopOwnedModel):
    """The last column mapping a coop used for an import, reused as the next guess."""

    headers_signature = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("import column mapping")
        verbose_name_plural = _("import column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["coop", "headers_signature"], name="members_mapping_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.headers_signature


def private_storage():
    """Files with personal data (imports, exports): never under the public MEDIA_URL."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.PRIVATE_ROOT, base_url=None)


class ImportStatus(models.TextChoices):
    ANALYSING = "analysing", _("Being analysed")
    UPLOADED = "uploaded", _("Uploaded")
    MAPPED = "mapped", _("Columns chosen")
    CHECKING = "checking", _("Being checked")
    QUEUED = "queued", _("Waiting to run")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Refused: nothing was changed")


class MemberImport(CoopOwnedModel):
    """One CSV or XLSX import, from upload to report (all or nothing)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(_("file"), storage=private_storage, upload_to="imports/")
    original_name = models.CharField(_("file name"), max_length=200)
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("separator"), max_length=5, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)  # XLSX: the sheet read
    header_row = models.PositiveIntegerField(_("row of the column names"), default=1)
    # What the analysis and the check found beyond errors: the sheets of the workbook,
    # warnings (formulas never calculated, shared addresses), the channel of each member.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    headers = models.JSONField(_("columns"), default=list, blank=True)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("members created"), default=0)
    updated_count = models.PositiveIntegerField(_("members updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("members unchanged"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class MemberListVersion(CoopOwnedModel):
    """A counter bumped by every write that can change who is in a member list (members,
    profiles, reservations, programmes, consents). The list caches its counts under it, so
    that a count is computed once per change instead of on every page (selectors)."""

    version = models.PositiveBigIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("member list version")
        verbose_name_plural = _("member list versions")
        constraints = [models.UniqueConstraint(fields=["coop"], name="members_list_version_unique")]

    def __str__(self) -> str:
        return f"{self.coop_id}: {self.version}"
