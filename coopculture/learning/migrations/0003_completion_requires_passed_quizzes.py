"""A module is complete once its required quizzes are passed (no per-module rule any more).

Completions recorded before, for modules whose rule only asked for an attempt, are taken
back when a required quiz of the module was not passed: the learner sees the quiz "to do
again", and the certificates and figures stop counting it.
"""

from django_scopes import scopes_disabled

from django.db import migrations
from django.db.models import Q


def _take_back_unearned_completions(apps, schema_editor):
    Activity = apps.get_model("learning", "Activity")
    LearningEvent = apps.get_model("learning", "LearningEvent")
    with scopes_disabled():
        quizzes: dict[int, set[int]] = {}
        for module_id, activity_id in Activity.objects.filter(
            required=True, kind="quiz"
        ).values_list("module_id", "id"):
            quizzes.setdefault(module_id, set()).add(activity_id)
        stale = []
        completions = LearningEvent._base_manager.filter(
            kind="module_completed", module_id__in=list(quizzes)
        )
        for event in completions.iterator():
            who = Q(learner_key=event.learner_key)
            if event.user_id:
                who |= Q(user_id=event.user_id)
            passed = set(
                LearningEvent._base_manager.filter(
                    who,
                    coop_id=event.coop_id,
                    kind="activity_done",
                    activity_id__in=list(quizzes[event.module_id]),
                    passed=True,
                ).values_list("activity_id", flat=True)
            )
            if passed != quizzes[event.module_id]:
                stale.append(event.pk)
        LearningEvent._base_manager.filter(pk__in=stale).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0002_alter_module_slug"),
    ]

    operations = [
        migrations.RunPython(_take_back_unearned_completions, migrations.RunPython.noop),
        migrations.RemoveField(model_name="module", name="completion_rule"),
    ]
