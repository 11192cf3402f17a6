""" "The whole kit" ZIP: built by its task, every piece inside, progress up to the total, a
failure recorded and shown; private archives; the federation's batch over every coop."""

import io
import zipfile

import pypdf
import pytest
from django_scopes import scopes_disabled

from django.conf import settings
from django.urls import reverse

from coopculture.kit import print_services, printing
from coopculture.kit.models import BuildStatus, KitBatch, KitBuild
from tests.conftest import make_coop
from tests.kit.print_helpers import make_modules, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def modules(db):
    return make_modules()


def index_url(coop):
    return reverse("kit_print:index", kwargs={"coop_slug": coop.slug})


def request_build(client, coop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kit_print:build-create", kwargs={"coop_slug": coop.slug}))
    assert response.status_code == 302
    with scopes_disabled():
        return KitBuild.objects.filter(coop=coop).latest("created_at"), response


def test_the_whole_kit_is_built_with_every_piece(
    coop, users, modules, client_for, django_capture_on_commit_callbacks
):
    client = client_for(users["animateur"])
    build, response = request_build(client, coop, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse(
        "kit_print:build", kwargs={"coop_slug": coop.slug, "build_id": build.public_id}
    )
    assert build.status == BuildStatus.DONE
    with scopes_disabled():
        pieces = printing.kit_pieces(coop=coop)
    assert build.pieces_done == build.pieces_total == len(pieces)
    assert build.requested_by == users["animateur"]
    # The archive is a private file, outside MEDIA_ROOT.
    path = build.archive.path
    assert path.startswith(str(settings.PRIVATE_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))

    download = client.get(
        reverse(
            "kit_print:build-download", kwargs={"coop_slug": coop.slug, "build_id": build.public_id}
        )
    )
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert "attachment" in download["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert sorted(archive.namelist()) == sorted(piece.filename for piece in pieces)
        for name in archive.namelist():
            pdf = archive.read(name)
            assert pdf.startswith(b"%PDF")
            assert coop.name in pdf_text(pdf), name
            assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 1

    page = client.get(index_url(coop)).content.decode()
    assert "Download the ZIP" in page or "Télécharger le ZIP" in page


def test_progress_is_shown_while_the_kit_is_built(coop, users, modules, client_for):
    """A queued build: the page shows the progress, a refresh link and htmx polling."""
    with scopes_disabled():
        build = KitBuild.objects.create(
            coop=coop, status=BuildStatus.RUNNING, pieces_done=3, pieces_total=12
        )
    client = client_for(users["editor"])
    url = reverse("kit_print:build", kwargs={"coop_slug": coop.slug, "build_id": build.public_id})
    page = client.get(url).content.decode()
    assert 'role="status"' in page
    assert '<progress id="kit-build-progress" max="12" value="3">' in page
    assert f'href="{url}"' in page  # works without JavaScript
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 2s"' in page
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="kit-build-status"')
    assert "<html" not in partial
    # The kit page shows the same region for the latest build.
    assert 'value="3"' in client.get(index_url(coop)).content.decode()
    # Done: no more polling.
    with scopes_disabled():
        KitBuild.objects.filter(pk=build.pk).update(status=BuildStatus.DONE, pieces_done=12)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in done


def test_a_failure_is_recorded_and_shown(
    coop, users, modules, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("la police est introuvable")

    monkeypatch.setattr(printing, "render_piece", broken)
    client = client_for(users["admin"])
    build, response = request_build(client, coop, django_capture_on_commit_callbacks)
    assert build.status == BuildStatus.FAILED
    assert "la police est introuvable" in build.error
    assert build.finished_at is not None and not build.archive
    page = client.get(response["Location"]).content.decode()
    assert "la police est introuvable" in page
    assert "message--error" in page
    # No archive to download.
    download = reverse(
        "kit_print:build-download", kwargs={"coop_slug": coop.slug, "build_id": build.public_id}
    )
    assert client.get(download).status_code == 404


def test_a_build_runs_once(coop, modules):
    with scopes_disabled():
        build = KitBuild.objects.create(coop=coop, pieces_total=1)
        first = print_services.kit_build_run(coop=coop, build_id=build.pk)
        second = print_services.kit_build_run(coop=coop, build_id=build.pk)
    assert first.status == BuildStatus.DONE
    assert second is None


def test_a_second_request_while_building_reuses_the_build(coop, users, modules):
    with scopes_disabled():
        first = print_services.kit_build_request(coop=coop, actor=users["admin"])
        again = print_services.kit_build_request(coop=coop, actor=users["admin"])
    assert again.pk == first.pk


def test_another_coop_cannot_download_the_archive(
    coop, other_coop, users, modules, client_for, django_capture_on_commit_callbacks
):
    build, _response = request_build(
        client_for(users["admin"]), coop, django_capture_on_commit_callbacks
    )
    other = client_for(users["other_admin"])
    for coop_slug in (coop.slug, other_coop.slug):
        url = reverse(
            "kit_print:build-download", kwargs={"coop_slug": coop_slug, "build_id": build.public_id}
        )
        assert other.get(url).status_code == 404
    # And the file is not under /media/.
    assert client_for(users["admin"]).get(f"/media/{build.archive.name}").status_code == 404


def test_the_federation_builds_every_active_coops_kit(
    coop, other_coop, users, modules, client_for, django_capture_on_commit_callbacks
):
    closed = make_coop("coop-fermee", is_active=False)
    client = client_for(users["federation"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kit_federation:batches"))
    batch = KitBatch.objects.get()
    assert response["Location"] == reverse(
        "kit_federation:batch", kwargs={"batch_id": batch.public_id}
    )
    with scopes_disabled():
        builds = list(KitBuild.objects.filter(batch=batch).select_related("coop"))
    assert {b.coop for b in builds} == {coop, other_coop}
    assert closed not in {b.coop for b in builds}
    assert all(b.status == BuildStatus.DONE for b in builds)
    progress = print_services.batch_progress(batch)
    assert progress["done"] == progress["builds"] == 2 and progress["finished"]
    assert progress["pieces_done"] == progress["pieces_total"] > 0
    page = client.get(response["Location"]).content.decode()
    assert "2/2" in page and "hx-get" not in page
    # Each coop sees its kit in its history.
    coop_page = client_for(users["admin"]).get(index_url(coop)).content.decode()
    assert "build-download" not in coop_page  # (url names never leak into pages)
    assert f"/gestion/{coop.slug}/kit/kit-complet/" in coop_page
    # Nobody else reaches the federation pages.
    for actor in ("admin", "editor", "animateur", "member"):
        assert client_for(users[actor]).get(response["Location"]).status_code == 404
        assert client_for(users[actor]).post(reverse("kit_federation:batches")).status_code == 404


def test_housekeeping_deletes_old_archives_and_records_interrupted_builds(
    coop, users, modules, client_for, settings
):
    from django.utils import timezone

    from coopculture.core import ticks
    from tests.tenancy import OBJECT_FACTORIES

    assert "kit.print_housekeeping" in {job.name for job in ticks.registered_jobs()}
    now = timezone.now()
    with scopes_disabled():
        ids = [OBJECT_FACTORIES["build_id"](coop) for _ in range(3)]
        old, older, latest = (KitBuild.objects.get(public_id=i) for i in ids)
        KitBuild.objects.filter(pk=old.pk).update(created_at=now - timezone.timedelta(days=40))
        KitBuild.objects.filter(pk=older.pk).update(created_at=now - timezone.timedelta(days=50))
        stuck = KitBuild.objects.create(coop=coop, status=BuildStatus.RUNNING, pieces_total=9)
        KitBuild.objects.filter(pk=stuck.pk).update(created_at=now - timezone.timedelta(hours=3))
        fresh = KitBuild.objects.create(coop=coop, status=BuildStatus.RUNNING, pieces_total=9)
        paths = {b.pk: b.archive.path for b in (old, older, latest)}
    result = print_services.kit_housekeeping(now=now)
    assert result == {"archives_deleted": 2, "builds_interrupted": 1}
    with scopes_disabled():
        for build in (old, older, latest, stuck, fresh):
            build.refresh_from_db()
    import os

    assert not old.archive and not older.archive and not os.path.exists(paths[old.pk])
    assert latest.archive and os.path.exists(paths[latest.pk])
    assert stuck.status == BuildStatus.FAILED
    assert "Interrupted" in stuck.error or "Interrompu" in stuck.error
    assert fresh.status == BuildStatus.RUNNING
    page = client_for(users["admin"]).get(index_url(coop)).content.decode()
    assert "No longer kept" in page or "Plus conservé" in page
    # Once a day only: a second run finds nothing more.
    assert print_services.kit_housekeeping(now=now) == {
        "archives_deleted": 0,
        "builds_interrupted": 0,
    }
