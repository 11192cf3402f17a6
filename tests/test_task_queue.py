"""Background work through the real database backend and a real db_worker process."""

import pytest
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from django.tasks import TaskResultStatus

from coopculture.coops import services
from coopculture.coops.models import Invitation, Role
from tests.processes import child_env, manage

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_an_invitation_is_mailed_by_a_real_worker(settings, coop, users, smtp_sink):
    """The invitation task waits in the database until a db_worker process sends it."""
    settings.TASKS = DATABASE_TASKS
    with scopes_disabled():
        invitation = services.invitation_create(
            coop=coop, actor=users["admin"], email="Nouvelle@Example.org", role=Role.EDITOR
        )

    queued = DBTaskResult.objects.get()
    assert queued.status == TaskResultStatus.READY
    assert queued.args_kwargs["kwargs"] == {"coop_id": coop.pk, "invitation_id": invitation.pk}
    assert smtp_sink.messages == []  # nothing is sent by the web request itself

    worker = manage(
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.1",
        "--max-tasks",
        "1",
        env=child_env(SMTP_HOST=smtp_sink.host, SMTP_PORT=str(smtp_sink.port)),
    )
    assert worker.returncode == 0, worker.stderr

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL, queued.traceback
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == "nouvelle@example.org"
    assert coop.name in message["Subject"]
    assert "/invitation/" in smtp_sink.text_of(message)


def test_a_task_for_a_closed_coop_does_nothing(settings, coop, users, mailoutbox):
    """coop_task re-reads the coop: a coop closed meanwhile gets no mail sent for it."""
    with scopes_disabled():
        invitation = Invitation.objects.create(
            coop=coop, email="x@example.org", role=Role.EDITOR, expires_at=coop.created_at
        )
    coop.is_active = False
    coop.save(update_fields=["is_active"])
    from coopculture.coops.tasks import send_invitation_email_task

    result = send_invitation_email_task.enqueue(coop_id=coop.pk, invitation_id=invitation.pk)
    assert result.return_value is None
    assert mailoutbox == []
