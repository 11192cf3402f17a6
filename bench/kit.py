"""Print kit: a personalised flyer warm, and the whole kit of 170 coops with two workers.

    .venv/bin/python bench/kit.py [--coops 170] [--workers 2] [--renders 30]

In a temporary folder, on a fresh SQLite database (migrated, the demo learning path
imported):

(a) flyer: one child process renders a coop's personalised flyer 3 times to warm up
    (fonts, parsed stylesheets, templates), then `--renders` times; p50 and p95 against the
    budget of 300 ms (p95).
(b) batch: `--coops` coops are generated (varied names up to 80 characters, activities,
    colours, contacts and kit texts), `--workers` real `db_worker` processes are started
    and left to settle, then the federation's batch is enqueued (one KitBuild task per
    coop) and the clock runs until every build is done or failed; budget 60 s. Where the
    time goes: the same child renders one coop's kit piece by piece (time per kind of
    piece), and the builds' own durations are read from the database.

The interpreter matters (ADR 0013): the bar holds on an optimised CPython build (PGO +
LTO, `bin/build-python`, which the Makefile prefers for a new .venv), not on pyenv's default
build; the first line printed says which one runs.

Exit status 1 when a budget is missed.
"""

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLYER_BUDGET_MS = 300
BATCH_BUDGET_S = 60
ACTIVITY_SETS = [
    ["accession_vefa", "psla", "brs_ofs"],
    ["accession_vefa", "psla", "syndic"],
    ["gestion_locative"],
    ["gestion_locative", "accession_vefa", "psla", "brs_ofs", "syndic", "habitat_participatif"],
    ["syndic"],
    ["accession_vefa", "gestion_locative"],
]
WORDS = ["Habitat", "Solidaire", "Coop'", "des", "Coteaux", "Accession", "Val", "d'Orme",
         "Résidences", "Toits", "Partagés", "Hlm", "Société", "coopérative", "Lumière",
         "Ouest", "Île-de-France", "Haute-Savoie", "Provence", "Bretagne"]  # fmt: skip


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- Child steps (run with Django set up) --------------------------------------------------


def child_setup(count: int) -> dict:
    import django

    django.setup()
    from django_scopes import scopes_disabled

    from coopculture.coops.models import Coop
    from coopculture.kit.models import KitSettings
    from coopculture.learning.demo import load_demo_content

    load_demo_content()
    rng = random.Random(count)
    with scopes_disabled():
        for n in range(1, count + 1):
            name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
            name = (name if n % 10 else (name + " " + "Coopérative" * 8))[:80]
            coop = Coop.objects.create(
                slug=f"coop-{n:03d}",
                name=name,
                legal_form=rng.choice(["scp", "scic"]),
                activities=ACTIVITY_SETS[n % len(ACTIVITY_SETS)],
                main_colour=f"#{rng.randrange(0x1000000):06x}",
                contact_email=f"contact@coop-{n:03d}.example.org",
                contact_phone=f"01 99 {n // 100:02d} {n % 100:02d} 00",
                postal_address=f"{n} rue des Coopérateurs\n99{n:03d} Ville-{n} (fictive)",
                website=f"https://coop-{n:03d}.example.org",
            )
            KitSettings.objects.create(
                coop=coop,
                tagline="Votre coop expliquée en vidéos : 7 modules courts !",
                message=("Qui décide ? Où va mon argent ? " * 12)[: KitSettings.MESSAGE_MAX],
                welcome_text=("Bienvenue dans votre coop ! " * 40)[: KitSettings.WELCOME_MAX],
            )
    return {"coops": count}


def child_flyer(renders: int) -> dict:
    import django

    django.setup()
    from django_scopes import scopes_disabled

    from coopculture.coops.models import Coop
    from coopculture.coops.scoping import coop_scope
    from coopculture.kit import printing
    from coopculture.learning import api as learning

    with scopes_disabled():
        coop = Coop.objects.get(slug="coop-010")  # an 80-character name
    times = []
    per_kind: dict[str, float] = {}
    with coop_scope(coop):
        modules = learning.kit_modules(coop=coop)
        flyer = printing.get_piece(coop=coop, key="flyer", modules=modules)
        for _ in range(3):
            printing.render_piece(coop=coop, piece=flyer)
        for _ in range(renders):
            start = time.perf_counter()
            printing.render_piece(coop=coop, piece=flyer)  # texts, modules, links read each time
            times.append((time.perf_counter() - start) * 1000)
        # Where a kit's time goes: one coop's pieces, by kind (warm).
        run = printing.KitRun(coop)
        pieces = printing.kit_pieces(coop=coop, modules=run.modules)
        for piece in pieces:
            printing.render_piece(coop=coop, piece=piece, run=run)
        for piece in pieces:
            start = time.perf_counter()
            printing.render_piece(coop=coop, piece=piece, run=run)
            per_kind[piece.kind] = per_kind.get(piece.kind, 0) + time.perf_counter() - start
    return {
        "p50_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "pieces": len(pieces),
        "kit_s_by_kind": per_kind,
    }


def child_enqueue() -> dict:
    import django

    django.setup()
    from coopculture.kit import print_services

    start = time.perf_counter()
    batch = print_services.kit_batch_request(actor=None)
    return {"batch_id": batch.pk, "enqueue_s": time.perf_counter() - start}


# --- The parent ---------------------------------------------------------------------------


def run(cmd, env) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def child(step: str, arg, env) -> dict:
    output = run([sys.executable, str(Path(__file__).resolve()), "--child", step, str(arg)], env)
    return json.loads(output.strip().splitlines()[-1])


def batch_pieces(db: Path, batch_id: int) -> int:
    with sqlite3.connect(db, timeout=30) as connection:
        (total,) = connection.execute(
            "SELECT coalesce(sum(pieces_done), 0) FROM kit_kitbuild WHERE batch_id = ?",
            (batch_id,),
        ).fetchone()
    return total


def batch_state(db: Path, batch_id: int) -> dict:
    with sqlite3.connect(db, timeout=30) as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM kit_kitbuild WHERE batch_id = ? GROUP BY status",
            (batch_id,),
        ).fetchall()
    return dict(rows)


def task_durations(db: Path) -> list[tuple[str, float]]:
    """(worker id, seconds) of each kit build task, in the order they started."""
    with sqlite3.connect(db, timeout=30) as connection:
        rows = connection.execute(
            "SELECT worker_ids, (julianday(finished_at) - julianday(started_at)) * 86400 "
            "FROM django_tasks_database_dbtaskresult WHERE task_path LIKE '%build_kit_task' "
            "AND finished_at IS NOT NULL ORDER BY started_at"
        ).fetchall()
    return [(json.loads(worker)[0] if worker else "?", seconds) for worker, seconds in rows]


def interpreter() -> str:
    """The running Python, and whether it was built with PGO and LTO (ADR 0013)."""
    import platform
    import sysconfig

    flags = sysconfig.get_config_var("CONFIG_ARGS") or ""
    optimised = "--enable-optimizations" in flags and "--with-lto" in flags
    build = "PGO+LTO" if optimised else "no PGO/LTO: expect about 15 % slower"
    name = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{name} ({build}), {sys.executable}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coops", type=int, default=170)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, value = args.child
        steps = {"setup": child_setup, "flyer": child_flyer}
        result = child_enqueue() if step == "enqueue" else steps[step](int(value))
        print(json.dumps(result))
        return 0

    failed = False
    print(f"interpreter: {interpreter()}")
    with tempfile.TemporaryDirectory(prefix="bench-kit-") as folder:
        tmp = Path(folder)
        db = tmp / "kit.sqlite3"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEMO": "1",
            "VAR_DIR": str(tmp / "var"),
            "DATABASE_URL": f"sqlite:///{db}",
            "SITE_URL": "https://culture-coop.example.org",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)
        run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        child("setup", args.coops, env)

        flyer = child("flyer", args.renders, env)
        verdict = "ok" if flyer["p95_ms"] <= FLYER_BUDGET_MS else "OVER"
        failed |= verdict != "ok"
        print(
            f"(a) personalised flyer, warm, {args.renders} renders: "
            f"p50 {flyer['p50_ms']:.0f} ms, p95 {flyer['p95_ms']:.0f} ms, "
            f"max {flyer['max_ms']:.0f} ms — budget p95 {FLYER_BUDGET_MS} ms: {verdict}"
        )
        kinds = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in flyer["kit_s_by_kind"].items())
        total = sum(flyer["kit_s_by_kind"].values())
        print(f"    one coop's kit ({flyer['pieces']} pieces), warm, one process: "
              f"{total * 1000:.0f} ms — {kinds}")  # fmt: skip

        workers = [
            subprocess.Popen(
                [
                    *(sys.executable, "manage.py", "db_worker", "--no-reload"),
                    *("--no-startup-delay", "--interval", "0.1", "--worker-id", f"bench-{n}"),
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(args.workers)
        ]
        try:
            time.sleep(8)  # let the workers import Django and WeasyPrint
            for worker in workers:
                if worker.poll() is not None:
                    raise SystemExit(f"a worker died: {worker.stderr.read()[-2000:]}")
            start = time.perf_counter()
            enqueued = child("enqueue", 0, env)
            batch_id = enqueued["batch_id"]
            state = {}
            while True:
                state = batch_state(db, batch_id)
                waiting = state.get("queued", 0) + state.get("running", 0)
                if not waiting:
                    break
                if time.perf_counter() - start > 20 * BATCH_BUDGET_S:
                    print("    gave up waiting")
                    break
                time.sleep(0.25)
            elapsed = time.perf_counter() - start
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
        verdict = "ok" if elapsed <= BATCH_BUDGET_S and not state.get("failed") else "OVER"
        failed |= verdict != "ok"
        done = state.get("done", 0)
        pieces = batch_pieces(db, batch_id)
        print(
            f"(b) whole kit of {args.coops} coops, {args.workers} db_worker processes: "
            f"{elapsed:.1f} s (enqueue {enqueued['enqueue_s']:.1f} s), {done} done, "
            f"{state.get('failed', 0)} failed — budget {BATCH_BUDGET_S} s: {verdict}"
        )
        print(
            f"    {elapsed / max(done, 1) * args.workers:.2f} s of a worker per coop, "
            f"about {elapsed * args.workers / max(pieces, 1) * 1000:.0f} ms per piece "
            f"({pieces} PDFs)"
        )
        durations = task_durations(db)
        if durations:
            seconds = [d for _w, d in durations]
            firsts = {}
            for worker, d in durations:
                firsts.setdefault(worker, d)
            print(
                f"    each build (task run time): median {statistics.median(seconds):.2f} s, "
                f"p95 {percentile(seconds, 95):.2f} s; first build of each worker (cold): "
                + ", ".join(f"{d:.2f} s" for d in firsts.values())
            )
            busy = sum(seconds)
            print(
                f"    workers busy {busy:.1f} s of {elapsed * args.workers:.1f} s available "
                f"({100 * busy / (elapsed * args.workers):.0f} %)"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
