"""Background work of the member import (see members/importing.py).

Files above importing.BACKGROUND_THRESHOLD rows are applied here, by a db_worker: the
page of the import shows the progress (importing.progress_get) and, at the end, the result.
"""

from django.tasks import task

from coopculture.coops.tasks import coop_task


@coop_task
def analyse_import_task(coop, *, import_id: int) -> str | None:
    """Read an uploaded file (format, columns, rows) away from the web request.
    Idempotent: only an import still being analysed is touched (importing.import_analyse)."""
    from coopculture.members import importing
    from coopculture.members.models import MemberImport

    job = MemberImport.objects.filter(pk=import_id, coop=coop).first()
    if job is None:
        return None
    importing.import_analyse(coop=coop, job=job)
    job.refresh_from_db()
    return job.status


@coop_task
def check_import_task(coop, *, import_id: int) -> str | None:
    """Check every row of a large file with its chosen columns (importing.preview).
    Idempotent: only an import still being checked is checked."""
    from coopculture.members import importing
    from coopculture.members.models import ImportStatus, MemberImport

    job = MemberImport.objects.filter(pk=import_id, coop=coop).first()
    if job is None or job.status != ImportStatus.CHECKING:
        return None
    importing.preview(coop=coop, job=job)
    return job.status


@coop_task
def apply_import_task(coop, *, import_id: int, actor_id: int | None = None) -> dict | None:
    """Apply a queued import. Idempotent: only an import still QUEUED is run (claimed by
    one conditional UPDATE), so a second run, or a run after it is done, does nothing."""
    from django.contrib.auth import get_user_model

    from coopculture.members import importing
    from coopculture.members.models import ImportStatus, MemberImport

    claimed = MemberImport.objects.filter(
        pk=import_id, coop=coop, status=ImportStatus.QUEUED
    ).update(status=ImportStatus.RUNNING)
    if not claimed:
        return None
    job = MemberImport.objects.get(pk=import_id, coop=coop)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    outcome = importing.run_import(coop=coop, job=job, actor=actor)
    return {
        "status": job.status,
        "rows": outcome.total,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "errors": outcome.error_count,
    }


@task()
def purge_import_files_task() -> dict:
    """Delete the files and error lists of old imports, the uploads of unfinished ones,
    and the files no import refers to (importing.purge_old_files, purge_orphan_files)."""
    from coopculture.members.importing import purge_old_files, purge_orphan_files

    return {"purged": purge_old_files(), "orphans": purge_orphan_files()}


def enqueue_purge() -> None:
    """The tick job (registered in members/apps.py)."""
    purge_import_files_task.enqueue()
