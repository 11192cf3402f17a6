"""The crash bar: a campaign to 2,000 members, sent by a real db_worker process that is
killed with SIGKILL at random moments 5 times and restarted. Every member ends with
exactly one message, except at most one duplicate per kill (the message the server had
accepted when the worker died, before the ledger recorded it)."""

import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from django_scopes import scopes_disabled

from coopculture.campaigns import services
from coopculture.campaigns.models import Recipient, RecipientState, SendRateSettings, SendStatus
from coopculture.campaigns.tasks import resume_sends
from coopculture.coops.scoping import coop_scope
from tests.campaigns.factories import make_members, make_send
from tests.processes import ROOT, child_env

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = 2000
KILLS = 5
LEASE = 2  # seconds a killed worker's claimed rows wait before another worker takes them


def start_worker(env, log_path):
    """A db_worker whose output goes to a file (a pipe nobody reads would block it)."""
    with open(log_path, "a") as log:
        return subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "db_worker", "--no-reload",
             "--no-startup-delay", "--interval", "0.05"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def sent_count(send) -> int:
    with scopes_disabled():
        return Recipient.objects.filter(send=send, state=RecipientState.SENT).count()


def test_a_worker_killed_five_times_misses_no_one_and_repeats_at_most_one_per_kill(
    settings, coop, smtp_sink, tmp_path
):
    log_path = tmp_path / "worker.log"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    members = make_members(coop, MEMBERS)
    with scopes_disabled():
        # Fast enough for the test, slow enough for the kills to land mid-send.
        SendRateSettings.objects.create(coop=coop, per_second=250, per_day=1_000_000)
    send = make_send(coop)
    with coop_scope(coop):
        counts = services.send_start(coop=coop, send=send)
    assert counts == {"queued": MEMBERS}
    env = child_env(
        SMTP_HOST=smtp_sink.host,
        SMTP_PORT=str(smtp_sink.port),
        CAMPAIGNS_BATCH_SIZE="50",
        CAMPAIGNS_CLAIM_LEASE=str(LEASE),
        CAMPAIGNS_TASK_SECONDS="2",
    )
    rng = random.Random()
    progress = []
    for _kill in range(KILLS):
        before = sent_count(send)
        worker = start_worker(env, log_path)
        # Wait until this worker is sending, then kill it at a random moment.
        deadline = time.monotonic() + 30
        while sent_count(send) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.05, 1.5))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        progress.append(sent_count(send) - before)

        # Its claimed rows are free again after the lease; the tick gives the send a
        # new worker task (the killed one stays "running" in the task table forever).
        time.sleep(LEASE + 0.2)
        resume_sends()
    assert all(sent > 0 for sent in progress), (
        progress,
        log_path.read_text()[-3000:],
    )  # every kill landed mid-send
    assert sent_count(send) < MEMBERS  # and the last one before the end

    worker = start_worker(env, log_path)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with scopes_disabled():
                send.refresh_from_db()
            if send.status == SendStatus.DONE:
                break
            resume_sends()
            time.sleep(0.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert send.status == SendStatus.DONE

    time.sleep(0.5)  # the sink's last messages
    received = Counter(message["To"] for message in smtp_sink.messages)
    expected = {member.email for member in members}
    assert set(received) == expected  # no one missed, no one else
    duplicates = {email: n for email, n in received.items() if n > 1}
    assert sum(n - 1 for n in duplicates.values()) <= KILLS, duplicates
    with scopes_disabled():
        assert set(Recipient.objects.filter(send=send).values_list("state", flat=True)) == {
            RecipientState.SENT
        }
    print(f"\nsent per killed run: {progress}; duplicates: {len(duplicates)} (at most {KILLS})")  # noqa: T201
