"""The matching game's labels can really be dragged onto their answer (matching-game.js),
placed with the keyboard only (choose a label, then its answer), and, without JavaScript,
the lists alone still play the game. The board and the lists always agree, and the answers
sent are graded as right."""

from django_scopes import scopes_disabled

from coopculture.learning.models import EventKind, LearningEvent
from tests.browser.conftest import assert_no_axe_violations, console_errors, goto, screenshot
from tests.browser.test_learning_accessibility import (
    MATCHING,
    build_learning_world,
    learning_paths,
)

ITEMS = [pair["item"] for pair in MATCHING["pairs"]]
ANSWERS = {pair["item"]: pair["match"] for pair in MATCHING["pairs"]}


def zone(page, answer: str):
    return page.locator(".dnd-zone").filter(has=page.locator(".dnd-zone__drop", has_text=answer))


def chip(page, item: str):
    return page.locator(".dnd-chip", has_text=item)


def select_of(page, index: int):
    return page.locator(f"select[name='m{index}']")


def send_and_check_all_right(page):
    with page.expect_navigation():
        page.locator("form.answer-form button[type='submit']").click()
    assert "/resultat/" in page.url
    assert page.locator(".verdict--right").count() == len(ITEMS)
    with scopes_disabled():
        [done] = LearningEvent.objects.filter(kind=EventKind.ACTIVITY_DONE)
        assert (done.score, done.passed) == (100, True)


def test_the_labels_are_dragged_onto_their_answers(page, coop):
    paths = learning_paths(build_learning_world(coop))
    goto(page, paths["activity-game-matching"])
    assert page.locator(".game-dnd-hint").is_visible()  # the drag claim shows with JS only
    assert page.locator(".dnd-zone--pool .dnd-chip").count() == len(ITEMS)
    screenshot(page, "learning-matching-dnd-before")

    for index, item in enumerate(ITEMS):
        chip(page, item).drag_to(zone(page, ANSWERS[item]))
        assert zone(page, ANSWERS[item]).locator(".dnd-chip", has_text=item).count() == 1
        assert select_of(page, index).input_value() == ANSWERS[item]  # the list follows
    assert page.locator(".dnd-zone--pool .dnd-chip").count() == 0
    screenshot(page, "learning-matching-dnd-after")
    assert_no_axe_violations(page)
    assert not console_errors(page), console_errors(page)  # no CSP violation either

    # A list changed by hand moves its label on the board.
    select_of(page, 0).select_option("")
    assert page.locator(".dnd-zone--pool .dnd-chip", has_text=ITEMS[0]).count() == 1
    chip(page, ITEMS[0]).drag_to(zone(page, ANSWERS[ITEMS[0]]))
    send_and_check_all_right(page)


def test_the_labels_are_placed_with_the_keyboard_only(page, coop):
    paths = learning_paths(build_learning_world(coop))
    goto(page, paths["activity-game-matching"])
    for index, item in enumerate(ITEMS):
        chip(page, item).focus()
        page.keyboard.press("Enter")  # choose the label
        assert chip(page, item).get_attribute("aria-pressed") == "true"
        assert "Étiquette choisie" in page.locator(".dnd-status").inner_text()
        # Tab forward to the answer's button, then Enter to put the label there.
        target = zone(page, ANSWERS[item]).locator(".dnd-zone__drop")
        for _ in range(20):
            if target.evaluate("e => e === document.activeElement"):
                break
            page.keyboard.press("Tab")
        else:
            raise AssertionError(f"the answer {ANSWERS[item]!r} is not reachable with Tab")
        page.keyboard.press("Enter")
        assert zone(page, ANSWERS[item]).locator(".dnd-chip", has_text=item).count() == 1
        assert select_of(page, index).input_value() == ANSWERS[item]
        assert "placée dans" in page.locator(".dnd-status").inner_text()
    screenshot(page, "learning-matching-keyboard")
    page.locator("form.answer-form button[type='submit']").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".verdict--right").count() == len(ITEMS)


def test_without_javascript_the_lists_play_the_game_and_nothing_claims_dragging(page_no_js, coop):
    page = page_no_js
    paths = learning_paths(build_learning_world(coop))
    goto(page, paths["activity-game-matching"])
    assert page.locator(".dnd-board").count() == 0
    assert not page.locator(".game-dnd-hint").is_visible()
    assert "glisser" not in page.locator("main").inner_text()
    for index, item in enumerate(ITEMS):
        select_of(page, index).select_option(ANSWERS[item])
    send_and_check_all_right(page)
