"""Following the path through the member pages: every activity kind completed by POSTs,
quiz and game grading, errors that record nothing, and progress carried through sign-in."""

import re
from urllib.parse import urlsplit

import pytest
from django_scopes import scopes_disabled

from django.core import mail
from django.test import Client
from django.urls import reverse

from coopculture.learning.models import (
    Activity,
    EventKind,
    LearningEvent,
)
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db

ALL_KINDS = ("text", "video", "testimonial", "quiz", "game", "leaflet")
RIGHT_QUIZ = {"q0": "1", "q1": "1"}
WRONG_QUIZ = {"q0": "0", "q1": "0"}
RIGHT_GAME = {"s0": "false", "s1": "true"}


def activity_url(coop, module, position: int) -> str:
    return reverse(
        "learning:activity",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": position},
    )


def result_url(coop, module, position: int) -> str:
    return reverse(
        "learning:activity-result",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": position},
    )


def module_url(coop, module) -> str:
    return reverse("learning:module", kwargs={"coop_slug": coop.slug, "module_slug": module.slug})


def events(**filters):
    with scopes_disabled():
        return list(LearningEvent.objects.filter(**filters).order_by("id"))


def answers_for(kind: str) -> dict:
    return {"quiz": RIGHT_QUIZ, "game": RIGHT_GAME}.get(kind, {})


def complete_module(client, coop, module, kinds=ALL_KINDS):
    for position, kind in enumerate(kinds, start=1):
        response = client.post(activity_url(coop, module, position), answers_for(kind))
        assert response.status_code == 302, (kind, response.status_code)


# --- Every kind, by POST -----------------------------------------------------------------------


def test_every_activity_kind_is_completed_by_a_post_and_the_module_completes(client, coop):
    """Text, video, testimonial and leaflet are marked done by their button; the quiz and
    the game by right answers. Each POST redirects (PRG); the last completes the module."""
    module = make_module(kinds=ALL_KINDS)
    for position, kind in enumerate(ALL_KINDS, start=1):
        response = client.post(activity_url(coop, module, position), answers_for(kind))
        assert response.status_code == 302, kind
        location = urlsplit(response["Location"]).path
        if kind in ("quiz", "game"):
            assert location == result_url(coop, module, position)
            result = client.get(location)
            assert result.status_code == 200
            assert result.context["result"].passed is True
        elif position < len(ALL_KINDS):
            assert location == activity_url(coop, module, position + 1)
        else:
            assert location == module_url(coop, module)

    done = events(kind=EventKind.ACTIVITY_DONE)
    assert len(done) == len(ALL_KINDS)
    assert {e.activity.kind for e in done} == set(ALL_KINDS)
    assert all(e.user is None and e.coop_id == coop.pk for e in done)
    assert len({e.learner_key for e in done}) == 1
    assert [e.passed for e in done if e.activity.kind in ("quiz", "game")] == [True, True]
    assert len(events(kind=EventKind.MODULE_COMPLETED, module=module)) == 1

    page = client.get(module_url(coop, module))
    assert page.context["complete"] is True
    assert "notice--success" in page.content.decode()
    assert page.content.decode().count("activity-list__item--done") == len(ALL_KINDS)


def test_marking_an_activity_done_twice_keeps_one_event(client, coop):
    module = make_module(kinds=("text", "quiz"))
    client.post(activity_url(coop, module, 1))
    client.post(activity_url(coop, module, 1))
    assert len(events(kind=EventKind.ACTIVITY_DONE)) == 1
    assert len(events(kind=EventKind.MODULE_STARTED)) == 1


def test_a_get_on_an_activity_records_nothing(client, coop):
    module = make_module(kinds=("text",))
    assert client.get(activity_url(coop, module, 1)).status_code == 200
    assert events() == []


# --- Quizzes ---------------------------------------------------------------------------------


def test_a_failed_quiz_reads_to_do_again_with_its_score_and_completes_nothing(client, coop):
    """The pass mark counts: a failed quiz is an attempt, shown "à refaire" with the score
    and a way to try again, never "Terminé"; no completion, no certificate."""
    module = make_module(kinds=("quiz",))
    response = client.post(activity_url(coop, module, 1), WRONG_QUIZ)
    assert response.status_code == 302
    [done] = events(kind=EventKind.ACTIVITY_DONE)
    assert (done.score, done.passed) == (0, False)
    assert events(kind=EventKind.MODULE_COMPLETED) == []

    result = client.get(result_url(coop, module, 1))
    html = result.content.decode()
    assert result.context["result"].passed is False
    assert "result-summary--failed" in html
    # Right or wrong is said in text with an icon, not by colour only.
    assert html.count('class="verdict verdict--wrong"') == 2
    assert html.count('<span class="verdict__icon" aria-hidden="true">✗</span>') == 2
    assert "Oui." in html and "Non." in html  # the explanations
    assert f'href="{activity_url(coop, module, 1)}"' in html  # try again

    page = client.get(module_url(coop, module)).content.decode().replace("\xa0", " ")
    status = re.search(r'<span class="activity-status[^"]*">(.*?)</span>\s*</span>', page, re.S)
    assert "À refaire : score 0 %, pas encore réussi" in status.group(1)
    assert "Terminé" not in status.group(1)
    assert f'href="{activity_url(coop, module, 1)}">Réessayer' in page
    assert "Vous avez terminé ce module" not in page
    assert "0 sur 1 activité terminée" in page
    activity = client.get(activity_url(coop, module, 1)).content.decode().replace("\xa0", " ")
    assert "À refaire." in activity and "Votre meilleur score est 0 %" in activity
    assert "Vous avez fait cette activité" not in activity

    certificate = reverse(
        "learning_documents:certificate-module",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug},
    )
    refused = client.post(certificate, {"name": "Camille Martin"})
    assert refused["Content-Type"].startswith("text/html")
    assert refused.context["earned"] is False
    parcours = reverse("learning_documents:certificate-parcours", kwargs={"coop_slug": coop.slug})
    assert client.post(parcours, {"name": "Camille Martin"}).context["earned"] is False


def test_a_module_that_requires_passing_waits_for_right_answers(client, coop):
    """A failed quiz does not complete; passing it later does, and the better result is
    kept."""
    module = make_module(kinds=("text", "quiz"))
    client.post(activity_url(coop, module, 1))
    client.post(activity_url(coop, module, 2), WRONG_QUIZ)
    assert events(kind=EventKind.MODULE_COMPLETED) == []
    page = client.get(module_url(coop, module))
    assert page.context["complete"] is False
    # "Continue" leads back to the quiz that is not passed yet.
    assert page.context["next_step"].position == 2

    client.post(activity_url(coop, module, 2), RIGHT_QUIZ)
    assert len(events(kind=EventKind.MODULE_COMPLETED)) == 1
    [quiz_done] = events(kind=EventKind.ACTIVITY_DONE, activity__kind="quiz")
    assert (quiz_done.score, quiz_done.passed) == (100, True)


def test_a_missing_answer_redisplays_the_form_with_an_error_summary_and_records_nothing(
    client, coop
):
    module = make_module(kinds=("quiz",))
    response = client.post(activity_url(coop, module, 1), {"q0": "1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert 'href="#answer-q1_0"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="1" required id="answer-q0_1" checked' in html  # the given answer is kept
    assert events() == []


def test_a_multiple_choice_question_uses_checkboxes_and_needs_every_right_choice(client, coop):
    module = make_module(kinds=("quiz",))
    Activity.objects.filter(module=module).update(
        content={
            "pass_mark": 100,
            "questions": [
                {
                    "text": "Qui peut voter à l'AG ?",
                    "multiple": True,
                    "choices": [
                        {"text": "les locataires associés", "correct": True},
                        {"text": "les accédants associés", "correct": True},
                        {"text": "le notaire", "correct": False},
                    ],
                }
            ],
        }
    )
    html = client.get(activity_url(coop, module, 1)).content.decode()
    assert html.count('type="checkbox" name="q0"') == 3
    client.post(activity_url(coop, module, 1), {"q0": ["0"]})
    assert [e.passed for e in events(kind=EventKind.ACTIVITY_DONE)] == [False]
    client.post(activity_url(coop, module, 1), {"q0": ["0", "1"]})
    assert [e.passed for e in events(kind=EventKind.ACTIVITY_DONE)] == [True]


def test_a_survey_has_no_right_answers_and_shows_the_answers_back(client, coop):
    module = make_module(kinds=("quiz",))
    Activity.objects.filter(module=module).update(
        content={
            "pass_mark": 0,
            "survey": True,
            "questions": [
                {
                    "text": "Êtes-vous déjà allé à une AG ?",
                    "choices": [{"text": "oui"}, {"text": "pas encore"}],
                }
            ],
        }
    )
    response = client.post(activity_url(coop, module, 1), {"q0": "1"})
    assert response.status_code == 302
    [done] = events(kind=EventKind.ACTIVITY_DONE)
    assert done.passed is True and done.score is None
    assert len(events(kind=EventKind.MODULE_COMPLETED)) == 1
    html = client.get(result_url(coop, module, 1)).content.decode()
    assert "<li>pas encore</li>" in html
    assert "verdict" not in html and "result-summary" not in html


def test_the_result_page_without_answers_sends_back_to_the_form(client, coop):
    module = make_module(kinds=("quiz",))
    response = client.get(result_url(coop, module, 1))
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == activity_url(coop, module, 1)


# --- Games -----------------------------------------------------------------------------------


@pytest.fixture
def games(coop):
    module = make_module(kinds=("game", "game", "game"))
    _true_false, ordering, matching = module.steps.order_by("position")
    ordering.content = {
        "game": "ordering",
        "intro": "Remettez dans l'ordre.",
        "steps": ["Réserver", "Signer chez le notaire", "Emménager"],
    }
    ordering.save()
    matching.content = {
        "game": "matching",
        "intro": "Qui fait quoi ?",
        "pairs": [
            {"item": "L'assemblée générale", "match": "vote les comptes"},
            {"item": "Le conseil d'administration", "match": "décide de la stratégie"},
        ],
        "targets": ["décide de la stratégie", "vote les comptes"],
    }
    matching.save()
    return module


def test_true_false_game_grades_each_statement(client, coop, games):
    client.post(activity_url(coop, games, 1), {"s0": "true", "s1": "true"})
    result = client.get(result_url(coop, games, 1))
    assert [item["right"] for item in result.context["game_items"]] == [False, True]
    [done] = events(kind=EventKind.ACTIVITY_DONE)
    assert (done.score, done.passed) == (50, False)


def test_ordering_game_with_selects_of_positions(client, coop, games):
    """Steps are shown sorted by text (Emménager, Réserver, Signer...): positions 3, 1, 2."""
    response = client.post(activity_url(coop, games, 2), {"o0": "3", "o1": "1", "o2": "2"})
    assert response.status_code == 302
    result = client.get(result_url(coop, games, 2))
    assert result.context["result"].passed is True
    assert [e.passed for e in events(kind=EventKind.ACTIVITY_DONE)] == [True]


def test_ordering_game_refuses_a_position_given_twice(client, coop, games):
    response = client.post(activity_url(coop, games, 2), {"o0": "1", "o1": "1", "o2": "2"})
    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()
    assert events() == []


def test_matching_game_with_a_select_of_targets_per_item(client, coop, games):
    client.post(activity_url(coop, games, 3), {"m0": "vote les comptes", "m1": "vote les comptes"})
    result = client.get(result_url(coop, games, 3))
    assert [item["right"] for item in result.context["game_items"]] == [True, False]
    assert result.context["right_count"] == 1
    # A value that is not one of the targets is refused.
    response = client.post(activity_url(coop, games, 3), {"m0": "autre", "m1": "vote"})
    assert response.status_code == 200 and "error-summary" in response.content.decode()


# --- Sign-in: anonymous progress joins the account, and follows it to other devices -----------


def sign_in_with_a_code(client: Client, email: str) -> None:
    """The real member journey: ask for a code, read it in the email, type it in."""
    response = client.post(reverse("account_request_login_code"), {"email": email})
    assert response.status_code == 302
    [message] = [m for m in mail.outbox if email in m.to]
    [code] = re.findall(r"(?<!\d)\d{6}(?!\d)", message.body)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("spaces")).status_code == 200  # signed in


def test_anonymous_progress_joins_the_account_at_sign_in_and_shows_on_another_device(
    coop, users, client_for
):
    member = users["member"]
    module = make_module(kinds=("text", "quiz", "leaflet"))
    phone = Client()
    phone.post(activity_url(coop, module, 1))
    assert [e.user for e in events()] == [None, None]  # started + done, anonymous

    sign_in_with_a_code(phone, member.email)
    assert all(e.user == member for e in events())

    # Signed in, the next activity on the same phone is recorded for the account too.
    phone.post(activity_url(coop, module, 2), RIGHT_QUIZ)
    assert all(e.user == member for e in events())

    # On a computer, signed in as the same member: the progress is there.
    computer = client_for(member)
    page = computer.get(module_url(coop, module))
    assert page.context["state"] == "started"
    assert page.content.decode().count("activity-list__item--done") == 2
    home = computer.get(reverse("learning:home", kwargs={"coop_slug": coop.slug}))
    assert home.context["resume"].module == module
    assert home.context["resume_step"].position == 3

    # Finishing there completes the module for the account.
    computer.post(activity_url(coop, module, 3))
    [completed] = events(kind=EventKind.MODULE_COMPLETED)
    assert completed.user == member


def test_force_login_also_merges_the_sessions_progress(coop, users):
    """Django's login() sends user_logged_in, which learning.signals listens to."""
    module = make_module(kinds=("text", "quiz"))
    client = Client()
    client.post(activity_url(coop, module, 1))
    client.force_login(users["member"], backend="django.contrib.auth.backends.ModelBackend")
    assert {e.user for e in events()} == {users["member"]}


def test_progress_stays_in_its_coop(client, coop, other_coop):
    """What a learner did in coop A's space does not show in coop B's."""
    module = make_module(kinds=("text", "quiz"))
    client.post(activity_url(coop, module, 1))
    page = client.get(module_url(other_coop, module))
    assert page.context["state"] == "new"
    assert events(coop=other_coop) == []
