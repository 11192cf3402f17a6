from django.tasks import task


@task()
def retention_task() -> dict:
    """Flag members inactive for the coop's retention period; anonymise those flagged
    long enough ago (see members.services.retention_run)."""
    from coopculture.members.retention import retention_run

    return retention_run()


def enqueue_retention() -> None:
    retention_task.enqueue()
