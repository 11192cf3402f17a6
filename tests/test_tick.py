"""The tick: periodic jobs run when due, once, even when two ticks run at once."""

from datetime import timedelta

import pytest
from django_tasks_db.models import DBTaskResult

from django.utils import timezone

from coopculture.core import ticks
from coopculture.core.models import TickJobState
from tests.processes import child_env, start_manage

PURGE_JOB = "accounts.purge_unconfirmed_accounts"


@pytest.mark.django_db
def test_a_job_runs_when_due_and_not_again_before_its_period(monkeypatch):
    calls = []
    monkeypatch.setattr(ticks, "_registry", {})
    ticks.register("test.job", every=timedelta(minutes=10))(lambda: calls.append(1))
    now = timezone.now()

    assert ticks.run_due_jobs(now=now) == ["test.job"]
    assert ticks.run_due_jobs(now=now + timedelta(minutes=9)) == []
    assert ticks.run_due_jobs(now=now + timedelta(minutes=10)) == ["test.job"]
    assert len(calls) == 2


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_does_not_stop_the_others(monkeypatch):
    monkeypatch.setattr(ticks, "_registry", {})
    done = []

    def broken():
        raise RuntimeError("boom")

    ticks.register("a.broken", every=timedelta(minutes=1))(broken)
    ticks.register("b.working", every=timedelta(minutes=1))(lambda: done.append(1))
    assert ticks.run_due_jobs() == ["b.working"]
    assert done == [1]
    assert "boom" in TickJobState.objects.get(name="a.broken").last_error


def test_the_accounts_purge_is_registered():
    assert PURGE_JOB in {job.name for job in ticks.registered_jobs()}


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_enqueue_the_work_once():
    """Four tick processes started together: each due job is enqueued exactly once."""
    env = child_env()
    processes = [start_manage("tick", env=env) for _ in range(4)]
    for process in processes:
        _out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err

    purge_tasks = DBTaskResult.objects.filter(task_path__endswith="purge_unconfirmed_accounts_task")
    assert purge_tasks.count() == 1
    state = TickJobState.objects.get(name=PURGE_JOB)
    assert state.next_run_at > timezone.now() + timedelta(minutes=50)
