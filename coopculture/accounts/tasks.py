from django.tasks import task


@task()
def purge_unconfirmed_accounts_task() -> int:
    from coopculture.accounts.services import user_purge_unconfirmed

    return user_purge_unconfirmed()


def enqueue_purge_unconfirmed_accounts() -> None:
    purge_unconfirmed_accounts_task.enqueue()
