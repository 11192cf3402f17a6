"""Writes of the learning domain: progress events and each coop's overlay."""

from django_scopes import scopes_disabled

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from coopculture.coops.models import Coop
from coopculture.coops.scoping import ensure_same_coop
from coopculture.coops.services import audit_log
from coopculture.learning.errors import LearningError
from coopculture.learning.models import (
    Activity,
    CoopModuleSetting,
    EventKind,
    LearningEvent,
    Module,
    ModuleStatus,
)
from coopculture.learning.selectors import learner_progress, module_is_complete


def _event(*, coop, learner_key, user, kind, module, activity=None, defaults=None):
    """Create the event once (unique per learner, kind, module and activity)."""
    lookup = {
        "coop": coop,
        "learner_key": learner_key,
        "kind": kind,
        "module": module,
        "activity": activity,
    }
    values = {"user": user if user is not None and user.is_authenticated else None}
    values.update(defaults or {})
    try:
        with transaction.atomic():
            event, created = LearningEvent.objects.get_or_create(**lookup, defaults=values)
    except IntegrityError:  # the same event recorded by a concurrent request
        event, created = LearningEvent.objects.get(**lookup), False
    return event, created


@transaction.atomic
def learning_start_module(*, coop: Coop, learner_key, user, module: Module, channel: str = ""):
    _event(
        coop=coop,
        learner_key=learner_key,
        user=user,
        kind=EventKind.MODULE_STARTED,
        module=module,
        defaults={"channel": channel},
    )


@transaction.atomic
def learning_record_activity(
    *,
    coop: Coop,
    learner_key,
    user,
    activity: Activity,
    score: int | None = None,
    passed: bool | None = None,
    channel: str = "",
) -> bool:
    """Mark `activity` done (keeping the best result); returns True if this completed
    its module just now (selectors.module_is_complete: required quizzes passed)."""
    module = activity.module
    learning_start_module(
        coop=coop, learner_key=learner_key, user=user, module=module, channel=channel
    )
    event, created = _event(
        coop=coop,
        learner_key=learner_key,
        user=user,
        kind=EventKind.ACTIVITY_DONE,
        module=module,
        activity=activity,
        defaults={"score": score, "passed": passed, "channel": channel},
    )
    if not created and score is not None and (event.score is None or score >= event.score):
        event.score, event.passed = score, bool(passed) or bool(event.passed)
        event.save(update_fields=["score", "passed", "updated_at"])
    elif not created:
        event.save(update_fields=["updated_at"])  # the last activity touched, for "resume"

    progress = learner_progress(coop=coop, learner_key=learner_key, user=user)
    if module.pk in progress.completed:
        return False
    activities = list(module.steps.order_by("position"))
    if not module_is_complete(module, activities, progress):
        return False
    _event(
        coop=coop,
        learner_key=learner_key,
        user=user,
        kind=EventKind.MODULE_COMPLETED,
        module=module,
        defaults={"channel": channel},
    )
    return True


def learning_merge_anonymous(*, learner_key, user) -> int:
    """At sign-in, give the account what this browser did before (in every coop: it is
    the same person's own progress, hence the unscoped update)."""
    with scopes_disabled():
        return LearningEvent.objects.filter(learner_key=learner_key, user__isnull=True).update(
            user=user
        )


@transaction.atomic
def module_setting_update(
    *,
    coop: Coop,
    actor,
    module: Module,
    status: str,
    highlighted: bool,
    highlight_position: int,
    note: str,
) -> CoopModuleSetting:
    if status and status not in ModuleStatus.values:
        raise LearningError(_("Choose a status from the list."), code="invalid_status")
    setting, _created = CoopModuleSetting.objects.get_or_create(coop=coop, module=module)
    ensure_same_coop(coop, setting)
    setting.status = status or ""
    setting.highlighted = highlighted
    setting.highlight_position = highlight_position
    setting.note = note.strip()
    setting.full_clean()
    setting.save()
    audit_log(
        coop=coop,
        actor=actor,
        action="learning.module_adapted",
        data={"module": module.title, "status": setting.status, "highlighted": highlighted},
    )
    return setting
