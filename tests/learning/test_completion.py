"""One definition of "complete": a module is complete once its required activities are done
and its required quizzes PASSED. Every reader of completion agrees with it: the member
pages, the certificates, the campaigns' next step and segments, the kit's figures."""

import importlib
import uuid

import pytest
from django_scopes import scopes_disabled

from django.apps import apps as django_apps
from django.urls import reverse

from coopculture.coops.scoping import coop_scope
from coopculture.learning import api as learning_api
from coopculture.learning import services
from coopculture.learning.models import CoopModuleSetting, EventKind, LearningEvent, ModuleStatus
from tests.conftest import make_user
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db


def record(coop, module, *, learner_key, user=None, passed: bool, channel=""):
    with coop_scope(coop):
        for activity in module.steps.order_by("position"):
            quiz = activity.kind == "quiz"
            services.learning_record_activity(
                coop=coop,
                learner_key=learner_key,
                user=user,
                activity=activity,
                score=(100 if passed else 0) if quiz else None,
                passed=passed if quiz else None,
                channel=channel,
            )


def test_failing_every_quiz_earns_no_certificate_and_counts_nowhere(coop, client_for):
    """Everything done, every quiz failed: nothing anywhere says the module is complete."""
    first = make_module(kinds=("text", "quiz"), title="Ma coop")
    second = make_module(kinds=("quiz",), title="Mon AG")
    member = make_user("lea@example.org", password=None)
    key = uuid.uuid4()
    for module in (first, second):
        record(coop, module, learner_key=key, user=member, passed=False, channel="lien:affiche")
    client = client_for(member)

    home = client.get(reverse("learning:home", kwargs={"coop_slug": coop.slug}))
    assert "Terminé" not in home.content.decode()
    for module in (first, second):
        url = reverse(
            "learning_documents:certificate-module",
            kwargs={"coop_slug": coop.slug, "module_slug": module.slug},
        )
        assert client.post(url, {"name": "Léa"})["Content-Type"].startswith("text/html")
    parcours = reverse("learning_documents:certificate-parcours", kwargs={"coop_slug": coop.slug})
    assert client.post(parcours, {"name": "Léa"})["Content-Type"].startswith("text/html")

    with coop_scope(coop):
        assert (
            learning_api.users_with_module(coop=coop, module_slug=first.slug, completed=True)
            == set()
        )
        assert learning_api.next_modules(coop=coop, user_ids=[member.pk])[member.pk][0] == (
            first.slug
        )
        assert (
            learning_api.completions_after(coop=coop, user_ids=[member.pk], since=first.created_at)
            == 0
        )
        figures = learning_api.source_daily_counts(coop=coop, source_prefix="lien:")
    assert sum(row["completed"] for row in figures) == 0
    assert sum(row["started"] for row in figures) == 2

    # Passing the quizzes completes both, everywhere at once.
    for module in (first, second):
        record(coop, module, learner_key=key, user=member, passed=True, channel="lien:affiche")
    with coop_scope(coop):
        assert learning_api.users_with_module(
            coop=coop, module_slug=first.slug, completed=True
        ) == {member.pk}
        assert member.pk not in learning_api.next_modules(coop=coop, user_ids=[member.pk])
        figures = learning_api.source_daily_counts(coop=coop, source_prefix="lien:")
    assert sum(row["completed"] for row in figures) == 2
    assert client.post(parcours, {"name": "Léa"})["Content-Type"] == "application/pdf"


def test_the_path_certificate_requires_the_recommended_modules_only(coop, client_for):
    """A module the coop shows as optional ("Facultatif") is not required for the path."""
    recommended = make_module(kinds=("text",), title="Ma coop")
    optional = make_module(kinds=("text",), title="Pour aller plus loin")
    with scopes_disabled():
        CoopModuleSetting.objects.create(coop=coop, module=optional, status=ModuleStatus.OPTIONAL)
    client = client_for()
    home = client.get(reverse("learning:home", kwargs={"coop_slug": coop.slug})).content.decode()
    assert "Facultatif" in home

    parcours = reverse("learning_documents:certificate-parcours", kwargs={"coop_slug": coop.slug})
    page = client.get(parcours)
    assert page.context["modules_required"] == 1
    assert [e["item"].module for e in page.context["modules_missing"]] == [recommended]
    assert "Les modules facultatifs ne sont pas exigés." in page.content.decode()

    done = client.post(
        reverse(
            "learning:activity",
            kwargs={"coop_slug": coop.slug, "module_slug": recommended.slug, "position": 1},
        )
    )
    assert done.status_code == 302
    response = client.post(parcours, {"name": "Léa Moreau"})
    assert response["Content-Type"] == "application/pdf"


def test_the_migration_takes_back_completions_recorded_after_a_failed_quiz(coop):
    """Completions recorded under the old "attempted" rule are removed where a required quiz
    was not passed, and kept where it was (or where the module has no quiz)."""
    quiz_module = make_module(kinds=("text", "quiz"))
    text_module = make_module(kinds=("text",))
    failed, passed = uuid.uuid4(), uuid.uuid4()
    record(coop, quiz_module, learner_key=passed, passed=True)
    record(coop, text_module, learner_key=failed, passed=False)
    record(coop, quiz_module, learner_key=failed, passed=False)
    with scopes_disabled():
        # As the old rule recorded it.
        LearningEvent.objects.create(
            coop=coop, learner_key=failed, kind=EventKind.MODULE_COMPLETED, module=quiz_module
        )
        migration = importlib.import_module(
            "coopculture.learning.migrations.0003_completion_requires_passed_quizzes"
        )
        migration._take_back_unearned_completions(django_apps, None)
        left = set(
            LearningEvent.objects.filter(kind=EventKind.MODULE_COMPLETED).values_list(
                "learner_key", "module_id"
            )
        )
    assert left == {(passed, quiz_module.pk), (failed, text_module.pk)}
