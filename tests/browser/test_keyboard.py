"""Keyboard only: no mouse, no `fill`, no `click` (WCAG 2.1.1 Keyboard, 2.4.1, 2.4.7)."""

from urllib.parse import urlsplit

import pytest

from django.core import mail

from tests.browser.conftest import goto, login_code_from_outbox, screenshot

MAX_TABS = 40

ACTIVE_ELEMENT = """() => {
    const e = document.activeElement;
    return {
        tag: e.tagName.toLowerCase(),
        id: e.id,
        name: e.getAttribute('name'),
        href: e.getAttribute('href'),
        classes: [...e.classList],
        text: (e.textContent || '').trim(),
    };
}"""


def focused(page) -> dict:
    return page.evaluate(ACTIVE_ELEMENT)


def tab_until(page, matches, what: str) -> dict:
    """Press Tab until the focused element `matches` (it may already be focused)."""
    seen = []
    for _ in range(MAX_TABS):
        element = focused(page)
        if matches(element):
            return element
        seen.append(element)
        page.keyboard.press("Tab")
    pytest.fail(f"{what}: not reached after {MAX_TABS} Tabs on {page.url}; focused: {seen}")


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_member_signs_in_with_a_code_using_the_keyboard_only(page, users):
    email = users["member"].email
    goto(page, "/c/coop-a/")

    link = tab_until(
        page,
        lambda e: e["tag"] == "a" and (e["href"] or "").startswith("/compte/login/code/"),
        "the sign-in link",
    )
    assert link["text"] in {"Se connecter", "Sign in"}, link
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page.url) == "/compte/login/code/", page.url

    tab_until(page, lambda e: e["name"] == "email", "the email field")
    page.keyboard.type(email)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page.url) == "/compte/login/code/confirm/", page.url
    assert len(mail.outbox) == 1

    code = login_code_from_outbox(email)
    tab_until(page, lambda e: e["name"] == "code", "the code field")
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The sign-in link carried ?next=/c/coop-a/: the member is back on the coop's page.
    assert path_of(page.url) == "/c/coop-a/", page.url
    my_space = page.locator("nav.site-nav a[href='/mon-espace/']")
    assert my_space.is_visible(), "no 'Mon espace' / 'My space' link: not signed in?"
    assert page.locator("nav.site-nav a[href^='/compte/login/code/']").count() == 0
    screenshot(page, "keyboard-signed-in")


@pytest.mark.parametrize("path", ["/", "/c/coop-a/", "/compte/login/code/"])
def test_first_tab_shows_the_skip_link_and_it_moves_to_the_content(page, coop, path):
    goto(page, path)
    skip_link = page.locator(".skip-link")
    hidden_box = skip_link.bounding_box()
    assert hidden_box is not None and hidden_box["y"] + hidden_box["height"] <= 0, (
        f"the skip link should be off-screen until focused: {hidden_box}"
    )

    page.keyboard.press("Tab")
    element = focused(page)
    assert "skip-link" in element["classes"], f"first Tab focused {element}"
    box = skip_link.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 0, box
    assert skip_link.is_visible()
    outline = skip_link.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return {style: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow}; }"
    )
    assert outline["style"] != "none" and outline["width"] != "0px", outline
    screenshot(page, f"skip-link-{path.strip('/').replace('/', '-') or 'home'}")

    page.keyboard.press("Enter")
    assert focused(page)["id"] == "contenu", "the skip link should move focus to <main>"


@pytest.mark.parametrize("path", ["/", "/c/coop-a/"])
def test_every_focusable_element_has_a_visible_focus_indicator(page, coop, other_coop, path):
    """WCAG 2.4.7: Tab through the whole page; each stop shows an outline or a ring."""
    goto(page, path)
    stops = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        state = page.evaluate(
            """() => {
                const e = document.activeElement;
                const s = getComputedStyle(e);
                return {
                    html: e.outerHTML.slice(0, 120),
                    body: e === document.body,
                    outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
                    shadow: s.boxShadow !== 'none',
                };
            }"""
        )
        if state["body"] or (stops and state["html"] == stops[0]["html"]):
            break
        stops.append(state)
    assert len(stops) >= 3, stops
    invisible = [s["html"] for s in stops if not (s["outline"] or s["shadow"])]
    assert not invisible, f"no visible focus indicator on: {invisible}"
