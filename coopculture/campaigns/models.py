"""Mail to members: templates and their frozen versions, sends, the send ledger,
suppressions, rates, life-cycle automations, the monthly bulletin and letters.

The ledger (`Recipient`) is the heart: one row per (send, member), created before anything
is sent, unique, so that a member can never get the same send twice. A worker claims rows,
hands each message to SMTP and marks it sent right after the server accepts it: a worker
killed at any moment loses nothing and repeats at most the one message in flight.
See campaigns/sending.py and docs/decisions/0011-campaign-sending.md.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coopculture.coops.models import CoopOwnedModel
from coopculture.members.models import Member, Purpose, private_storage


class SendKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    AUTOMATION = "automation", _("Automation")
    BULLETIN = "bulletin", _("Monthly bulletin")
    TEST = "test", _("Test send")


class AutomationKind(models.TextChoices):
    WELCOME = "welcome", _("Welcome on reservation")
    DELIVERY_POSTPONED = "delivery_postponed", _("Delivery postponed")
    DELIVERED = "delivered", _("Delivered, now co-owner")
    AG_REMINDER = "ag_reminder", _("Yearly general assembly reminder")


class Message(CoopOwnedModel):
    """The text staff edit (a campaign's, an automation's, the bulletin's).

    Never sent as it is: sending freezes it into a MessageVersion (campaigns.rendering).
    `blocks` are MOOC items placed after the body, each a dict with a "type":
      {"type": "video", "module": "<slug>", "position": 2}      a video card (poster, link)
      {"type": "testimonial", "module": "<slug>", "position": 4} a testimonial quote
      {"type": "leaflet", "module": "<slug>", "position": 5}    a leaflet link
      {"type": "next_module"}          the member's next module (per member)
      {"type": "next_item"}            the next video/testimonial the member has neither
                                       seen nor been sent (per member: the bulletin)
      {"type": "link", "url": "...", "label": "..."}            any other link (tracked)
      {"type": "news"}                 the coop's news of the month (bulletin)
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=SendKind.choices)
    automation_kind = models.CharField(
        _("automation"), max_length=30, choices=AutomationKind.choices, blank=True
    )
    name = models.CharField(_("name"), max_length=120)
    subject = models.CharField(_("subject"), max_length=150)
    preheader = models.CharField(
        _("preview text"),
        max_length=150,
        blank=True,
        help_text=_("Shown by most mail programs after the subject."),
    )
    body = models.TextField(
        _("text"),
        max_length=10000,
        help_text=_(
            "Paragraphs separated by a blank line. {first_name} is replaced by the "
            "member's first name."
        ),
    )
    letter_body = models.TextField(
        _("text of the letter"),
        max_length=10000,
        blank=True,
        help_text=_(
            "For members who prefer the post: the same news in the words of a letter (no "
            "“reply to this email”, no “below”: the code to scan is at the bottom of the "
            "page). Empty: the letter prints the email's text."
        ),
    )
    blocks = models.JSONField(_("MOOC content"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("email text")
        verbose_name_plural = _("email texts")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name


class MessageVersion(CoopOwnedModel):
    """A message as it was sent: content, branding, and the rendered, CSS-inlined HTML and
    plain text with per-member placeholders ([[cc:name]]), computed once per version."""

    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, related_name="versions", verbose_name=_("text")
    )
    number = models.PositiveIntegerField(_("version"))
    content_hash = models.CharField(max_length=64, editable=False)
    subject = models.CharField(_("subject"), max_length=150)
    preheader = models.CharField(_("preview text"), max_length=150, blank=True)
    body = models.TextField(_("text"), max_length=10000)
    letter_body = models.TextField(_("text of the letter"), max_length=10000, blank=True)
    blocks = models.JSONField(_("MOOC content"), default=list, blank=True)
    branding = models.JSONField(default=dict, editable=False)  # name, colour, logo URL
    html = models.TextField(editable=False)  # inlined once; placeholders filled per member
    text = models.TextField(editable=False)
    fragments = models.JSONField(default=dict, editable=False)  # per-member items, inlined
    links = models.JSONField(default=dict, editable=False)  # link code -> target URL
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("email version")
        verbose_name_plural = _("email versions")
        ordering = ["message", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "number"], name="campaigns_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message} v{self.number}"


class SendStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Send(CoopOwnedModel):
    """One campaign, or one occurrence of an automation or of the monthly bulletin.

    `segment` is the members filter (members.selectors.member_list's filters, plus the
    campaigns' learning filters: "not_started_module", "not_completed_module"); the ledger
    is built from it once, when sending starts (campaigns.services.send_start).
    `occurrence_key` makes automation and bulletin occurrences unique per coop
    ("bulletin:2026-11", "automation:welcome:2026-11-26").
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=SendKind.choices)
    automation_kind = models.CharField(
        _("automation"), max_length=30, choices=AutomationKind.choices, blank=True
    )
    occurrence_key = models.CharField(max_length=80, blank=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    message = models.ForeignKey(
        Message, on_delete=models.PROTECT, related_name="sends", verbose_name=_("text")
    )
    version = models.ForeignKey(
        MessageVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sends",
        verbose_name=_("version sent"),
    )
    purpose = models.CharField(
        _("consent needed"),
        max_length=20,
        choices=Purpose.choices,
        default=Purpose.COOP_NEWS,
        help_text=_(
            "Only members who agreed to this receive it; the unsubscribe link withdraws it."
        ),
    )
    segment = models.JSONField(_("recipients"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SendStatus.choices, default=SendStatus.DRAFT
    )
    paused_reason = models.CharField(_("why paused"), max_length=200, blank=True)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True)
    started_at = models.DateTimeField(_("started on"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished on"), null=True, blank=True)
    # When a worker should next touch this send (a batch's lease, or a delayed run): past
    # it, the tick assumes the worker died and enqueues another one (campaigns.tasks).
    worker_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("send")
        verbose_name_plural = _("sends")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["coop", "occurrence_key"],
                condition=~models.Q(occurrence_key=""),
                name="campaigns_send_unique_occurrence",
            ),
        ]
        indexes = [models.Index(fields=["coop", "status"], name="campaigns_send_status_idx")]

    def __str__(self) -> str:
        return self.name


class RecipientState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")
    SUPPRESSED = "suppressed", _("Not sent: address on the suppression list")
    LETTER = "letter", _("Letter to print")
    NO_EMAIL = "no_email", _("Not sent: no email address")
    NO_CONSENT = "no_consent", _("Not sent: no consent")


# States that will not change any more (the worker's work is over for these rows).
FINAL_STATES = frozenset(
    {
        RecipientState.SENT,
        RecipientState.FAILED,
        RecipientState.BOUNCED,
        RecipientState.SUPPRESSED,
        RecipientState.LETTER,
        RecipientState.NO_EMAIL,
        RecipientState.NO_CONSENT,
    }
)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class LetterBatch(CoopOwnedModel):
    """The printable letters of one send: one PDF gathering one A4 letter per member."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    send = models.ForeignKey(
        Send, on_delete=models.CASCADE, related_name="letter_batches", verbose_name=_("send")
    )
    file = models.FileField(_("PDF"), storage=private_storage, upload_to="letters/", blank=True)
    letter_count = models.PositiveIntegerField(_("letters"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    printed_at = models.DateTimeField(_("printed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("letter batch")
        verbose_name_plural = _("letter batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.send} ({self.letter_count})"


class Recipient(CoopOwnedModel):
    """The send ledger: one row per (send, member), never two."""

    send = models.ForeignKey(
        Send, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("send")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    email = models.EmailField(_("email address"), blank=True)  # the address used
    state = models.CharField(
        _("state"), max_length=20, choices=RecipientState.choices, default=RecipientState.QUEUED
    )
    # Unique per message; also its Message-ID (<key@domain>) and the click links' key.
    idempotency_key = models.CharField(
        max_length=32, unique=True, default=new_idempotency_key, editable=False
    )
    variables = models.JSONField(default=dict, blank=True)  # per-member items (next video…)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent on"), null=True, blank=True)
    click_count = models.PositiveIntegerField(_("clicks"), default=0)
    first_clicked_at = models.DateTimeField(_("first click"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed on"), null=True, blank=True)
    letter_batch = models.ForeignKey(
        LetterBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recipients",
        verbose_name=_("letters"),
    )

    class Meta:
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        ordering = ["send", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["send", "member"], name="campaigns_recipient_unique_member"
            ),
        ]
        indexes = [
            models.Index(
                fields=["send", "state", "next_attempt_at"], name="campaigns_rcpt_due_idx"
            ),
            models.Index(fields=["coop", "sent_at"], name="campaigns_rcpt_sent_idx"),
            models.Index(fields=["coop", "member"], name="campaigns_rcpt_member_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.send} → {self.member_id} ({self.state})"


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", _("Address refused by the server")
    COMPLAINT = "complaint", _("Marked as spam")
    MANUAL = "manual", _("Added by staff")


class Suppression(CoopOwnedModel):
    """An address the coop never mails again in bulk. Only a hash of it is kept, so the
    list survives a member's erasure without keeping the address itself."""

    email_hash = models.CharField(max_length=64)
    reason = models.CharField(_("reason"), max_length=20, choices=SuppressionReason.choices)
    source = models.CharField(_("source"), max_length=40)  # "smtp", "webhook:<provider>", "staff"
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("added on"), default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["coop", "email_hash"], name="campaigns_suppression_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email_hash[:10]}… ({self.reason})"


class SendRateSettings(CoopOwnedModel):
    """How fast a coop's bulk mail may leave (its provider's limits). Reaching a limit
    pauses sending until the next second or day: nothing is dropped."""

    per_second = models.PositiveIntegerField(
        _("messages per second"), default=20, validators=[MinValueValidator(1)]
    )
    per_day = models.PositiveIntegerField(
        _("messages per day"), default=50000, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sending rate")
        verbose_name_plural = _("sending rates")
        constraints = [
            models.UniqueConstraint(fields=["coop"], name="campaigns_rate_unique_coop"),
        ]

    def __str__(self) -> str:
        return f"{self.per_second}/s, {self.per_day}/d"


class AutomationSetting(CoopOwnedModel):
    """A life-cycle automation of one coop: on or off, and its editable text."""

    kind = models.CharField(_("automation"), max_length=30, choices=AutomationKind.choices)
    enabled = models.BooleanField(_("on"), default=False)
    message = models.ForeignKey(
        Message,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("text"),
    )
    # The yearly general assembly reminder (c2): the date of the coop's next general
    # assembly, and how many days before it the reminder leaves.
    event_date = models.DateField(_("date of the general assembly"), null=True, blank=True)
    days_before = models.PositiveSmallIntegerField(
        _("days before"), default=30, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    # The text members get (docs/decisions/0014): `message` is what staff edit; an edit by
    # someone who may not approve waits here until an admin approves it. {"subject",
    # "preheader", "body", "blocks", "hash"} (campaigns.approvals).
    approved_text = models.JSONField(default=dict, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        constraints = [
            models.UniqueConstraint(fields=["coop", "kind"], name="campaigns_automation_unique"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class AutomationOccurrence(CoopOwnedModel):
    """At most once per member per event: the unique key is (member, kind, event_key),
    e.g. ("welcome", "reservation:<id>"), ("delivery_postponed", "change:<id>"),
    ("ag_reminder", "ag:2027")."""

    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    kind = models.CharField(_("automation"), max_length=30, choices=AutomationKind.choices)
    event_key = models.CharField(max_length=80)
    send = models.ForeignKey(
        Send, on_delete=models.CASCADE, related_name="occurrences", verbose_name=_("send")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("automation occurrence")
        verbose_name_plural = _("automation occurrences")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "event_key"], name="campaigns_occurrence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_key}"


class BulletinSettings(CoopOwnedModel):
    """The monthly bulletin of a coop: on or off, and the day of the month it leaves."""

    enabled = models.BooleanField(_("on"), default=False)
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    message = models.ForeignKey(
        Message,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("text"),
    )
    # The text members get (docs/decisions/0014): `message` is what staff edit; an edit by
    # someone who may not approve waits here until an admin approves it. {"subject",
    # "preheader", "body", "blocks", "hash"} (campaigns.approvals).
    approved_text = models.JSONField(default=dict, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("bulletin settings")
        verbose_name_plural = _("bulletin settings")
        constraints = [
            models.UniqueConstraint(fields=["coop"], name="campaigns_bulletin_unique_coop"),
        ]

    def __str__(self) -> str:
        return str(self.day_of_month)


class BulletinNews(CoopOwnedModel):
    """The coop's news of one month, written once by staff, in every bulletin of that month."""

    month = models.DateField(_("month"))  # the first day of the month
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text"), max_length=3000)
    link_url = models.URLField(_("link"), blank=True)
    link_label = models.CharField(_("link text"), max_length=100, blank=True)
    # The news members get: {"title", "body", "link_url", "link_label", "hash"}, set when an
    # admin approves it (campaigns.approvals); an editor's change waits until then.
    approved = models.JSONField(default=dict, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("news of the month")
        verbose_name_plural = _("news of the month")
        ordering = ["-month", "id"]
        indexes = [models.Index(fields=["coop", "month"], name="campaigns_news_month_idx")]

    def __str__(self) -> str:
        return self.title


class LinkClicks(CoopOwnedModel):
    """Clicks per tracked link of a send (per recipient counts are on Recipient)."""

    send = models.ForeignKey(
        Send, on_delete=models.CASCADE, related_name="link_clicks", verbose_name=_("send")
    )
    code = models.CharField(max_length=40)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)

    class Meta:
        verbose_name = _("link clicks")
        verbose_name_plural = _("link clicks")
        constraints = [
            models.UniqueConstraint(fields=["send", "code"], name="campaigns_clicks_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.clicks}"
