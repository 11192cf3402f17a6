"""A quiz done with the keyboard only: Tab to move, arrows and Space to choose within a radio
group, Enter to send and to follow links (WCAG 2.1.1 Keyboard, 2.4.3 Focus order, 2.4.7)."""

from urllib.parse import urlsplit

import pytest
from django_scopes import scopes_disabled

from coopculture.learning.models import EventKind, LearningEvent
from tests.browser.conftest import goto
from tests.browser.test_learning_accessibility import build_learning_world, learning_paths

MAX_TABS = 60

ACTIVE_ELEMENT = """() => {
    const e = document.activeElement;
    const style = getComputedStyle(e);
    return {
        tag: e.tagName.toLowerCase(),
        name: e.getAttribute('name'),
        value: e.getAttribute('value'),
        type: e.getAttribute('type'),
        href: e.getAttribute('href'),
        checked: !!e.checked,
        outline: style.outlineStyle,
    };
}"""


def focused(page) -> dict:
    return page.evaluate(ACTIVE_ELEMENT)


def tab_until(page, matches, what: str) -> dict:
    seen = []
    for _ in range(MAX_TABS):
        element = focused(page)
        if matches(element):
            return element
        seen.append(element)
        page.keyboard.press("Tab")
    pytest.fail(f"{what}: not reached after {MAX_TABS} Tabs on {page.url}; focused: {seen}")


def test_a_quiz_done_with_the_keyboard_only(page, coop):
    world = build_learning_world(coop)
    paths = learning_paths(world)
    goto(page, paths["activity-quiz"])

    for question in ("q0", "q1"):
        first = tab_until(page, lambda e, q=question: e["name"] == q, f"question {question}")
        assert first["value"] == "0" and first["outline"] != "none", first  # focus is visible
        page.keyboard.press("ArrowDown")  # the second choice (the right one)
        page.keyboard.press("Space")
        chosen = focused(page)
        assert (chosen["name"], chosen["value"], chosen["checked"]) == (question, "1", True)

    button = tab_until(page, lambda e: e["tag"] == "button" and e["type"] == "submit", "submit")
    assert button["outline"] != "none"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path.endswith("/4/resultat/"), page.url
    assert page.locator(".result-summary--passed").is_visible()
    with scopes_disabled():
        [done] = LearningEvent.objects.filter(kind=EventKind.ACTIVITY_DONE)
        assert (done.score, done.passed) == (100, True)

    # "Continue" leads to the next activity.
    next_path = paths["activity-game"]
    tab_until(page, lambda e: e["tag"] == "a" and e["href"] == next_path, "the Continue link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == next_path
