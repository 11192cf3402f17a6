"""Campaign sending: 100,000 personalised recipients to a local SMTP server (aiosmtpd, in
its own process), end to end, against a raw smtplib loop to the same server.

    .venv/bin/python bench/campaigns.py [--sizes 1000,100000] [--raw 20000]

For each size, a fresh child process on a fresh SQLite database (in a temporary folder):
members with consent are created (not timed), then timed end to end: the version frozen
(rendered and CSS-inlined once), the ledger built in bulk, and the worker (the real
send_worker_task, immediate task backend) sending over one SMTP connection per batch and
recording each message as sent right after the server accepted it. Peak memory: the
child's ru_maxrss after the send minus before it (flat = does not grow with the size).
Raw: smtplib sending the same pre-built bytes (one message as the pipeline built it) N
times over one connection, to the same server, in the same run.

Budgets (issue 6): ≥ 400 messages/s end to end; ≥ 40 % of the raw smtplib rate; memory
flat between 1,000 and 100,000. Exit status 1 when a budget is missed.
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_RATE = 400
BUDGET_RATIO = 0.40

SERVER = r"""
import asyncio, sys, signal
from aiosmtpd.controller import Controller
class Count:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Count.n += 1
        return "250 OK"
c = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(Count.n, flush=True)
c.stop()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server():
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdout.readline().strip() == "ready"
    return server, port


def server_count(server) -> int:
    server.stdin.write("count\n")
    server.stdin.flush()
    return int(server.stdout.readline())


def child(size: int, port: int, out: Path) -> None:
    """Runs in a fresh process, with DATABASE_URL pointing at a fresh SQLite file."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django_scopes import scopes_disabled

    from django.conf import settings
    from django.test import TestCase

    options = {"host": "127.0.0.1", "port": port, "timeout": 30}
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
        "bulk": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options},
    }
    settings.CAMPAIGNS_TASK_SECONDS = 10_000
    import logging

    logging.disable(logging.INFO)
    from coopculture.campaigns import services
    from coopculture.campaigns.models import (
        Message,
        Recipient,
        RecipientState,
        Send,
        SendKind,
        SendRateSettings,
    )
    from coopculture.coops.models import Coop
    from coopculture.coops.scoping import coop_scope
    from coopculture.members.models import ConsentRecord, Member

    with scopes_disabled():
        coop = Coop.objects.create(
            slug="coop-bench", name="Coop'Bench Habitat", contact_email="contact@bench.example"
        )
        SendRateSettings.objects.create(coop=coop, per_second=1_000_000, per_day=10_000_000)
        first_names = ["Hélène", "François", "Gaëlle", "Jérôme", "Inès", "Chloé", "Noé"]
        for start in range(0, size, 5000):
            members = Member.objects.bulk_create(
                [
                    Member(
                        coop=coop,
                        first_name=first_names[i % len(first_names)],
                        last_name=f"Nom{i}",
                        email=f"membre{i}@bench.example",
                        preferred_channel="email",
                    )
                    for i in range(start, min(start + 5000, size))
                ]
            )
            ConsentRecord.objects.bulk_create(
                [
                    ConsentRecord(
                        coop=coop,
                        member=m,
                        purpose="coop_news",
                        granted=True,
                        legal_basis="consent",
                        source="web_form",
                    )
                    for m in members
                ]
            )
        message = Message.objects.create(
            coop=coop,
            kind=SendKind.CAMPAIGN,
            name="Bench",
            subject="Bonjour {first_name}, les nouvelles de votre résidence",
            body="Bonjour {first_name},\n\n" + "Le chantier avance bien. " * 30 + "\n\nÀ bientôt",
            blocks=[
                {"type": "link", "url": "/c/coop-bench/", "label": "Le MOOC de votre coop"},
                {"type": "link", "url": "https://example.org/agenda", "label": "L'agenda"},
            ],
        )
        send = Send.objects.create(coop=coop, message=message, kind=SendKind.CAMPAIGN, name="B")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with TestCase.captureOnCommitCallbacks(execute=True), coop_scope(coop):
        services.send_start(coop=coop, send=send)
    if profiler is not None:
        profiler.disable()
        import pstats

        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with scopes_disabled():
        sent = Recipient.objects.filter(send=send, state=RecipientState.SENT).count()
        if sent != size:
            from collections import Counter

            states = Counter(Recipient.objects.filter(send=send).values_list("state", flat=True))
            print("states:", dict(states), "send:", send.status, file=sys.stderr)
        row = Recipient.objects.filter(send=send).first()
        from email import policy

        from coopculture.campaigns.rendering import MemberValues, PreparedVersion

        send.refresh_from_db()
        prepared = PreparedVersion(send.version, coop)
        sample = prepared.email(
            MemberValues(row.idempotency_key, row.email, "Hélène", row.member.public_id, {})
        )
        raw_bytes = sample.message(policy=policy.SMTP).as_bytes()
    out.write_text(
        json.dumps(
            {
                "size": size,
                "sent": sent,
                "seconds": seconds,
                "rss_growth_mb": (after - before) / 1024,
                "rss_peak_mb": after / 1024,
                "message_bytes": len(raw_bytes),
            }
        )
    )
    (out.parent / "sample.eml").write_bytes(raw_bytes)


def raw_loop(port: int, message: bytes, count: int) -> float:
    import smtplib

    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(count):
            smtp.sendmail("lettre@culture-coop.example.org", [f"raw{i}@bench.example"], message)
    return count / (time.perf_counter() - started)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--raw", type=int, default=20000, help="messages of the raw loop")
    args = parser.parse_args()
    server, port = start_server()
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for size in [int(s) for s in args.sizes.split(",")]:
                db = Path(tmp) / f"bench-{size}.sqlite3"
                out = Path(tmp) / f"result-{size}.json"
                env = {
                    **os.environ,
                    "DJANGO_SETTINGS_MODULE": "config.settings.test",  # immediate tasks
                    "DATABASE_URL": f"sqlite:///{db}",
                    "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
                    "VAR_DIR": tmp,
                    "PYTHONWARNINGS": "ignore",
                }
                env.pop("REDIS_URL", None)
                before = server_count(server)
                subprocess.run(
                    [sys.executable, __file__, "--child", str(size), str(port), str(out)],
                    cwd=ROOT,
                    env=env,
                    check=True,
                )
                result = json.loads(out.read_text())
                result["received"] = server_count(server) - before
                result["rate"] = result["sent"] / result["seconds"]
                results.append(result)
                message = (Path(tmp) / "sample.eml").read_bytes()
            raw_count = args.raw
            raw_rate = raw_loop(port, message, raw_count)
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    ok = True
    print(f"{'recipients':>10} {'sent':>8} {'received':>9} {'seconds':>8} {'msg/s':>7} "
          f"{'RSS growth MB':>14} {'RSS peak MB':>12}")  # fmt: skip
    for r in results:
        print(
            f"{r['size']:>10} {r['sent']:>8} {r['received']:>9} {r['seconds']:>8.1f} "
            f"{r['rate']:>7.0f} {r['rss_growth_mb']:>14.1f} {r['rss_peak_mb']:>12.1f}"
        )
        ok &= r["sent"] == r["size"] == r["received"]
    largest = results[-1]
    ratio = largest["rate"] / raw_rate
    print(f"message size: {largest['message_bytes']} bytes")
    print(f"raw smtplib loop, pre-built bytes, {raw_count} messages: {raw_rate:.0f} msg/s")
    print(f"end to end at {largest['size']}: {largest['rate']:.0f} msg/s (budget ≥ {BUDGET_RATE})")
    print(f"ratio to raw smtplib: {ratio:.0%} (budget ≥ {BUDGET_RATIO:.0%})")
    if len(results) > 1:
        print(
            f"peak memory growth: {results[0]['rss_growth_mb']:.1f} MB at {results[0]['size']}, "
            f"{largest['rss_growth_mb']:.1f} MB at {largest['size']} (budget: flat)"
        )
    ok &= largest["rate"] >= BUDGET_RATE and ratio >= BUDGET_RATIO
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
