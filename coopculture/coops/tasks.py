"""Background work of the coops domain, and `coop_task`, the decorator every
coop-related task uses so that its body runs inside the coop's scope."""

import functools

from django_scopes import scopes_disabled

from django.tasks import task

from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope


def coop_task(func=None, **task_options):
    """Like django.tasks.task, for work on one coop's data.

    The task takes `coop_id` (ids only, never model instances): the wrapper loads the
    coop and runs the body as `func(coop, **kwargs)` inside `coop_scope(coop)`. A coop
    deleted or deactivated meanwhile makes the task a no-op.
    """

    def decorate(body):
        @functools.wraps(body)
        def run(*, coop_id: int, **kwargs):
            with scopes_disabled():
                coop = Coop.objects.filter(pk=coop_id, is_active=True).first()
            if coop is None:
                return None
            with coop_scope(coop):
                return body(coop, **kwargs)

        return task(**task_options)(run)

    return decorate(func) if func is not None else decorate


@coop_task
def send_invitation_email_task(coop, *, invitation_id: int) -> bool:
    from coopculture.coops.models import Invitation
    from coopculture.coops.services import invitation_send_email

    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        return False
    return invitation_send_email(coop=coop, invitation=invitation)
