"""Member import: time and memory of upload + check + apply, at 5,000 and 50,000 rows.

    .venv/bin/python bench/import_members.py [--database sqlite|postgres|both]
                                             [--rows 5000,50000]

Generates a CSV like a coop's export (French names with accents, `;` separators,
Windows-1252, dd/mm/yyyy dates, reservations, consents) in a temporary folder, then, for
each size and each database, runs in a fresh child process on a fresh database (SQLite in
the temporary folder; for PostgreSQL a disposable database `coopculture_bench_import` on
127.0.0.1 with user postgres, or BENCH_POSTGRES_URL):

- upload: store the file (the web request: "request"), then read it in the worker
  ("analyse": the encoding, separator, header row, columns, the rows counted);
- check: the preview (every row checked and compared with the coop's members);
- apply: the import itself (checked again, then written in one transaction);
- re-import: the same file again (nothing changes: every member "unchanged").

Each size runs twice: once timed (and ru_maxrss read), once under tracemalloc (its peak per
step: tracemalloc slows Python down, so its run is not timed). The budget (the issue):
50,000 rows imported (upload + check + apply) in under 60 s, with memory that does not grow
with the file. Exit status 1 when the largest size is over the time budget.
"""

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 60
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/coopculture_bench_import"
QUIET_PSQL = {**os.environ, "PGOPTIONS": "--client-min-messages=warning"}
PROGRAMMES = ["Les Tilleuls", "Résidence du Parc", "Le Clos des Vignes", "Les Hauts de Saône"]
LAST_NAMES = ["Lefèvre", "Müller", "Noël", "Gaëtan", "Bérénice", "Dupré", "Étienne", "Garçon",
              "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
              "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "Fournier",
              "Girard", "Bonnet", "François", "Mercier", "Lambert", "Faure", "Rousseau",
              "Blanc"]  # fmt: skip
FIRST_NAMES = ["Hélène", "François", "Gaëlle", "Jérôme", "Inès", "Chloé", "Léa", "Noé", "Zoé",
               "Élodie", "Anaïs", "Loïc", "Céline", "Maël", "Agnès", "Rémi", "Amélie", "Benoît",
               "Sébastien", "Frédérique", "Thérèse", "Joël", "Ophélie", "Cécile"]  # fmt: skip
TOWNS = [("69003", "Lyon"), ("38000", "Grenoble"), ("13001", "Marseille"), ("21000", "Dijon"),
         ("44000", "Nantes"), ("31000", "Toulouse"), ("67000", "Strasbourg")]  # fmt: skip
HEADER = ("N° associé;Nom;Prénom;Courriel;Téléphone;Adresse;CP;Ville;Canal préféré;Profil;"
          "Opération;Date de réservation;Lot;Type;Lettre d'info")  # fmt: skip


def generate_csv(path: Path, rows: int) -> None:
    """A coop's export: ~60 % with a reservation, some without email, cp1252 and CRLF."""
    rng = random.Random(rows)
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write(HEADER + "\r\n")
        for n in range(1, rows + 1):
            last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
            ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
            email = f"{ascii_name.decode()}{n}@example.org".lower() if rng.random() < 0.8 else ""
            postcode, town = rng.choice(TOWNS)
            channel = rng.choice(["courrier", "e-mail", "téléphone", "SMS"])
            if rng.random() < 0.6:
                profile, programme = "accédant", rng.choice(PROGRAMMES)
                day, month = rng.randint(1, 28), rng.randint(1, 12)
                signed = f"{day:02d}/{month:02d}/{rng.randint(2019, 2025)}"
                lot, kind = f"{rng.choice('ABC')}{rng.randint(1, 80)}", rng.choice(["T2", "T3"])
            else:
                profile, programme, signed, lot, kind = "locataire", "", "", "", ""
            out.write(
                ";".join([
                    f"C{n:07d}", last + (" " if n % 7 == 0 else ""), first, email,
                    f"06 12 {n % 100:02d} {n // 100 % 100:02d} {n // 10000 % 100:02d}",
                    f"{n % 200 + 1}, rue des Érables",
                    postcode, town, channel, profile, programme, signed, lot, kind,
                    rng.choice(["oui", "non", ""]),
                ]) + "\r\n"
            )  # fmt: skip


# --- The child process: one size, one database -------------------------------------------


def child(csv_path: Path, traced: bool) -> dict:
    import django

    django.setup()
    from django_scopes import scopes_disabled

    from django.core.files import File

    from coopculture.coops.models import Coop
    from coopculture.coops.scoping import coop_scope
    from coopculture.members import importing
    from coopculture.members.models import ImportStatus, MemberImport, Programme

    with scopes_disabled():
        coop = Coop.objects.create(
            slug="bench", name="Coop du banc d'essai", legal_form="scp", activities=[]
        )
        for name in PROGRAMMES:
            Programme.objects.create(coop=coop, name=name, kind="vefa")
    figures: dict = {"rss_before_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if traced:
        tracemalloc.start()

    def step(name, func):
        if traced:
            tracemalloc.reset_peak()
        start, cpu = time.perf_counter(), time.process_time()
        result = func()
        figures[f"{name}_s"] = time.perf_counter() - start
        figures[f"{name}_cpu_s"] = time.process_time() - cpu
        if traced:
            figures[f"{name}_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        return result

    def one_import(prefix: str) -> MemberImport:
        def upload():
            # Read from disk, as Django hands over uploads above 2.5 MB (a temporary file).
            with csv_path.open("rb") as handle:
                return importing.import_create(
                    coop=coop, actor=None, upload=File(handle, name=csv_path.name)
                )

        job = step(f"{prefix}request", upload)

        def analyse():
            # What the worker does (import_tasks.analyse_import_task): read the file.
            importing.import_analyse(coop=coop, job=job)
            job.refresh_from_db()
            return job

        job = step(f"{prefix}analyse", analyse)
        for key in ("s", "cpu_s", "peak_mb"):
            parts = [figures.get(f"{prefix}{part}_{key}") for part in ("request", "analyse")]
            if None not in parts:
                figures[f"{prefix}upload_{key}"] = max(parts) if key == "peak_mb" else sum(parts)

        def check():
            importing.mapping_save(coop=coop, job=job, targets=job.mapping["targets"])
            return importing.preview(coop=coop, job=job)

        outcome = step(f"{prefix}check", check)
        assert outcome.error_count == 0, outcome.errors[:5]

        def apply():
            MemberImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
            return importing.run_import(coop=coop, job=job)

        outcome = step(f"{prefix}apply", apply)
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE, job.errors[:5]
        figures[f"{prefix}counts"] = [job.created_count, job.updated_count, job.unchanged_count]
        return job

    with coop_scope(coop):
        one_import("")
        one_import("again_")
    figures["rss_max_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if traced:
        tracemalloc.stop()
    return figures


# --- The parent: databases, sizes, table -------------------------------------------------


def run(cmd, env) -> str:
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def reset_postgres(url: str, template: str | None = None) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    create = f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")
    for sql in (f"DROP DATABASE IF EXISTS {name}", create):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True, env=QUIET_PSQL)


def drop_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(
        ["psql", admin, "-q", "-c", f"DROP DATABASE IF EXISTS {name}"], check=True, env=QUIET_PSQL
    )


def bench_database(
    database: str, sizes: list[int], csvs: dict[int, Path], tmp: Path, *, trace: bool
) -> list:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEMO": "1",
        "VAR_DIR": str(tmp / "var"),
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    python = sys.executable
    if database == "postgres":
        url = os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL)
        template_url = url + "_template"
        reset_postgres(template_url)
        run([python, "manage.py", "migrate", "--no-input", "-v", "0"],
            {**env, "DATABASE_URL": template_url})  # fmt: skip
    else:
        template_path = tmp / "template.sqlite3"
        run([python, "manage.py", "migrate", "--no-input", "-v", "0"],
            {**env, "DATABASE_URL": f"sqlite:///{template_path}"})  # fmt: skip
    results = []
    try:
        for size in sizes:
            row = {"database": database, "rows": size}
            for traced in (False, True) if trace else (False,):
                if database == "postgres":
                    reset_postgres(url, template=template_url.rsplit("/", 1)[1])
                    database_url = url
                else:
                    run_path = tmp / f"run-{size}-{int(traced)}.sqlite3"
                    with sqlite3.connect(template_path) as src, sqlite3.connect(run_path) as dst:
                        src.backup(dst)
                    database_url = f"sqlite:///{run_path}"
                shutil.rmtree(tmp / "var" / "private", ignore_errors=True)
                command = [python, str(Path(__file__).resolve()), "--child", str(csvs[size])]
                if traced:
                    command.append("--traced")
                output = run(command, {**env, "DATABASE_URL": database_url})
                figures = json.loads(output.strip().splitlines()[-1])
                row.update(figures if not traced else {
                    k: v for k, v in figures.items() if k.endswith("_peak_mb")
                })  # fmt: skip
            results.append(row)
            report(row)
    finally:
        if database == "postgres":
            drop_postgres(url)
            drop_postgres(template_url)
    return results


def report(row: dict) -> None:
    total = row["upload_s"] + row["check_s"] + row["apply_s"]
    verdict = "ok" if total <= BUDGET_SECONDS else "OVER"
    again = row["again_upload_s"] + row["again_check_s"] + row["again_apply_s"]
    print(
        f"{row['database']:<9}{row['rows']:>8,}  "
        f"upload {row['upload_s']:5.1f} s  check {row['check_s']:5.1f} s  "
        f"apply {row['apply_s']:5.1f} s  = {total:5.1f} s (budget {BUDGET_SECONDS} s: {verdict})"
        f"  | again {again:5.1f} s {row['again_counts']}"
    )
    print(
        f"{'':<17}upload = request {row['request_s']:5.2f} s (in the web request) + "
        f"analyse {row['analyse_s']:5.1f} s (in the worker)"
    )
    cpu = sum(row[f"{step}_cpu_s"] for step in ("upload", "check", "apply"))
    print(f"{'':<17}CPU time of the process: {cpu:5.1f} s (wall time above)")
    peaks = "  ".join(
        f"{step} {row.get(f'{step}_peak_mb', float('nan')):5.1f}"
        for step in ("upload", "check", "apply")
    )
    print(
        f"{'':<17}tracemalloc peak MB: {peaks}  | ru_maxrss {row['rss_before_mb']:.0f} MB "
        f"before, {row['rss_max_mb']:.0f} MB after  | counts {row['counts']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--rows", default="5000,50000", help="comma-separated sizes")
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the (slow) tracemalloc runs"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(child(Path(args.child), args.traced)))
        return 0

    sizes = [int(s) for s in args.rows.split(",")]
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        csvs = {}
        for size in sizes:
            csvs[size] = tmp / f"adherents-{size}.csv"
            generate_csv(csvs[size], size)
        files = ", ".join(f"{s:,} rows = {csvs[s].stat().st_size / 2**20:.1f} MB" for s in sizes)
        print(f"Member import, {os.cpu_count()} cores; files: {files}")
        results = []
        for database in databases:
            results += bench_database(database, sizes, csvs, tmp, trace=not args.no_tracemalloc)
    largest = [r for r in results if r["rows"] == max(sizes)]
    worst = max(r["upload_s"] + r["check_s"] + r["apply_s"] for r in largest)
    return 0 if worst <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
