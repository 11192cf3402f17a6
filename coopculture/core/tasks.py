"""Platform housekeeping tasks."""

from django.core.management import call_command
from django.tasks import task

FINISHED_TASK_RETENTION_DAYS = 14


@task()
def prune_task_results_task() -> None:
    """Delete finished task results older than two weeks (the queue table stays small)."""
    call_command("prune_db_task_results", min_age_days=FINISHED_TASK_RETENTION_DAYS, verbosity=0)


def enqueue_prune_task_results() -> None:
    from django_tasks_db.backend import DatabaseBackend

    from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        prune_task_results_task.enqueue()
