"""Latency of the back office member list with 50,000 members, 50 concurrent users.

    .venv/bin/python bench/member_list.py [--database postgres|sqlite|both] [--members 50000]
                                          [--users 50] [--requests 1000] [--workers 2]
                                          [--think 1]

For each database: a fresh database (PostgreSQL: a disposable `coopculture_bench_members`
on 127.0.0.1, user postgres, or BENCH_MEMBERS_POSTGRES_URL; SQLite: a temporary file),
migrated; one coop, one administrator and N members with profiles, reservations in 30
programmes and consents, all written with bulk_create; then uvicorn on 127.0.0.1 (a free
port, 2 worker processes) and N concurrent staff users, each with its own keep-alive
connection and the administrator's session cookie (a session crafted in the database: no
sign-in form), who look at each page for a random 0.5-1.5 s before the next (--think 1;
--think 0 is a closed loop with N requests always in flight: a saturation test). Prints
p50/p95/p99 per page next to the budget (DESIGN.md §6: p95 under 200 ms at 50 concurrent
users on 2 cores).

Pages: the first page of the list, a filtered and searched page, a filter on consent and
channel, a deep page (page 500, for information: OFFSET grows with the page number), and
random pages between 2 and 999, which the results cache has mostly not seen. The list's
count and its rendered results are cached under a version bumped by every change of the
coop's members (members/listing.py): the warm-up pays for them once per page; the "random
pages" row shows the cost without that cache. The "alone" column is the median latency of
one user alone (the cost of one request). PostgreSQL runs with JIT off.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script from bench/: the shared helpers live beside it.
from pages import free_port, measure, percentile, reset_postgres, run, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
BUDGET_P95_MS = 200
SLUG = "banc-d-essai"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/coopculture_bench_members"
PAGES = {
    "list, first page": f"/gestion/{SLUG}/membres/",
    "filtered + search": f"/gestion/{SLUG}/membres/?q=mar&stage=en_chantier&has_email=yes",
    "consent + channel": f"/gestion/{SLUG}/membres/?consent=bulletin&channel=email",
    "page 500 (info)": f"/gestion/{SLUG}/membres/?page=500",
    "random pages, cold": f"/gestion/{SLUG}/membres/?page={{n}}",
}
INFO_ONLY = {"page 500 (info)", "random pages, cold"}

LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefebvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefevre",
    "Faure",
    "Andre",
    "Mercier",
    "Blanc",
    "Guerin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "Francois",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clement",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noel",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Riviere",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gerard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoit",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
    "Lopez",
    "Jean",
    "Dupuy",
    "Guillot",
    "Hubert",
    "Berger",
    "Carpentier",
    "Sanchez",
    "Dupuis",
    "Moulin",
    "Louis",
    "Deschamps",
    "Huet",
    "Vasseur",
    "Perez",
    "Boucher",
    "Fleury",
    "Royer",
    "Klein",
    "Jacquet",
    "Adam",
    "Paris",
    "Poirier",
    "Marty",
    "Aubry",
    "Guyot",
    "Carre",
    "Charles",
    "Renault",
    "Charpentier",
    "Menard",
    "Maillard",
    "Baron",
    "Bertin",
    "Bailly",
    "Herve",
    "Schneider",
    "Fernandez",
    "Le Goff",
    "Collet",
    "Leger",
    "Bouvier",
    "Julien",
    "Prevost",
    "Millet",
    "Perrot",
    "Daniel",
    "Le Roux",
    "Cousin",
    "Germain",
    "Breton",
    "Besson",
    "Langlois",
    "Remy",
    "Le Gall",
    "Pelletier",
    "Leveque",
    "Perrier",
    "Leblanc",
    "Barre",
    "Lebrun",
    "Marchal",
    "Weber",
    "Mallet",
    "Hamon",
    "Boulanger",
    "Jacob",
    "Monnier",
    "Michaud",
    "Rodriguez",
    "Guichard",
    "Gillet",
    "Etienne",
    "Grondin",
    "Poulain",
    "Tessier",
    "Chevallier",
    "Collin",
    "Chauvin",
    "Da Silva",
    "Bouchet",
    "Gay",
    "Lemaitre",
    "Benard",
    "Marechal",
    "Humbert",
    "Reynaud",
    "Antoine",
    "Hoarau",
    "Perret",
    "Barthelemy",
    "Cordier",
]
FIRST_NAMES = [
    "Marie",
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "Philippe",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Martine",
    "Christine",
    "Françoise",
    "Valérie",
    "Sandrine",
    "Stéphanie",
    "Karim",
    "Nadia",
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Inès",
    "Mohamed",
    "Fatima",
    "Thomas",
    "Camille",
    "Manon",
    "Emma",
    "Louis",
    "Jules",
    "Sarah",
    "Yasmine",
    "Mamadou",
    "Aïcha",
    "Josiane",
]


# --- Seeding (runs in a subprocess with the bench's environment) ----------------------------


def seed(n_members: int) -> str:
    """Create the coop, its admin and the members; return a session key for the admin."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    import datetime as dt

    from django_scopes import scopes_disabled

    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from coopculture.coops.models import Coop, Membership, Role
    from coopculture.members.models import (
        ConsentRecord,
        Member,
        MemberProfile,
        Programme,
        Reservation,
    )

    rng = random.Random(42)
    today = dt.date.today()  # noqa: DTZ011 (bench data, any local day will do)
    batch = 5000
    with scopes_disabled():
        coop = Coop.objects.create(
            name="Coop du banc d'essai",
            slug=SLUG,
            legal_form="scp",
            activities=["accession_vefa", "psla", "gestion_locative"],
        )
        user = get_user_model().objects.create_user(email="admin@banc-d-essai.example.org")
        Membership.objects.create(coop=coop, user=user, role=Role.ADMIN)
        programmes = []
        for i in range(30):
            kind = ("vefa", "psla", "brs", "locatif")[i % 4]
            works = today + dt.timedelta(days=rng.randint(-900, 300))
            delivered = works + dt.timedelta(days=540) if i % 3 == 0 else None
            programmes.append(
                Programme(
                    coop=coop,
                    name=f"Résidence {i + 1:02d}",
                    town="Fictiveville",
                    kind=kind,
                    works_start_on=works,
                    expected_delivery_on=works + dt.timedelta(days=540),
                    delivered_on=delivered if delivered and delivered <= today else None,
                )
            )
        programmes = Programme.objects.bulk_create(programmes)
        for start in range(0, n_members, batch):
            members = Member.objects.bulk_create(
                Member(
                    coop=coop,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                    email=f"membre{i}@example.org" if rng.random() < 0.7 else "",
                    phone=f"06 00 {i // 10000:02d} {i // 100 % 100:02d} {i % 100:02d}",
                    postal_address=f"{i % 200 + 1} rue des Essais\n99000 Fictiveville",
                    preferred_channel=rng.choice(("email", "email", "post", "phone", "sms")),
                    external_ref=f"B{i:06d}",
                )
                for i in range(start, min(start + batch, n_members))
            )
            profiles, reservations, consents = [], [], []
            for member in members:
                programme = rng.choice(programmes)
                signed = today - dt.timedelta(days=rng.randint(30, 1500))
                kind = "locataire" if programme.kind == "locatif" else "accedant"
                profiles.append(
                    MemberProfile(coop=coop, member=member, kind=kind, start_date=signed)
                )
                if rng.random() < 0.85:
                    reservations.append(
                        Reservation(
                            coop=coop,
                            member=member,
                            programme=programme,
                            kind="lease" if kind == "locataire" else "reservation",
                            signed_on=signed,
                            lot_number=f"L{rng.randint(1, 120)}",
                        )
                    )
                for purpose in rng.sample(("bulletin", "coop_news", "sessions"), rng.randint(0, 3)):
                    consents.append(
                        ConsentRecord(
                            coop=coop,
                            member=member,
                            purpose=purpose,
                            granted=rng.random() < 0.8,
                            legal_basis="consent",
                            source=rng.choice(("paper", "web_form", "import")),
                        )
                    )
            MemberProfile.objects.bulk_create(profiles, batch_size=batch)
            Reservation.objects.bulk_create(reservations, batch_size=batch)
            ConsentRecord.objects.bulk_create(consents, batch_size=batch)
        counts = (
            Member.objects.count(),
            Reservation.objects.count(),
            ConsentRecord.objects.count(),
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does soon after a bulk load
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    # A completed staff sign-in (password and TOTP), as allauth records it: the back office
    # requires it (accounts.middleware.StaffSignInMiddleware).
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    # In the future: the idle-session middleware neither expires nor rewrites the session.
    session["last_seen"] = int(time.time()) + 24 * 3600
    session.create()
    print(f"seeded members={counts[0]} reservations={counts[1]} consents={counts[2]}")
    return session.session_key


# --- Load generation -------------------------------------------------------------------------


def bench_one(database: str, args) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DJANGO_DEMO": "1", "VAR_DIR": tmp, "LOG_LEVEL": "WARNING"}
        env.pop("REDIS_URL", None)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        if database == "postgres":
            env["DATABASE_URL"] = os.environ.get("BENCH_MEMBERS_POSTGRES_URL", POSTGRES_URL)
            reset_postgres(env["DATABASE_URL"])
        else:
            env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        python = sys.executable
        run([python, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        run([python, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
        started = time.perf_counter()
        out = run([python, __file__, "--seed", "--members", str(args.members)], env)
        seeded, session_key = out.strip().splitlines()[-2:]
        print(f"\n{database}: {seeded} in {time.perf_counter() - started:.0f} s")
        cookie = f"sessionid={session_key}"
        port = free_port()
        server = subprocess.Popen(
            [python, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(args.workers), "--log-level", "warning",
             "--no-access-log"],
            cwd=ROOT,
            env=env,
        )  # fmt: skip
        worst = 0.0
        try:
            wait_until_up(port)
            print(
                f"{database}: {args.users} concurrent users (think time {args.think:g} s), "
                f"{args.requests} requests per "
                f"page, {args.workers} uvicorn worker(s), {os.cpu_count()} cores, "
                f"load average before: {os.getloadavg()[0]:.1f}"
            )
            print(
                f"{'page':<20} {'alone':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
                f"{'req/s':>8}  budget"
            )
            for name, path in PAGES.items():
                headers = {"Cookie": cookie}
                measure(port, path, min(args.users, 10), 50, headers=headers)  # warm up
                # One user alone: what one request costs, without queueing.
                alone = statistics.median(measure(port, path, 1, 20, headers=headers))
                start = time.perf_counter()
                latencies = measure(
                    port, path, args.users, args.requests, think=args.think,
                    headers=headers, expect=b"<table",
                )  # fmt: skip
                rate = len(latencies) / (time.perf_counter() - start)
                p95 = percentile(latencies, 95)
                if name not in INFO_ONLY:
                    worst = max(worst, p95)
                verdict = "ok" if p95 <= BUDGET_P95_MS else "OVER"
                if name in INFO_ONLY:
                    verdict += " (information)"
                print(
                    f"{name:<20} {alone:8.1f} {percentile(latencies, 50):8.1f} {p95:8.1f} "
                    f"{percentile(latencies, 99):8.1f} {rate:8.0f}  "
                    f"p95 {BUDGET_P95_MS} ms {verdict}"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000, help="per page")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean think time per user, seconds (0: none)"
    )
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        print(seed(args.members))
        return 0
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    worst = max(bench_one(database, args) for database in databases)
    return 0 if worst <= BUDGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
