"""The member learning pages in a real browser: no axe-core violation (WCAG 2.1 A/AA) on the
parcours home, a module page, every activity kind, the quiz and game results and the
glossary; nothing scrolls sideways at 320 px; screenshots at 1280 and 320 px."""

import itertools
from pathlib import Path
from types import SimpleNamespace

import pytest
from django_scopes import scopes_disabled

from coopculture.learning.models import Activity, CoopModuleSetting
from tests.browser.conftest import assert_no_axe_violations, console_errors, goto
from tests.learning.factories import make_glossary, make_module

LEARNING_SHOTS = Path("/tmp/shots-learning")
KINDS = ("text", "video", "testimonial", "quiz", "game", "leaflet")

TEXT_BODY = (
    "Une coopérative appartient à ses **associés** : chaque associé détient au moins "
    "une part sociale.\n\n"
    "::: exemple gestion_locative\n"
    "Votre loyer finance l'entretien de votre résidence.\n"
    ":::\n\n"
    "::: exemple accession_vefa\n"
    "Votre contrat de réservation mentionne votre part sociale.\n"
    ":::\n"
)
ORDERING = {
    "game": "ordering",
    "intro": "Du contrat aux clés : remettez les étapes dans l'ordre.",
    "steps": ["Signer le contrat de réservation", "Signer l'acte chez le notaire", "Emménager"],
}
MATCHING = {
    "game": "matching",
    "intro": "Qui fait quoi ?",
    "pairs": [
        {"item": "L'assemblée générale", "match": "approuve les comptes"},
        {"item": "Le conseil d'administration", "match": "met en œuvre les décisions"},
    ],
    "targets": ["approuve les comptes", "met en œuvre les décisions"],
}


def build_learning_world(coop):
    """A coop's path with every activity kind: the main module (six kinds, highlighted,
    with the coop's note), a games module (ordering, matching, hosted video), and a module
    about rental management, which does not concern coop A."""
    make_glossary()
    main = make_module(
        kinds=KINDS,
        slug="etre-cooperateur",
        title="Être coopérateur",
        summary="Ce que change le fait d'être associé de sa coop.",
        duration_minutes=15,
    )
    Activity.objects.filter(module=main, kind="text").update(content={"body": TEXT_BODY})
    games = make_module(
        kinds=("game", "game", "video"),
        slug="jeux",
        title="Jeux de la coop",
        summary="Trois jeux pour vérifier ce que vous avez retenu.",
    )
    ordering, matching, hosted = games.steps.order_by("position")
    ordering.content, matching.content = ORDERING, MATCHING
    ordering.save()
    matching.save()
    hosted.content = dict(hosted.content, external_url="https://video.example.org/v/42")
    hosted.save()
    rental = make_module(concerns=["gestion_locative"], slug="louer", title="Locataire d'une coop")
    make_module(slug="optionnel", concerns=["accession_vefa", "syndic"], recommended_for=["syndic"])
    with scopes_disabled():
        CoopModuleSetting.objects.create(
            coop=coop,
            module=main,
            highlighted=True,
            note="Chez Coop A, une permanence a lieu chaque mardi pour en parler.",
        )
    return SimpleNamespace(main=main, games=games, rental=rental)


def learning_shot(page, name: str) -> Path:
    LEARNING_SHOTS.mkdir(parents=True, exist_ok=True)
    path = LEARNING_SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def answer_quiz(page, *, right: bool = True):
    """The factory quiz: the right answer is the second choice of each question."""
    choice = "1" if right else "0"
    for question in ("q0", "q1"):
        page.locator(f"input[name='{question}'][value='{choice}']").check()
    with page.expect_navigation():
        page.locator("form.answer-form button[type='submit']").click()


def assert_no_console_errors(page):
    errors = console_errors(page)
    assert not errors, f"console errors on {page.url}:\n" + "\n".join(errors)


def assert_one_h1_and_headings_in_order(page):
    levels = page.evaluate(
        "() => [...document.querySelectorAll('main h1, main h2, main h3, main h4')]"
        ".map(h => Number(h.tagName[1]))"
    )
    assert levels.count(1) == 1 and levels[0] == 1, levels
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}: {levels}"


def learning_paths(world) -> dict[str, str]:
    main, games = world.main.slug, world.games.slug
    paths = {
        "home": "/c/coop-a/parcours/",
        "glossary": "/c/coop-a/parcours/glossaire/",
        "module": f"/c/coop-a/parcours/{main}/",
        "module-not-applicable": f"/c/coop-a/parcours/{world.rental.slug}/",
    }
    for position, kind in enumerate(KINDS, start=1):
        paths[f"activity-{kind}"] = f"/c/coop-a/parcours/{main}/{position}/"
    paths["activity-game-ordering"] = f"/c/coop-a/parcours/{games}/1/"
    paths["activity-game-matching"] = f"/c/coop-a/parcours/{games}/2/"
    paths["activity-video-hosted"] = f"/c/coop-a/parcours/{games}/3/"
    return paths


PAGES = (
    "home",
    "glossary",
    "module",
    "module-not-applicable",
    *(f"activity-{kind}" for kind in KINDS),
    "activity-game-ordering",
    "activity-game-matching",
    "activity-video-hosted",
)


@pytest.mark.parametrize("name", PAGES)
def test_learning_pages_have_no_axe_violations(page, coop, other_coop, name):
    world = build_learning_world(coop)
    goto(page, learning_paths(world)[name])
    assert page.locator("nav.breadcrumb").count() == 1
    assert_one_h1_and_headings_in_order(page)
    assert_no_axe_violations(page)
    assert_no_console_errors(page)


def test_quiz_result_and_error_pages_have_no_axe_violations(page, coop):
    world = build_learning_world(coop)
    paths = learning_paths(world)
    goto(page, paths["activity-quiz"])
    # One question left unanswered: the error summary.
    page.locator("input[name='q0'][value='1']").check()
    with page.expect_navigation():
        page.locator("form.answer-form button[type='submit']").click()
    assert page.locator(".error-summary").is_visible()
    assert_no_axe_violations(page)

    answer_quiz(page, right=False)
    assert page.url.endswith("/resultat/")
    assert page.locator(".verdict--wrong").count() == 2
    assert_one_h1_and_headings_in_order(page)
    assert_no_axe_violations(page)
    assert_no_console_errors(page)


@pytest.mark.parametrize(
    "game", ["activity-game", "activity-game-ordering", "activity-game-matching"]
)
def test_game_results_have_no_axe_violations(page, coop, game):
    world = build_learning_world(coop)
    goto(page, learning_paths(world)[game])
    form = page.locator("form.answer-form")
    for radio_group in form.locator("fieldset").all():
        radio_group.locator("input[type='radio']").first.check()
    for index, select in enumerate(form.locator("select").all()):
        select.select_option(index=index + 1)
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    assert page.url.endswith("/resultat/"), page.url
    assert page.locator(".verdict").count() >= 2
    assert_one_h1_and_headings_in_order(page)
    assert_no_axe_violations(page)
    assert_no_console_errors(page)


@pytest.mark.parametrize(
    "name",
    [
        "home",
        "module",
        "activity-text",
        "activity-quiz",
        "activity-game-ordering",
        "activity-video-hosted",
        "glossary",
    ],
)
def test_no_horizontal_scroll_at_320_px(new_page, coop, name):
    """WCAG 1.4.10 Reflow: at 320 CSS pixels nothing needs sideways scrolling."""
    world = build_learning_world(coop)
    page = new_page(viewport={"width": 320, "height": 640})
    goto(page, learning_paths(world)[name])
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 320)
            .slice(0, 5).map(e => e.outerHTML.slice(0, 150))"""
    )
    assert width <= 320, f"{name} is {width} px wide at 320 px: {wide}"


def test_targets_are_at_least_44_px(page, coop):
    """Buttons, radio labels and selects of the quiz and game pages are 44 px high or more."""
    world = build_learning_world(coop)
    paths = learning_paths(world)
    for name in ("activity-quiz", "activity-game-ordering", "activity-text", "module"):
        goto(page, paths[name])
        small = page.evaluate(
            """() => [...document.querySelectorAll(
                'main button, main select, main label:has(input), main .button,'
                + ' main .activity-list a, main .activity-nav a')]
                .filter(e => e.getBoundingClientRect().height < 44)
                .map(e => e.outerHTML.slice(0, 120))"""
        )
        assert not small, f"{name}: targets under 44 px: {small}"


@pytest.mark.parametrize("width", [1280, 320])
def test_screenshots(new_page, coop, width):
    """Screenshots of the home, a module, a game and a quiz result (for a human to look at)."""
    world = build_learning_world(coop)
    paths = learning_paths(world)
    page = new_page(viewport={"width": width, "height": 900})
    goto(page, paths["activity-text"])
    with page.expect_navigation():
        page.locator("form.done-form button").click()  # some progress for the cards
    for name in ("home", "module", "activity-game", "activity-game-ordering", "activity-text"):
        goto(page, paths[name])
        learning_shot(page, f"{name}-{width}")
    goto(page, paths["activity-quiz"])
    answer_quiz(page, right=False)
    learning_shot(page, f"quiz-result-{width}")
