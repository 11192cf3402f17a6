"""Authoring the learning path in the Django admin (/federation/admin/): modules with
their activities, content checked before anything is saved, publication, glossary."""

import json

import pytest

from django.contrib import admin
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from coopculture.learning.content import content_errors
from coopculture.learning.models import (
    Activity,
    CoopModuleSetting,
    GlossaryTerm,
    LearningEvent,
    Module,
    PublicationStatus,
)
from tests.conftest import make_user
from tests.learning.factories import CONTENT, make_module

pytestmark = pytest.mark.django_db

BROKEN_QUIZ = {
    "pass_mark": 150,
    "questions": [{"text": "Qui vote ?", "choices": [{"text": "moi", "correct": False}]}],
}


@pytest.fixture
def operator(client_for):
    """A federation technical operator (Django admin access)."""
    user = make_user("operateur@example.org", is_staff=True, is_superuser=True)
    return client_for(user)


def module_data(**fields) -> dict:
    data = {
        "title": "Ma coop, c'est quoi ?",
        "slug": "ma-coop",
        "summary": "Ce qu'est une coopérative Hlm.",
        "duration_minutes": "15",
        "position": "1",
        "status": PublicationStatus.DRAFT,
        "concerns": [],
        "recommended_for": [],
        "audiences": ["locataire", "accedant"],
        "cover_alt": "",
        "steps-TOTAL_FORMS": "0",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
        "_save": "Enregistrer",
    }
    data.update(fields)
    return data


def with_activities(data: dict, *activities: dict) -> dict:
    data = dict(data)
    data["steps-TOTAL_FORMS"] = str(len(activities))
    for i, activity in enumerate(activities):
        for key, value in activity.items():
            data[f"steps-{i}-{key}"] = value
    return data


def activity(position, kind, content, title=None) -> dict:
    return {
        "position": str(position),
        "kind": kind,
        "title": title or f"{kind} {position}",
        "required": "on",
        "content": json.dumps(content, ensure_ascii=False),
    }


def test_a_module_is_created_with_its_activities(operator):
    """Valid content: the module and its activities are saved, concerns as a list."""
    data = with_activities(
        module_data(concerns=["accession_vefa", "psla"], recommended_for=["psla"]),
        activity(1, "text", CONTENT["text"]),
        activity(2, "quiz", CONTENT["quiz"]),
    )

    response = operator.post(reverse("admin:learning_module_add"), data)

    assert response.status_code == 302, response.context and response.context["errors"]
    module = Module.objects.get(slug="ma-coop")
    assert module.concerns == ["accession_vefa", "psla"]
    assert module.recommended_for == ["psla"]
    assert module.status == PublicationStatus.DRAFT
    assert [(a.position, a.kind) for a in module.steps.order_by("position")] == [
        (1, "text"),
        (2, "quiz"),
    ]
    assert module.steps.get(kind="quiz").content == CONTENT["quiz"]


def test_an_invalid_quiz_shows_every_problem_and_saves_nothing(operator):
    """The inline lists the content problems (in French) under the content field."""
    data = with_activities(
        module_data(),
        activity(1, "text", CONTENT["text"]),
        activity(2, "quiz", BROKEN_QUIZ, title="Quiz cassé"),
    )

    response = operator.post(reverse("admin:learning_module_add"), data)

    assert response.status_code == 200
    page = response.content.decode()
    with translation.override("fr"):
        expected = content_errors("quiz", BROKEN_QUIZ)
    assert len(expected) >= 2
    for message in expected:
        assert escape(message) in page
    [_text_form, quiz_form] = response.context["inline_admin_formsets"][0].formset.forms
    assert quiz_form.has_error("content")
    assert quiz_form.non_field_errors() == []
    assert Module.objects.count() == 0
    assert Activity.objects.count() == 0


def test_malformed_json_is_refused(operator):
    data = with_activities(module_data(), activity(1, "text", CONTENT["text"]))
    data["steps-0-content"] = '{"body": "pas fermé"'

    response = operator.post(reverse("admin:learning_module_add"), data)

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.forms[0].has_error("content")
    assert Module.objects.count() == 0


def test_editing_an_activity_with_broken_content_keeps_the_old_content(operator):
    module = make_module(kinds=("text", "quiz"), status=PublicationStatus.DRAFT)
    text, quiz = module.steps.order_by("position")
    data = module_data(title=module.title, slug=module.slug)
    data = with_activities(
        data,
        {**activity(1, "text", CONTENT["text"]), "id": str(text.pk), "module": str(module.pk)},
        {**activity(2, "quiz", BROKEN_QUIZ), "id": str(quiz.pk), "module": str(module.pk)},
    )
    data["steps-INITIAL_FORMS"] = "2"

    response = operator.post(reverse("admin:learning_module_change", args=[module.pk]), data)

    assert response.status_code == 200
    quiz.refresh_from_db()
    assert quiz.content == CONTENT["quiz"]


def test_a_module_cannot_be_recommended_for_activities_it_does_not_concern(operator):
    data = module_data(concerns=["gestion_locative"], recommended_for=["syndic"])

    response = operator.post(reverse("admin:learning_module_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("recommended_for")
    assert Module.objects.count() == 0


def test_the_change_page_shows_the_content_readably(operator):
    """Activities in their order, JSON indented, the expected shapes in the help text."""
    module = make_module(kinds=("quiz", "text"))

    response = operator.get(reverse("admin:learning_module_change", args=[module.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "&quot;pass_mark&quot;: 50" in page or '"pass_mark": 50' in page
    assert "&quot;questions&quot;: [\n" in page
    assert "true_false" in page  # the help text lists every kind's shape
    forms = response.context["inline_admin_formsets"][0].formset.forms
    assert [f.instance.position for f in forms] == [1, 2]


def test_the_publish_action_publishes_complete_modules_only(operator):
    ready = make_module(status=PublicationStatus.DRAFT)
    empty = make_module(kinds=(), status=PublicationStatus.DRAFT)
    url = reverse("admin:learning_module_changelist")

    response = operator.post(
        url, {"action": "publish", "_selected_action": [ready.pk, empty.pk]}, follow=True
    )

    assert response.status_code == 200
    ready.refresh_from_db()
    empty.refresh_from_db()
    assert ready.status == PublicationStatus.PUBLISHED
    assert empty.status == PublicationStatus.DRAFT
    assert escape(empty.title) in response.content.decode()


def test_the_publish_action_refuses_a_module_with_invalid_content(operator):
    """Content saved before a rule changed (or by a bundle) is checked again."""
    module = make_module(status=PublicationStatus.DRAFT)
    Activity.objects.filter(module=module, kind="quiz").update(content=BROKEN_QUIZ)

    operator.post(
        reverse("admin:learning_module_changelist"),
        {"action": "publish", "_selected_action": [module.pk]},
    )

    module.refresh_from_db()
    assert module.status == PublicationStatus.DRAFT


def test_back_to_draft(operator):
    module = make_module()

    operator.post(
        reverse("admin:learning_module_changelist"),
        {"action": "unpublish", "_selected_action": [module.pk]},
    )

    module.refresh_from_db()
    assert module.status == PublicationStatus.DRAFT


def test_the_module_list_shows_status_position_and_concerns(operator):
    make_module(title="Locataire d'une coop", concerns=["gestion_locative"])

    response = operator.get(reverse("admin:learning_module_changelist"))

    assert response.status_code == 200
    assert escape("Locataire d'une coop") in response.content.decode()
    assert list(response.context["cl"].list_display) == [
        "action_checkbox",
        "title",
        "status",
        "position",
        "concerns_display",
        "activity_count",
    ]


def test_glossary_terms_take_their_variants_as_a_comma_list(operator):
    response = operator.post(
        reverse("admin:learning_glossaryterm_add"),
        {
            "term": "part sociale",
            "slug": "part-sociale",
            "definition": "Petite somme qui fait de vous un associé.",
            "variants": "parts sociales,  part ,",
            "_save": "Enregistrer",
        },
    )

    assert response.status_code == 302
    assert GlossaryTerm.objects.get().variants == ["parts sociales", "part"]


def test_coop_owned_rows_are_not_in_the_admin():
    """Coop overlays and learners' events are scoped: not in the admin (ADR 0005)."""
    assert admin.site.is_registered(Module)
    assert admin.site.is_registered(GlossaryTerm)
    assert not admin.site.is_registered(CoopModuleSetting)
    assert not admin.site.is_registered(LearningEvent)
    assert not admin.site.is_registered(Activity)  # edited within its module only


def test_coop_staff_without_admin_access_cannot_author(coop, users, client_for):
    """Coop teams cannot; the federation team can (tests/test_federation_access.py)."""
    assert (
        client_for(users["federation"]).get(reverse("admin:learning_module_changelist")).status_code
        == 200
    )
    for actor in ("admin", "editor"):
        response = client_for(users[actor]).get(reverse("admin:learning_module_changelist"))
        assert response.status_code == 302, actor
        assert "/login/" in response["Location"]
