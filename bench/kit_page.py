"""The print kit page: what opening it costs now that previews come from storage.

    .venv/bin/python bench/kit_page.py [--repeats 20]

In a temporary folder, on a fresh SQLite database (migrated, static files collected, the demo
learning path
imported, one coop with its kit texts and an editor), one child process with Django's test
client measures, in one run:

(a) the page just after a change (previews missing): the page request alone (it renders
    nothing, it queues the worker) against what the page cost before issue 21, when each
    of its preview images rendered its piece on demand: the page plus every piece's PDF
    and PNG made in turn;
(b) the worker's run that makes the missing previews (kit_previews_task's body);
(c) once they are stored, `--repeats` times: the page, and each of its preview images.

Budgets: (a) the page alone under 10 % of the former on-demand cost; (c) the page's p95
under 200 ms, and an image's p95 under 10 % of one on-demand render (the same run's).
Exit status 1 when a budget is missed.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLD_RATIO_BUDGET = 0.10
IMAGE_RATIO_BUDGET = 0.10
PAGE_BUDGET_MS = 200


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def child(repeats: int) -> dict:
    import re

    import django

    django.setup()
    from django_scopes import scopes_disabled

    from django.test import Client

    from coopculture.accounts.models import User
    from coopculture.coops.models import Coop, Membership, Role
    from coopculture.coops.scoping import coop_scope
    from coopculture.kit import print_services, printing, thumbnails
    from coopculture.learning.demo import load_demo_content

    load_demo_content()
    with scopes_disabled():
        coop = Coop.objects.create(
            slug="coop-bench",
            name="Coop Habitat Solidaire des Coteaux",
            activities=["accession_vefa", "gestion_locative", "syndic"],
            contact_email="contact@coop-bench.example.org",
            contact_phone="01 99 00 00 00",
            postal_address="1 rue des Coopérateurs\n99000 Ville (fictive)",
        )
        editor = User.objects.create_user("editeur@coop-bench.example.org", "x" * 12)
        Membership.objects.create(coop=coop, user=editor, role=Role.EDITOR)
        with coop_scope(coop):
            print_services.kit_texts_update(
                coop=coop,
                actor=editor,
                tagline="Votre coop expliquée en vidéos",
                message="Qui décide ? Où va mon argent ?",
                welcome_text="Bienvenue dans votre coop !",
            )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(editor, backend="django.contrib.auth.backends.ModelBackend")
    # Staff pages need a recorded password sign-in (accounts.middleware), as after the form.
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "email": editor.email}
    ]
    session["account_authentication_methods_user"] = str(editor.pk)
    session.save()
    page_url = f"/gestion/{coop.slug}/kit/"

    def get(url: str) -> bytes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.content

    get(page_url)  # templates and fonts warm; queues the worker (which does not run here)
    with coop_scope(coop):
        run = printing.KitRun(coop)
        pieces = printing.kit_pieces(coop=coop, modules=run.modules)
        for piece in pieces[:2]:  # WeasyPrint warm
            printing.render_piece(coop=coop, piece=piece, run=run)

    start = time.perf_counter()
    page = get(page_url).decode()
    cold_page_ms = (time.perf_counter() - start) * 1000
    with coop_scope(coop):
        start = time.perf_counter()
        for piece in pieces:  # what each <img> of the page did before: render on demand
            thumbnails.first_page_png(printing.render_piece(coop=coop, piece=piece, run=run))
        on_demand_ms = (time.perf_counter() - start) * 1000 + cold_page_ms

        start = time.perf_counter()
        rendered = thumbnails.previews_render(coop=coop)
        worker_ms = (time.perf_counter() - start) * 1000

    pages, images = [], []
    previews = []
    for _ in range(repeats):
        start = time.perf_counter()
        page = get(page_url).decode()
        pages.append((time.perf_counter() - start) * 1000)
        previews = re.findall(r'src="(/gestion/[^"]+/kit/pieces/[^"]+\.png\?v=[0-9a-f]+)"', page)
        for preview in previews:
            start = time.perf_counter()
            get(preview)
            images.append((time.perf_counter() - start) * 1000)
    return {
        "pieces": len(pieces),
        "cold_page_ms": cold_page_ms,
        "on_demand_ms": on_demand_ms,
        "worker_ms": worker_ms,
        "rendered": rendered,
        "images": len(previews),
        "page_p50_ms": statistics.median(pages),
        "page_p95_ms": percentile(pages, 95),
        "image_p50_ms": statistics.median(images),
        "image_p95_ms": percentile(images, 95),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child)))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-kit-page-") as folder:
        tmp = Path(folder)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEMO": "1",
            "VAR_DIR": str(tmp / "var"),
            "DATABASE_URL": f"sqlite:///{tmp / 'kit-page.sqlite3'}",
            "SITE_URL": "https://culture-coop.example.org",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)
        for cmd in (
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
            [sys.executable, __file__, "--child", str(args.repeats)],
        ):
            done = subprocess.run(
                cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])

    ratio = result["cold_page_ms"] / result["on_demand_ms"]
    cold_ok = ratio <= COLD_RATIO_BUDGET
    # What one <img> cost before: its piece rendered on demand.
    image_ratio = result["image_p95_ms"] / (result["on_demand_ms"] / result["pieces"])
    warm_ok = image_ratio <= IMAGE_RATIO_BUDGET and result["images"] == result["pieces"]
    page_ok = result["page_p95_ms"] <= PAGE_BUDGET_MS
    print(
        f"(a) the page after a change: {result['cold_page_ms']:.0f} ms, against "
        f"{result['on_demand_ms']:.0f} ms when its {result['pieces']} previews rendered on "
        f"demand: ratio {ratio:.3f} — budget {COLD_RATIO_BUDGET}: {'ok' if cold_ok else 'OVER'}"
    )
    print(
        f"(b) the worker makes the {result['rendered']} missing previews in "
        f"{result['worker_ms']:.0f} ms"
    )
    print(
        f"(c) once stored, {args.repeats} times: the page p50 {result['page_p50_ms']:.0f} ms, "
        f"p95 {result['page_p95_ms']:.0f} ms — budget p95 {PAGE_BUDGET_MS} ms: "
        f"{'ok' if page_ok else 'OVER'}"
    )
    print(
        f"    each of its {result['images']} previews p50 {result['image_p50_ms']:.1f} ms, p95 "
        f"{result['image_p95_ms']:.1f} ms: ratio to one on-demand render {image_ratio:.3f} — "
        f"budget {IMAGE_RATIO_BUDGET}: {'ok' if warm_ok else 'OVER'}"
    )
    return 0 if cold_ok and warm_ok and page_ok else 1


if __name__ == "__main__":
    sys.exit(main())
