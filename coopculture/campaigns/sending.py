"""The worker's side of sending: claim a batch of the ledger, send it over ONE connection
to the bulk mailer, and record each message as sent right after the server accepted it.

Crash safety (docs/decisions/0011): a row is SENT only once the server said 250, in its
own commit, before the next message is handed over. A worker killed at any moment leaves
its other claimed rows in SENDING with a lease (`claimed_until`); once the lease is over
they are claimed again. Only the message in flight at the kill (accepted by the server,
not yet recorded) can go out twice.

Rates: `SendRateSettings` per coop. Per second: the worker paces itself (sleeps). Per
day: the batch is cut at the quota and the send resumes the next day (run_after). Nothing
is ever dropped.
Answers: 4xx (and lost connections) → retried with exponential backoff up to
MAX_ATTEMPTS; 5xx → the address is suppressed and the row BOUNCED.
"""

import datetime as dt
import logging
import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from coopculture.campaigns import rendering
from coopculture.campaigns.models import (
    Recipient,
    RecipientState,
    Send,
    SendRateSettings,
    SendStatus,
    SuppressionReason,
)
from coopculture.campaigns.services import day_start, suppression_add
from coopculture.members.models import Member

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def batch_size() -> int:
    return int(settings.CAMPAIGNS_BATCH_SIZE)


def claim_lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(settings.CAMPAIGNS_CLAIM_LEASE))


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8, 16 minutes (CAMPAIGNS_RETRY_BASE seconds, doubled per attempt)."""
    base = float(settings.CAMPAIGNS_RETRY_BASE)
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def rates_of(coop) -> SendRateSettings:
    rates = SendRateSettings.objects.filter(coop=coop).first()
    return rates or SendRateSettings(coop=coop)


def _due(now) -> Q:
    queued = Q(state=RecipientState.QUEUED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stale = Q(state=RecipientState.SENDING, claimed_until__lt=now)
    return queued | stale


def claim(*, coop, send: Send, size: int) -> list[int]:
    """Take up to `size` due rows of `send` for this worker: SELECT ... FOR UPDATE SKIP
    LOCKED on PostgreSQL; on SQLite the write transaction is exclusive (IMMEDIATE) and the
    UPDATE re-checks the condition. Returns the claimed ids."""
    now = timezone.now()
    until = now + claim_lease()
    with transaction.atomic():
        candidates = Recipient.objects.filter(coop=coop, send=send).filter(_due(now)).order_by("id")
        if db_connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:size])
        if not ids:
            return []
        Recipient.objects.filter(id__in=ids).filter(_due(now)).update(
            state=RecipientState.SENDING, claimed_until=until
        )
        return list(
            Recipient.objects.filter(
                id__in=ids, state=RecipientState.SENDING, claimed_until=until
            ).values_list("id", flat=True)
        )


def _smtp_code(error: Exception) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in error.recipients.values()]
        return codes[0] if codes else None
    return getattr(error, "smtp_code", None)


@dataclass
class BatchOutcome:
    sent: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0
    claimed: int = 0
    run_after: dt.datetime | None = None  # when to come back (None: now, if not done)
    done: bool = False
    notes: list[str] = field(default_factory=list)


_prepared_cache: dict[tuple, rendering.PreparedVersion] = {}


def prepared_version(send: Send) -> rendering.PreparedVersion:
    """The send's version, split once per process. Keyed by more than the id: a version
    row never changes, but a test database may give a new row an old id."""
    version = send.version
    key = (version.pk, version.coop_id, version.content_hash, version.created_at)
    prepared = _prepared_cache.get(key)
    if prepared is None:
        if len(_prepared_cache) > 20:
            _prepared_cache.clear()
        prepared = _prepared_cache[key] = rendering.PreparedVersion(version, send.coop)
    return prepared


class _Pacer:
    def __init__(self, per_second: int):
        self.interval = 1.0 / max(per_second, 1)
        self.next_at = time.monotonic()

    def wait(self):
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
            now = self.next_at
        # A slow server does not earn a burst afterwards (at most one second of credit).
        self.next_at = max(self.next_at, now - 1.0) + self.interval


def _finish_if_done(send: Send, now) -> dt.datetime | None:
    """Mark the send DONE when no row is left to send; else when the next row is due."""
    pending = Recipient.objects.filter(
        coop=send.coop, send=send, state__in=[RecipientState.QUEUED, RecipientState.SENDING]
    )
    if not pending.exists():
        Send.objects.filter(pk=send.pk, status=SendStatus.SENDING).update(
            status=SendStatus.DONE, finished_at=now, worker_due_at=None
        )
        return None
    nexts = pending.aggregate(
        retry=Min("next_attempt_at", filter=Q(state=RecipientState.QUEUED)),
        lease=Min("claimed_until", filter=Q(state=RecipientState.SENDING)),
    )
    candidates = [value for value in nexts.values() if value is not None]
    return max(min(candidates), now) if candidates else now


def send_batch(*, coop, send_id: int) -> BatchOutcome:
    """Send one batch of `send_id`. Safe to run in several workers at once."""
    outcome = BatchOutcome()
    send = Send.objects.select_related("version", "coop").filter(pk=send_id, coop=coop).first()
    if send is None or send.status != SendStatus.SENDING or send.version is None:
        outcome.done = True
        return outcome
    now = timezone.now()
    rates = rates_of(coop)
    sent_today = Recipient.objects.filter(coop=coop, sent_at__gte=day_start(now)).count()
    allowed = rates.per_day - sent_today
    if allowed <= 0:
        outcome.run_after = day_start(now) + dt.timedelta(days=1)
        outcome.notes.append("daily quota reached")
        return outcome
    ids = claim(coop=coop, send=send, size=min(batch_size(), allowed))
    outcome.claimed = len(ids)
    if not ids:
        next_due = _finish_if_done(send, now)
        outcome.done = next_due is None
        outcome.run_after = next_due
        return outcome
    Send.objects.filter(pk=send.pk).update(worker_due_at=now + claim_lease())

    rows = list(
        Recipient.objects.filter(id__in=ids)
        .order_by("id")
        .values("id", "member_id", "email", "idempotency_key", "variables", "attempts")
    )
    people = {
        pk: (first_name, public_id)
        for pk, first_name, public_id in Member.objects.filter(
            coop=coop, id__in=[row["member_id"] for row in rows]
        ).values_list("id", "first_name", "public_id")
    }
    prepared = prepared_version(send)
    pacer = _Pacer(rates.per_second)
    table = db_connection.ops.quote_name(Recipient._meta.db_table)
    # The table name comes from the model; the values are parameters.
    columns = "state = 'sent', sent_at = %s, attempts = %s, claimed_until = NULL, last_error = ''"
    mark_sent = f"UPDATE {table} SET {columns} WHERE id = %s"  # noqa: S608
    connection = mailers[settings.BULK_MAILER]

    def build(row):
        first_name, public_id = people.get(row["member_id"], ("", None))
        return prepared.email(
            rendering.MemberValues(
                idempotency_key=row["idempotency_key"],
                email=row["email"],
                first_name=first_name,
                member_public_id=public_id,
                variables=row["variables"],
            )
        )

    def settle(row, handed) -> None:
        """Wait for the server's answer to `row`'s message and record it at once."""
        try:
            handed.result()
        except Exception as error:
            _record_failure(coop=coop, row=row, error=error, outcome=outcome)
            if isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
                connection.close()
                connection.open()
            return
        # Accepted by the server: recorded in its own commit, before the next message
        # is handed over.
        with db_connection.cursor() as cursor:
            cursor.execute(mark_sent, [timezone.now(), row["attempts"] + 1, row["id"]])
        outcome.sent += 1

    # One message at a time is with the server (crash safety); the next one is rendered
    # meanwhile, in this thread, while the SMTP thread waits for the server's answers.
    in_flight = None
    try:
        connection.open()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp") as smtp_thread:
            for row in rows:
                message = build(row)
                if in_flight is not None:
                    settle(*in_flight)
                    in_flight = None
                pacer.wait()
                in_flight = (row, smtp_thread.submit(_hand_over, connection, prepared, message))
            if in_flight is not None:
                settle(*in_flight)
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("Closing the bulk mailer connection failed", exc_info=True)
    return outcome


def _hand_over(connection, prepared, message) -> None:
    """Give one message to the mailer. With Django's SMTP backend and a pre-built message,
    straight to its open smtplib connection (the backend would re-parse both addresses
    with the email package for every message); any other backend gets the message."""
    raw = getattr(message, "raw_bytes", None)
    smtp = getattr(connection, "connection", None)
    if raw is not None and isinstance(connection, SMTPBackend) and smtp is not None:
        smtp.sendmail(prepared.envelope_from, message.to, raw)
        return
    connection.send_messages([message])


def _record_failure(*, coop, row: dict, error: Exception, outcome: BatchOutcome) -> None:
    code = _smtp_code(error)
    detail = f"{code or ''} {error}".strip()[:300]
    attempts = row["attempts"] + 1
    if code is not None and 500 <= code < 600:
        suppression_add(
            coop=coop,
            email=row["email"],
            reason=SuppressionReason.HARD_BOUNCE,
            source="smtp",
            detail=detail,
        )
        Recipient.objects.filter(pk=row["id"]).update(
            state=RecipientState.BOUNCED, attempts=attempts, claimed_until=None, last_error=detail
        )
        outcome.bounced += 1
        return
    if attempts >= MAX_ATTEMPTS:
        Recipient.objects.filter(pk=row["id"]).update(
            state=RecipientState.FAILED, attempts=attempts, claimed_until=None, last_error=detail
        )
        outcome.failed += 1
        return
    Recipient.objects.filter(pk=row["id"]).update(
        state=RecipientState.QUEUED,
        attempts=attempts,
        next_attempt_at=timezone.now() + retry_delay(attempts),
        claimed_until=None,
        last_error=detail,
    )
    outcome.retried += 1
