"""With JavaScript off, every activity kind can be completed: plain links and forms."""

from urllib.parse import urlsplit

from django_scopes import scopes_disabled

from coopculture.learning.models import EventKind, LearningEvent
from tests.browser.conftest import goto
from tests.browser.test_learning_accessibility import (
    KINDS,
    build_learning_world,
    learning_paths,
)


def path_of(url: str) -> str:
    return urlsplit(url).path


def submit(page, selector: str = "main form button[type='submit']"):
    with page.expect_navigation():
        page.locator(selector).click()


def play_the_current_game(page):
    """Answer every radio group and list of the game on the page (right or not)."""
    form = page.locator("form.answer-form")
    for group in form.locator("fieldset").all():
        group.locator("input[type='radio']").first.check()
    for index, select in enumerate(form.locator("select").all()):
        select.select_option(index=index + 1)
    submit(page, "form.answer-form button[type='submit']")


def test_every_activity_kind_is_completed_without_javascript(page_no_js, coop):
    page = page_no_js
    world = build_learning_world(coop)
    paths = learning_paths(world)
    assert page.evaluate("() => typeof window.htmx") == "undefined"

    # From the parcours home to the highlighted module, then "Start".
    goto(page, paths["home"])
    with page.expect_navigation():
        page.locator(
            f"section[aria-labelledby='group-highlighted'] a[href='{paths['module']}']"
        ).click()
    with page.expect_navigation():
        page.locator("main .actions a.button").click()
    assert path_of(page.url) == paths["activity-text"]

    for kind in KINDS:
        assert path_of(page.url) == paths[f"activity-{kind}"], (kind, page.url)
        if kind == "quiz":
            for question in ("q0", "q1"):
                page.locator(f"input[name='{question}'][value='1']").check()
            submit(page)
            assert page.locator(".result-summary--passed").is_visible()
            with page.expect_navigation():
                page.locator("main .actions a.button:not(.button--secondary)").click()
        elif kind == "game":
            page.locator("input[name='s0'][value='false']").check()
            page.locator("input[name='s1'][value='true']").check()
            submit(page)
            assert page.locator(".result-summary--passed").is_visible()
            with page.expect_navigation():
                page.locator("main .actions a.button:not(.button--secondary)").click()
        else:
            submit(page, "form.done-form button")

    # The last one leads back to the module page, which says it is complete.
    assert path_of(page.url) == paths["module"]
    assert page.locator(".messages .message--success").count() == 1
    assert page.locator(".notice--success").is_visible()
    assert page.locator(".activity-list__item--done").count() == len(KINDS)

    # The other games and the hosted video.
    for name in ("activity-game-ordering", "activity-game-matching"):
        goto(page, paths[name])
        play_the_current_game(page)
        assert path_of(page.url).endswith("/resultat/")
        assert page.locator(".verdict").count() >= 2
    goto(page, paths["activity-video-hosted"])
    assert page.locator("iframe").count() == 0
    assert page.locator("a[href='https://video.example.org/v/42']").is_visible()
    submit(page, "form.done-form button")

    with scopes_disabled():
        done = LearningEvent.objects.filter(kind=EventKind.ACTIVITY_DONE)
        assert done.count() == len(KINDS) + 3
        completed = LearningEvent.objects.filter(kind=EventKind.MODULE_COMPLETED)
        assert set(completed.values_list("module__slug", flat=True)) == {
            world.main.slug,
            world.games.slug,
        }
