"""Writes of the campaigns domain: versions, the ledger, suppressions, unsubscribes, clicks.

c2 (staff pages, automations, bulletin, letters) builds on these:
  version_freeze(message=...)            -> MessageVersion (reused while nothing changed)
  send_start(coop=, send=, members=...)  -> builds the ledger, sets SENDING, enqueues the worker
  suppression_add / is_suppressed / email_hash
  send_pause / send_resume               -> stop at the next batch / carry on from the ledger
  unsubscribe(coop=, recipient=)         -> consent withdrawal through members.services
  click_record(...)                      -> counts a click, returns the target URL
"""

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext as _

from coopculture.campaigns import rendering, selectors
from coopculture.campaigns.models import (
    LinkClicks,
    Message,
    MessageVersion,
    Recipient,
    RecipientState,
    Send,
    SendKind,
    SendStatus,
    Suppression,
    SuppressionReason,
)
from coopculture.coops.scoping import ensure_same_coop
from coopculture.coops.services import audit_log
from coopculture.members.models import Channel, ConsentRecord, ConsentSource, Member
from coopculture.members.services import consent_record

LEDGER_CHUNK = 2000


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


# --- Versions ------------------------------------------------------------------------------


@transaction.atomic
def version_freeze(*, message: Message, actor=None, news=None) -> MessageVersion:
    """The version to send of `message`: the latest one if nothing changed since (content
    and branding), else a new one, rendered and CSS-inlined here, once."""
    coop = message.coop
    branding = rendering.branding_of(coop)
    digest = rendering.content_hash(message, branding, news.pk if news is not None else None)
    latest = MessageVersion.objects.filter(coop=coop, message=message).order_by("-number").first()
    if latest is not None and latest.content_hash == digest:
        return latest
    parts = rendering.render_version_content(
        coop=coop,
        subject=message.subject,
        preheader=message.preheader,
        body=message.body,
        blocks=message.blocks,
        news=news,
    )
    return MessageVersion.objects.create(
        coop=coop,
        message=message,
        number=(latest.number + 1) if latest else 1,
        content_hash=digest,
        subject=parts["subject"],
        preheader=message.preheader,
        body=message.body,
        letter_body=message.letter_body,
        blocks=message.blocks,
        branding=parts["branding"],
        html=parts["html"],
        text=parts["text"],
        fragments=parts["fragments"],
        links=parts["links"],
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


# --- Suppression ---------------------------------------------------------------------------


def suppression_add(*, coop, email: str, reason: str, source: str, detail: str = "") -> bool:
    """Never mail this address again in bulk (True if it was not listed yet)."""
    try:
        with transaction.atomic():
            Suppression.objects.create(
                coop=coop,
                email_hash=email_hash(email),
                reason=reason,
                source=source[:40],
                detail=detail[:300],
            )
    except IntegrityError:
        return False
    return True


def suppressed_hashes(*, coop) -> set[str]:
    return set(Suppression.objects.filter(coop=coop).values_list("email_hash", flat=True))


def is_suppressed(*, coop, email: str) -> bool:
    return Suppression.objects.filter(coop=coop, email_hash=email_hash(email)).exists()


# --- The ledger ----------------------------------------------------------------------------


def _refused(send: Send, consent: bool | None) -> bool:
    """Campaigns and bulletins need the member's consent to the send's purpose (opt-in).
    Life-cycle automations tell members about their own home and membership (a reservation,
    a delivery date that moves, the co-ownership, the general assembly): they rest on the
    membership relationship (DOMAIN.md §5), so they reach every member who has not said no;
    an unsubscribe from one of them records that no. Test sends go to staff only."""
    if send.kind == SendKind.TEST:
        return False
    if send.kind == SendKind.AUTOMATION:
        return consent is False
    return not consent


def ledger_build(*, coop, send: Send, members) -> dict[str, int]:
    """One ledger row per member of `members` (a queryset), created in bulk chunks. Rows
    that already exist are kept as they are (unique (send, member)): building twice adds
    nothing. The state says what will happen: queued for email, letter for members whose
    channel is the post, or why nothing is sent (no consent, no email, suppressed).

    One message per address: members sharing an address (a couple, or the same person
    recorded twice, case aside) get one row, the member with the smallest id; the others
    get none and are counted under "duplicate_email". Rows come ordered by address, so
    this needs no memory beyond the previous address, and a rebuild skips the same ones."""
    ensure_same_coop(coop, send)
    latest = ConsentRecord.objects.filter(member=OuterRef("pk"), purpose=send.purpose).order_by(
        "-recorded_at", "-id"
    )
    queryset = (
        members.annotate(_consent=Subquery(latest.values("granted")[:1]))
        .annotate(_address=Lower(Trim("email")))
        .order_by("_address", "id")
        .values("id", "email", "preferred_channel", "user_id", "_consent", "_address")
    )
    suppressed = suppressed_hashes(coop=coop)
    counts: dict[str, int] = {}
    now = timezone.now()
    rows = []
    last_queued = [""]

    def flush():
        variables = selectors.member_variables(
            coop=coop, version=send.version, rows=rows, exclude_send=send
        )
        objects = []
        for row in rows:
            email = row["email"] or ""
            if _refused(send, row["_consent"]):
                state = RecipientState.NO_CONSENT
            elif row["preferred_channel"] == Channel.POST:
                state = RecipientState.LETTER
            elif not email:
                state = RecipientState.NO_EMAIL
            elif email_hash(email) in suppressed:
                state = RecipientState.SUPPRESSED
            elif row["_address"] == last_queued[0]:
                counts["duplicate_email"] = counts.get("duplicate_email", 0) + 1
                continue  # this address already gets the message
            else:
                state = RecipientState.QUEUED
                last_queued[0] = row["_address"]
            counts[state] = counts.get(state, 0) + 1
            objects.append(
                Recipient(
                    coop=coop,
                    send=send,
                    member_id=row["id"],
                    email=email,
                    state=state,
                    variables=variables.get(row["id"], {}),
                    created_at=now,
                    idempotency_key=rendering_key(),
                )
            )
        with transaction.atomic():
            Recipient.objects.bulk_create(objects, batch_size=500, ignore_conflicts=True)
        rows.clear()

    for row in queryset.iterator(chunk_size=LEDGER_CHUNK):
        rows.append(row)
        if len(rows) >= LEDGER_CHUNK:
            flush()
    if rows:
        flush()
    return counts


def rendering_key() -> str:
    from coopculture.campaigns.models import new_idempotency_key

    return new_idempotency_key()


def send_start(*, coop, send: Send, members=None, actor=None, news=None) -> dict[str, int]:
    """Freeze the version, build the ledger from the segment (or `members`), mark the send
    SENDING and enqueue the worker (after commit). Idempotent: a send already started is
    only re-enqueued."""
    from coopculture.campaigns import segments, tasks

    ensure_same_coop(coop, send)
    counts: dict[str, int] = {}
    with transaction.atomic():
        locked = Send.objects.select_for_update().get(pk=send.pk, coop=coop)
        if locked.status in {SendStatus.DONE, SendStatus.CANCELLED}:
            return counts
        if locked.version_id is None:
            locked.version = version_freeze(message=locked.message, actor=actor, news=news)
            locked.save(update_fields=["version"])
        send.version = locked.version
    if members is None:
        members = segments.segment_members(coop=coop, segment=send.segment or {})
    counts = ledger_build(coop=coop, send=send, members=members)
    now = timezone.now()
    Send.objects.filter(pk=send.pk).exclude(
        status__in=[SendStatus.DONE, SendStatus.CANCELLED, SendStatus.PAUSED]
    ).update(status=SendStatus.SENDING, worker_due_at=now)
    Send.objects.filter(pk=send.pk, started_at__isnull=True).update(started_at=now)
    send.refresh_from_db()
    transaction.on_commit(lambda: tasks.enqueue_send(coop_id=coop.pk, send_id=send.pk))
    return counts


def send_pause(*, coop, send: Send, reason: str = "") -> bool:
    """Stop a send that is going out; takes effect at the worker's next batch (at most
    CAMPAIGNS_BATCH_SIZE more messages). True when it was sending."""
    ensure_same_coop(coop, send)
    return bool(
        Send.objects.filter(pk=send.pk, coop=coop, status=SendStatus.SENDING).update(
            status=SendStatus.PAUSED, paused_reason=reason[:200]
        )
    )


def send_resume(*, coop, send: Send) -> bool:
    """Carry on a paused send where it stopped (the ledger says where)."""
    from coopculture.campaigns import tasks

    ensure_same_coop(coop, send)
    resumed = Send.objects.filter(pk=send.pk, coop=coop, status=SendStatus.PAUSED).update(
        status=SendStatus.SENDING, paused_reason="", worker_due_at=timezone.now()
    )
    if resumed:
        transaction.on_commit(lambda: tasks.enqueue_send(coop_id=coop.pk, send_id=send.pk))
    return bool(resumed)


# --- Unsubscribe and clicks ----------------------------------------------------------------


def recipient_by_key(*, coop, key: str) -> Recipient | None:
    return (
        Recipient.objects.filter(coop=coop, idempotency_key=key)
        .select_related("send", "member")
        .first()
    )


def unsubscribe_max_age() -> dt.timedelta:
    days = getattr(settings, "CAMPAIGNS_UNSUBSCRIBE_MAX_AGE_DAYS", 730)
    return dt.timedelta(days=days)


def unsubscribe_link_alive(*, recipient: Recipient, now=None) -> bool:
    """The unsubscribe link of this ledger row still works: within
    CAMPAIGNS_UNSUBSCRIBE_MAX_AGE_DAYS (two years) of its email leaving. Every later email
    carries a fresh link, so a member still receiving mail always holds a live one."""
    now = now or timezone.now()
    sent = recipient.sent_at or recipient.created_at
    return sent is not None and now - sent <= unsubscribe_max_age()


@transaction.atomic
def unsubscribe(*, coop, recipient: Recipient) -> bool:
    """Withdraw the consent this send relied on (source: unsubscribe link), at once, for
    the recipient's member and every other member of the coop with the same address (a
    send reaches an address once: its unsubscribe speaks for the mailbox).
    True when something changed."""
    ensure_same_coop(coop, recipient)
    members = [recipient.member]
    address = (recipient.email or recipient.member.email or "").strip().lower()
    if address:
        members += list(
            Member.objects.filter(coop=coop)
            .annotate(_address=Lower(Trim("email")))
            .filter(_address=address)
            .exclude(pk=recipient.member_id)
            .order_by("id")
        )
    purpose = recipient.send.purpose
    ids = [member.pk for member in members]
    before = ConsentRecord.objects.filter(coop=coop, member_id__in=ids, purpose=purpose).count()
    for member in members:
        consent_record(
            coop=coop,
            member=member,
            purpose=purpose,
            granted=False,
            source=ConsentSource.UNSUBSCRIBE,
            note=f"{recipient.send.name}"[:200],
        )
    changed = (
        ConsentRecord.objects.filter(coop=coop, member_id__in=ids, purpose=purpose).count()
        != before
    )
    Recipient.objects.filter(pk=recipient.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=timezone.now()
    )
    return changed


def click_record(*, coop, recipient: Recipient, code: str) -> str | None:
    """Count one click on link `code` of the recipient's send; the target URL (None if the
    code is unknown). No cookie, nothing but counters."""
    version = recipient.send.version
    target = (version.links or {}).get(code) if version else None
    if target is None:
        return None
    now = timezone.now()
    Recipient.objects.filter(pk=recipient.pk).update(click_count=F("click_count") + 1)
    Recipient.objects.filter(pk=recipient.pk, first_clicked_at__isnull=True).update(
        first_clicked_at=now
    )
    updated = LinkClicks.objects.filter(coop=coop, send=recipient.send, code=code).update(
        clicks=F("clicks") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                LinkClicks.objects.create(coop=coop, send=recipient.send, code=code, clicks=1)
        except IntegrityError:
            LinkClicks.objects.filter(coop=coop, send=recipient.send, code=code).update(
                clicks=F("clicks") + 1
            )
    return target


def bounce_record(
    *,
    coop,
    email: str,
    source: str,
    detail: str = "",
    message_id: str = "",
    complaint: bool = False,
) -> None:
    """A provider said this address bounced or complained: suppress it; mark the ledger row
    of that message (found by its Message-ID) bounced."""
    reason = SuppressionReason.COMPLAINT if complaint else SuppressionReason.HARD_BOUNCE
    suppression_add(coop=coop, email=email, reason=reason, source=source, detail=detail)
    key = message_id.strip("<>").partition("@")[0]
    if key:
        Recipient.objects.filter(coop=coop, idempotency_key=key).update(
            state=RecipientState.BOUNCED, last_error=detail[:300]
        )


def day_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


# --- Approval of one frozen version ----------------------------------------------------------


class ApprovalError(Exception):
    """What was approved is not what awaits approval any more (a French message says why)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def review_hash(*, send: Send, version: MessageVersion) -> str:
    """What the approving admin reviews, in one value: the frozen version (id and content),
    the recipients and the consent the send relies on. The approval form posts it back."""
    payload = json.dumps(
        [version.pk, version.content_hash, send.segment or {}, send.purpose],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@transaction.atomic
def campaign_submit(*, coop, send: Send, actor) -> bool:
    """Draft -> awaiting approval, with its text frozen now into the version the admin
    will review (and that will leave). False when it was not a draft."""
    ensure_same_coop(coop, send)
    locked = Send.objects.select_for_update().filter(pk=send.pk, coop=coop).first()
    if locked is None or locked.kind != SendKind.CAMPAIGN or locked.status != SendStatus.DRAFT:
        return False
    locked.version = version_freeze(message=locked.message, actor=actor)
    locked.status = SendStatus.AWAITING_APPROVAL
    locked.save(update_fields=["version", "status"])
    send.version, send.status = locked.version, locked.status
    return True


def version_under_review(*, coop, send: Send) -> MessageVersion:
    """The frozen version of a send awaiting approval. Sends submitted before versions were
    frozen at submission get theirs now (once: the same content gives the same version)."""
    ensure_same_coop(coop, send)
    if send.version_id is None:
        with transaction.atomic():
            version = version_freeze(message=send.message)
            Send.objects.filter(pk=send.pk, coop=coop, version__isnull=True).update(version=version)
        send.refresh_from_db(fields=["version"])
    return send.version


@transaction.atomic
def campaign_approve(
    *, coop, send: Send, actor, version_id, review: str, scheduled_at=None
) -> Send:
    """Approve exactly the version the admin reviewed (`version_id`, `review` from the
    approval page): if the campaign changed since (text, recipients, consent), refuse and
    change nothing. Starts sending now, or schedules it."""
    from coopculture.campaigns import automations

    ensure_same_coop(coop, send)
    locked = (
        Send.objects.select_for_update(of=("self",))
        .select_related("version")
        .filter(pk=send.pk, coop=coop)
        .first()
    )
    if locked is None or locked.status != SendStatus.AWAITING_APPROVAL:
        raise ApprovalError(_("This send is not awaiting approval."))
    version = locked.version
    if (
        version is None
        or str(version.pk) != str(version_id or "")
        or review_hash(send=locked, version=version) != (review or "")
    ):
        shown = None
        if str(version_id or "").isdigit():
            shown = MessageVersion.objects.filter(
                coop=coop, message=locked.message, pk=int(version_id)
            ).first()
        if version is not None and shown is not None and shown.pk != version.pk:
            raise ApprovalError(
                _(
                    "The text changed after this page was shown to you (version %(shown)s, "
                    "now version %(current)s): nothing was approved. Check the new version "
                    "below, then approve it."
                )
                % {"shown": shown.number, "current": version.number}
            )
        raise ApprovalError(
            _(
                "The campaign changed after this page was shown to you (its text, its "
                "recipients or the consent it needs): nothing was approved. Check it again "
                "below, then approve it."
            )
        )
    locked.approved_by = actor
    locked.approved_at = timezone.now()
    locked.status = SendStatus.SCHEDULED if scheduled_at else SendStatus.APPROVED
    locked.scheduled_at = scheduled_at
    locked.save(update_fields=["approved_by", "approved_at", "status", "scheduled_at"])
    audit_log(
        coop=coop,
        actor=actor,
        action="campaigns.approved",
        data={
            "send": str(locked.public_id),
            "version": version.number,
            "at": scheduled_at.isoformat() if scheduled_at else "now",
        },
    )
    if not scheduled_at:
        automations.start_send(coop=coop, send=locked, actor=actor)
    return locked
