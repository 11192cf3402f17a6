"""The learning domain: content rules, rendering, default statuses, progress."""

import uuid

import pytest
from django_scopes import scopes_disabled

from coopculture.coops.scoping import coop_scope
from coopculture.learning import services
from coopculture.learning.content import content_errors
from coopculture.learning.grading import grade_game, grade_quiz
from coopculture.learning.models import (
    CoopModuleSetting,
    EventKind,
    LearningEvent,
    ModuleStatus,
)
from coopculture.learning.rendering import GlossaryLinker, markdown_to_html, render_body
from coopculture.learning.selectors import coop_module_list, learner_progress
from tests.learning.factories import CONTENT, make_glossary, make_module

# --- Content ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CONTENT))
def test_the_factory_content_of_every_kind_is_valid(kind):
    assert content_errors(kind, CONTENT[kind]) == []


def test_a_broken_quiz_reports_every_problem():
    quiz = {
        "pass_mark": 150,
        "questions": [
            {"text": "", "choices": [{"text": "seule", "correct": False}]},
            {
                "text": "Deux bonnes ?",
                "choices": [{"text": "a", "correct": True}, {"text": "b", "correct": True}],
            },
            {"text": "Aucune bonne ?", "choices": [{"text": "a"}, {"text": "b"}]},
        ],
    }
    errors = content_errors("quiz", quiz)
    assert len(errors) == 5, errors  # pass mark, empty text, one choice, two right, none right


def test_unknown_kinds_and_games_are_refused():
    assert content_errors("podcast", {}) != []
    assert content_errors("game", {"game": "memory"}) != []
    assert content_errors("game", {"game": "ordering", "steps": ["a", "a", "b"]}) != []
    matching = {
        "game": "matching",
        "targets": ["x", "y"],
        "pairs": [{"item": "i", "match": "z"}, {"item": "j", "match": "x"}],
    }
    assert len(content_errors("game", matching)) == 1


def test_external_videos_must_use_https():
    video = dict(CONTENT["video"], external_url="http://video.example.org/1")
    assert content_errors("video", video) != []


# --- Rendering -----------------------------------------------------------------------------


def test_markdown_is_sanitised():
    html = markdown_to_html("<script>alert(1)</script> [lien](javascript:alert(1)) **gras**")
    assert "<script" not in html  # escaped as text
    assert 'href="javascript' not in html
    assert "<strong>gras</strong>" in html


@pytest.mark.django_db
def test_an_example_for_an_activity_the_coop_lacks_carries_a_notice(coop, other_coop):
    body = CONTENT["text"]["body"]
    for_a = render_body(body, coop=coop)  # coop A: no rental management
    for_b = render_body(body, coop=other_coop)  # coop B: rental management
    assert "example--elsewhere" in for_a and coop.name in for_a
    assert coop.contact_email in for_a
    assert 'class="example"' in for_b and "example--elsewhere" not in for_b


@pytest.mark.django_db
def test_only_the_first_occurrence_of_a_term_links_to_the_glossary(coop):
    linker = GlossaryLinker(make_glossary(), "/c/coop-a/parcours/glossaire/")
    first = render_body("Chaque associé a une voix. Un associé vote.", coop=coop, linker=linker)
    second = render_body("Les associés et les parts sociales.", coop=coop, linker=linker)
    assert first.count('class="glossary-link"') == 1
    assert 'href="/c/coop-a/parcours/glossaire/#associe"' in first
    assert 'href="/c/coop-a/parcours/glossaire/#part-sociale"' in second
    assert "#associe" not in second  # already linked earlier on the page


# --- Statuses --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_default_status_follows_the_coops_activities(coop, other_coop):
    rental = make_module(concerns=["gestion_locative"])
    coownership = make_module(concerns=["accession_vefa", "syndic"], recommended_for=["syndic"])
    everyone = make_module()
    assert rental.default_status_for(coop.activities) == ModuleStatus.NOT_APPLICABLE
    assert rental.default_status_for(other_coop.activities) == ModuleStatus.RECOMMENDED
    assert coownership.default_status_for(coop.activities) == ModuleStatus.OPTIONAL
    assert coownership.default_status_for(other_coop.activities) == ModuleStatus.RECOMMENDED
    assert everyone.default_status_for([]) == ModuleStatus.RECOMMENDED


@pytest.mark.django_db
def test_the_coop_list_puts_highlights_first_and_not_applicable_last(coop, other_coop):
    rental = make_module(concerns=["gestion_locative"], title="Louer")
    optional = make_module(concerns=["accession_vefa", "syndic"], recommended_for=["syndic"])
    general = make_module(title="Général")
    star = make_module(title="À la une")
    with scopes_disabled():
        CoopModuleSetting.objects.create(coop=coop, module=star, highlighted=True)
    with coop_scope(coop):
        order = [item.module for item in coop_module_list(coop=coop)]
    assert order == [star, general, optional, rental]
    with coop_scope(other_coop):
        assert coop_module_list(coop=other_coop)[0].module != star  # coop A's choice only


# --- Progress --------------------------------------------------------------------------------


def _record(coop, key, activity, user=None, **result):
    with coop_scope(coop):
        return services.learning_record_activity(
            coop=coop, learner_key=key, user=user, activity=activity, **result
        )


@pytest.mark.django_db
def test_a_module_completes_when_its_required_activities_are_done(coop):
    module = make_module(kinds=("text", "quiz", "leaflet"))
    text, quiz, leaflet = module.steps.order_by("position")
    leaflet.required = False
    leaflet.save()
    key = uuid.uuid4()
    assert _record(coop, key, text) is False
    assert _record(coop, key, quiz, score=0, passed=False) is False  # attempted is not enough
    assert _record(coop, key, quiz, score=100, passed=True) is True
    assert _record(coop, key, quiz, score=100, passed=True) is False  # already complete
    with coop_scope(coop):
        progress = learner_progress(coop=coop, learner_key=key)
    assert progress.completed == {module.pk}
    assert progress.done[quiz.pk] is True  # the better result is kept


@pytest.mark.django_db
def test_a_module_waits_for_a_passed_quiz_but_not_for_an_optional_one_or_a_game(coop):
    module = make_module(kinds=("quiz", "game", "quiz"))
    quiz, game, optional_quiz = module.steps.order_by("position")
    optional_quiz.required = False
    optional_quiz.save()
    key = uuid.uuid4()
    assert _record(coop, key, quiz, score=0, passed=False) is False
    assert _record(coop, key, game, score=50, passed=False) is False
    assert _record(coop, key, optional_quiz, score=0, passed=False) is False
    assert _record(coop, key, quiz, score=50, passed=True) is True


@pytest.mark.django_db
def test_progress_is_per_coop_and_per_learner(coop, other_coop):
    module = make_module(kinds=("text",))
    [text] = module.steps.all()
    key = uuid.uuid4()
    _record(coop, key, text)
    with coop_scope(other_coop):
        assert learner_progress(coop=other_coop, learner_key=key).completed == set()
    with coop_scope(coop):
        assert learner_progress(coop=coop, learner_key=uuid.uuid4()).done == {}


@pytest.mark.django_db
def test_anonymous_progress_merges_into_the_account(coop, users):
    module = make_module(kinds=("text", "quiz"))
    text, _quiz = module.steps.order_by("position")
    anonymous, other_device = uuid.uuid4(), uuid.uuid4()
    _record(coop, anonymous, text)
    assert services.learning_merge_anonymous(learner_key=anonymous, user=users["member"]) == 2
    with coop_scope(coop):
        # On another device, signed in as the same member: the progress is there.
        progress = learner_progress(coop=coop, learner_key=other_device, user=users["member"])
        assert text.pk in progress.done
        assert (
            LearningEvent.objects.filter(
                user=users["member"], kind=EventKind.MODULE_STARTED
            ).count()
            == 1
        )


# --- Grading ---------------------------------------------------------------------------------


def test_quiz_grading_scores_and_explains():
    result = grade_quiz(CONTENT["quiz"], {0: [1], 1: [0]})
    assert result.score == 50 and result.passed is True  # pass mark 50
    assert [q.is_right for q in result.questions] == [True, False]
    assert grade_quiz(CONTENT["quiz"], {}).score == 0


def test_game_grading():
    result = grade_game(CONTENT["game"], {0: False, 1: True})
    assert result.score == 100 and result.passed
    assert grade_game(CONTENT["game"], {0: True, 1: True}).score == 50


@pytest.mark.django_db
def test_a_module_cannot_take_a_slug_the_learning_urls_use():
    from django.core.exceptions import ValidationError

    module = make_module()
    module.slug = "glossaire"
    with pytest.raises(ValidationError):
        module.full_clean()
