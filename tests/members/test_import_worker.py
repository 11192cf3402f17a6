"""A large import waits in the database queue until a real db_worker process applies it."""

from pathlib import Path

import pytest
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from django.core.files.uploadedfile import SimpleUploadedFile
from django.tasks import TaskResultStatus
from django.urls import reverse

from coopculture.members import importing
from coopculture.members.models import ImportStatus, Member, MemberImport
from tests.processes import child_env, manage

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
FILES = Path(__file__).parent / "files"


def run_one_task():
    worker = manage(
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.1",
        "--max-tasks",
        "1",
        env=child_env(),
    )
    assert worker.returncode == 0, worker.stderr


def test_a_queued_import_is_applied_by_a_real_worker(
    settings, monkeypatch, coop, users, client_for
):
    settings.TASKS = DATABASE_TASKS
    monkeypatch.setattr(importing, "BACKGROUND_THRESHOLD", 1)
    client = client_for(users["admin"])
    start = reverse("members_import:start", kwargs={"coop_slug": coop.slug})
    upload = SimpleUploadedFile("adherents.csv", (FILES / "utf8_bom_commas.csv").read_bytes())
    mapping_url = client.post(start, {"file": upload})["Location"]
    with scopes_disabled():
        job = MemberImport.objects.get()
    # The upload is read by the worker, not by the web request.
    assert job.status == ImportStatus.ANALYSING and job.headers == []
    page = client.get(mapping_url).content.decode()
    assert "<select" not in page and f'href="{mapping_url}"' in page
    analysis = DBTaskResult.objects.get()
    assert analysis.args_kwargs["kwargs"] == {"coop_id": coop.pk, "import_id": job.pk}
    run_one_task()
    analysis.refresh_from_db()
    assert analysis.status == TaskResultStatus.SUCCESSFUL, analysis.traceback
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED and len(job.headers) == 7
    assert "<select" in client.get(mapping_url).content.decode()
    data = {f"col_{i}": t for i, t in enumerate(job.mapping["targets"])}
    preview_url = client.post(mapping_url, data)["Location"]
    # Above the threshold the rows are checked by the worker too.
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKING
    assert "<dd>" not in client.get(preview_url).content.decode()
    run_one_task()
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportStatus.MAPPED, 2)
    checked = DBTaskResult.objects.exclude(pk=analysis.pk).get()
    assert checked.status == TaskResultStatus.SUCCESSFUL, checked.traceback
    detail_url = client.post(preview_url)["Location"]

    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED
    queued = DBTaskResult.objects.exclude(pk__in=[analysis.pk, checked.pk]).get()
    assert queued.status == TaskResultStatus.READY
    assert queued.args_kwargs["kwargs"] == {
        "coop_id": coop.pk,
        "import_id": job.pk,
        "actor_id": users["admin"].pk,
    }
    page = client.get(detail_url).content.decode()
    assert str(ImportStatus.QUEUED.label) in page
    with scopes_disabled():
        assert not Member.objects.exists()  # nothing is written by the web request itself

    run_one_task()

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL, queued.traceback
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.processed_rows) == (2, 2)
    with scopes_disabled():
        assert set(Member.objects.values_list("external_ref", flat=True)) == {"B-001", "B-002"}
    page = client.get(detail_url).content.decode()
    assert str(ImportStatus.DONE.label) in page
    assert (
        reverse(
            "members_import:report", kwargs={"coop_slug": coop.slug, "import_id": job.public_id}
        )
        in page
    )
