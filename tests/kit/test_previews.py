"""The kit page opens without rendering anything: previews are made by the worker, once per
version of what the pieces show, and read from storage."""

import re

import pytest
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from django.tasks import TaskResultStatus
from django.urls import reverse

from coopculture.coops import services as coop_services
from coopculture.kit import print_services, printing, thumbnails
from coopculture.members.models import private_storage
from tests.kit.print_helpers import make_modules
from tests.processes import child_env, manage

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def modules(transactional_db):
    return make_modules()


def kit_page(client, coop) -> str:
    response = client.get(reverse("kit_print:index", kwargs={"coop_slug": coop.slug}))
    assert response.status_code == 200
    return response.content.decode()


def preview_tasks():
    return DBTaskResult.objects.filter(task_path__endswith="kit_previews_task")


def run_worker():
    worker = manage(
        "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1",
        "--max-tasks", "1", env=child_env(),
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr


def test_the_worker_renders_the_previews_the_page_found_missing(
    settings, coop, users, modules, client_for, renders
):
    settings.TASKS = DATABASE_TASKS
    client = client_for(users["editor"])
    with scopes_disabled():
        pieces = printing.kit_pieces(coop=coop)

    page = kit_page(client, coop)
    # Nothing rendered by the request: every piece says its preview is on its way, and the
    # page links no preview image that would render on demand.
    assert renders == []
    assert page.count("Aperçu en préparation") == len(pieces)
    assert "kit-print-piece__preview--pending" in page
    assert ".png" not in page
    assert "rechargez la page" in page
    [queued] = preview_tasks()
    assert queued.status == TaskResultStatus.READY
    assert queued.args_kwargs["kwargs"] == {"coop_id": coop.pk}
    # Opening it again does not queue the same work twice.
    kit_page(client, coop)
    assert preview_tasks().count() == 1

    run_worker()
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL, queued.traceback
    assert queued.return_value == len(pieces)

    page = kit_page(client, coop)
    assert renders == []
    assert "Aperçu en préparation" not in page
    sources = re.findall(r'<img class="kit-print-piece__preview" src="([^"]+)"', page)
    assert len(sources) == len(pieces)
    for piece, source in zip(pieces, sources, strict=True):
        preview = reverse(
            "kit_print:piece-preview", kwargs={"coop_slug": coop.slug, "piece_key": piece.key}
        )
        assert source.startswith(preview + "?v=")
        response = client.get(source.replace("&amp;", "&"))
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response.content.startswith(b"\x89PNG")
        # Its address changes with what the piece shows: the browser may keep it.
        assert "immutable" in response["Cache-Control"]
    assert renders == []  # served from storage
    assert preview_tasks().count() == 1
    # A version that is not stored (an old page, a made-up one) gets the piece as it is now.
    response = client.get(preview + "?v=" + "0" * 32)
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    response = client.get(preview + "?v=../../etc")
    assert response.status_code == 200


def test_new_texts_or_branding_queue_new_previews_and_drop_the_old(
    settings, coop, users, modules, client_for, renders
):
    with scopes_disabled():
        assert thumbnails.previews_render(coop=coop) > 0
        assert thumbnails.previews_render(coop=coop) == 0  # idempotent
    storage = private_storage()
    folder = f"{thumbnails.FOLDER}/{coop.pk}"
    before = set(storage.listdir(folder)[1])
    renders.clear()

    settings.TASKS = DATABASE_TASKS
    with scopes_disabled():
        print_services.kit_texts_update(
            coop=coop, actor=users["editor"], tagline="Nouveau slogan", message="", welcome_text=""
        )
    assert preview_tasks().count() == 1
    with scopes_disabled():
        coop_services.coop_update_settings(
            coop=coop, actor=users["admin"], data={"main_colour": "#7a1f5c"}
        )
    assert preview_tasks().count() == 2
    assert renders == []

    run_worker()
    after = set(storage.listdir(folder)[1])
    assert len(after) == len(before)
    assert not (after & before)  # every piece shows the new texts: no old file is kept
    with scopes_disabled():
        coop.refresh_from_db()
        run = printing.KitRun(coop)
        versions = thumbnails.stored_versions(
            coop=coop, pieces=printing.kit_pieces(coop=coop), run=run
        )
    assert None not in versions.values()


def test_previews_of_one_coop_are_not_served_for_another(coop, other_coop, users, modules):
    with scopes_disabled():
        thumbnails.previews_render(coop=coop)
        run = printing.KitRun(coop)
        piece = printing.get_piece(coop=coop, key="flyer", modules=run.modules)
        name = thumbnails.preview_name(coop=coop, piece=piece, run=run)
        other_run = printing.KitRun(other_coop)
        other_name = thumbnails.preview_name(coop=other_coop, piece=piece, run=other_run)
    assert name != other_name
    assert f"/{coop.pk}/" in name and f"/{other_coop.pk}/" in other_name
