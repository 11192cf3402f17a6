"""Background work of campaigns: the sending worker and its resumption by the tick."""

import datetime as dt
import time

from django_scopes import scopes_disabled

from django.conf import settings
from django.utils import timezone

from coopculture.coops.tasks import coop_task


def task_seconds() -> float:
    """How long one task keeps sending before handing over to a fresh task."""
    return float(settings.CAMPAIGNS_TASK_SECONDS)


@coop_task
def send_worker_task(coop, *, send_id: int) -> dict:
    """Send batches of one send for up to task_seconds(), then enqueue the next run (now,
    or later when rows wait for a retry or the daily quota)."""
    from coopculture.campaigns.models import Send
    from coopculture.campaigns.sending import send_batch

    started = time.monotonic()
    totals = {"sent": 0, "retried": 0, "bounced": 0, "failed": 0}
    while True:
        outcome = send_batch(coop=coop, send_id=send_id)
        for key in totals:
            totals[key] += getattr(outcome, key)
        if outcome.done:
            totals["done"] = True
            return totals
        now = timezone.now()
        if outcome.claimed == 0 or time.monotonic() - started > task_seconds():
            run_after = outcome.run_after if outcome.claimed == 0 else None
            if run_after is not None and run_after <= now:
                run_after = None
            if run_after is not None and outcome.claimed == 0 and not _can_defer():
                # The immediate backend (tests) cannot wait: the tick resumes it.
                Send.objects.filter(pk=send_id).update(worker_due_at=run_after)
                return totals
            if run_after is None and outcome.claimed == 0:
                # Rows claimed by another live worker: come back after their lease.
                run_after = now + dt.timedelta(seconds=1)
                if not _can_defer():
                    return totals
            Send.objects.filter(pk=send_id).update(
                worker_due_at=(run_after or now) + dt.timedelta(seconds=60)
            )
            enqueue_send(coop_id=coop.pk, send_id=send_id, run_after=run_after)
            return totals


def _can_defer() -> bool:
    return send_worker_task.get_backend().supports_defer


def enqueue_send(*, coop_id: int, send_id: int, run_after=None) -> None:
    task = send_worker_task
    if run_after is not None:
        if not _can_defer():
            return
        task = task.using(run_after=run_after)
    task.enqueue(coop_id=coop_id, send_id=send_id)


def resume_sends() -> list[int]:
    """Tick job: sends in SENDING whose worker is overdue (killed, or its delayed run was
    lost) get a new worker task. Idempotent. (Scheduled sends are started by the
    automations' tick, campaigns.automations.start_due_scheduled, after approval.)"""
    from django.db import transaction

    from coopculture.campaigns.models import Send, SendStatus

    now = timezone.now()
    resumed = []
    with scopes_disabled():
        overdue = list(
            Send.objects.filter(status=SendStatus.SENDING, coop__is_active=True)
            .filter(worker_due_at__lt=now)
            .values_list("pk", "coop_id")
        )
        for send_id, coop_id in overdue:
            claimed = Send.objects.filter(
                pk=send_id, status=SendStatus.SENDING, worker_due_at__lt=now
            ).update(worker_due_at=now + dt.timedelta(seconds=60))
            if claimed:
                resumed.append(send_id)
                transaction.on_commit(
                    lambda s=send_id, c=coop_id: enqueue_send(coop_id=c, send_id=s)
                )
    return resumed
