"""Periodic work: apps register jobs here, `manage.py tick` runs those that are due.

A job is a plain function that *enqueues* work (tasks), it does not do the work
itself; it must be idempotent (it looks at what is due in the database, so running
it twice enqueues nothing new). Register jobs from an AppConfig.ready():

    from coopculture.core import ticks
    ticks.register("accounts.purge_unconfirmed", every=timedelta(hours=1))(purge_job)
"""

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickJob:
    name: str
    every: timedelta
    func: Callable[[], object]


_registry: dict[str, TickJob] = {}


def register(name: str, *, every: timedelta) -> Callable[[Callable], Callable]:
    def decorator(func: Callable[[], object]) -> Callable[[], object]:
        existing = _registry.get(name)
        if existing is not None and existing.func is not func:
            raise ValueError(f"A tick job named {name!r} is already registered.")
        _registry[name] = TickJob(name=name, every=every, func=func)
        return func

    return decorator


def registered_jobs() -> list[TickJob]:
    return sorted(_registry.values(), key=lambda job: job.name)


def _claim(job: TickJob, now) -> bool:
    """Atomically take the right to run `job` now; False when another tick has it."""
    from coopculture.core.models import TickJobState

    try:
        with transaction.atomic():
            TickJobState.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    except IntegrityError:
        pass  # created by a concurrent tick a moment ago
    claimed = TickJobState.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + job.every, last_run_at=now
    )
    return claimed == 1


def run_due_jobs(*, now=None) -> list[str]:
    """Run every registered job that is due; return the names of those this tick ran."""
    from coopculture.core.models import TickJobState

    now = now or timezone.now()
    ran = []
    for job in registered_jobs():
        if not _claim(job, now):
            continue
        try:
            job.func()
        except Exception:
            logger.exception("Tick job %s failed", job.name)
            TickJobState.objects.filter(name=job.name).update(
                last_error=traceback.format_exc()[-4000:]
            )
        else:
            TickJobState.objects.filter(name=job.name).update(last_error="")
            ran.append(job.name)
    return ran
