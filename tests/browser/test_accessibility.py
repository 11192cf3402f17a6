"""axe-core finds no WCAG 2.1 A/AA violation on the main pages; no sideways scroll at 320 px.

axe only finds part of the problems (about a third of WCAG): the keyboard and no-JavaScript
journeys are in their own modules.
"""

import urllib.error
import urllib.request

import pytest

from django.core import mail

from tests.browser.conftest import (
    APP_CSS,
    assert_no_axe_violations,
    console_errors,
    force_login,
    goto,
    screenshot,
)


def assert_no_console_errors(page):
    errors = console_errors(page)
    assert not errors, f"console errors on {page.url} (CSP violations show here):\n" + "\n".join(
        errors
    )


def test_static_files_are_served(live_server):
    """app.css and htmx are found (STATICFILES_DIRS) and served by the live server."""
    from django.contrib.staticfiles import finders

    assert finders.find(APP_CSS), "no staticfiles finder knows coopculture/static/"
    for path, content_type in [
        (f"/static/{APP_CSS}", "text/css"),
        ("/static/vendor/htmx.min.js", "javascript"),
    ]:
        try:
            with urllib.request.urlopen(live_server.url + path) as response:
                assert response.status == 200
                assert content_type in response.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            pytest.fail(f"{path}: HTTP {error.code}")


@pytest.mark.parametrize(
    ("path", "shot"),
    [
        ("/", "home"),
        ("/c/coop-a/", "public-page"),
        ("/c/coop-a/livret-accueil/accedants/", "welcome-booklet"),
        ("/compte/login/", "sign-in-staff"),
        ("/compte/login/code/", "sign-in-code"),
    ],
)
def test_public_pages_have_no_axe_violations(page, coop, other_coop, path, shot):
    goto(page, path)
    screenshot(page, shot)
    assert_no_axe_violations(page)
    assert_no_console_errors(page)


def test_code_confirmation_page_has_no_axe_violations(page, users):
    goto(page, "/compte/login/code/")
    page.locator("input[name='email']").fill(users["member"].email)
    with page.expect_navigation():
        page.locator("form[action='/compte/login/code/'] button[type='submit']").click()
    assert page.url.endswith("/compte/login/code/confirm/"), page.url
    assert [m.to for m in mail.outbox] == [[users["member"].email]]
    assert page.locator("input[name='code']").is_visible()
    screenshot(page, "sign-in-code-confirm")
    assert_no_axe_violations(page)
    assert_no_console_errors(page)


@pytest.mark.parametrize(
    ("path", "shot"),
    [
        ("/gestion/coop-a/", "dashboard"),
        ("/gestion/coop-a/coop/", "coop-settings"),
        ("/gestion/coop-a/equipe/", "team"),
    ],
)
def test_staff_pages_have_no_axe_violations(page, live_server, users, path, shot):
    force_login(page, live_server, users["admin"])
    goto(page, path)
    assert page.locator("nav.staff-nav").is_visible()
    screenshot(page, shot)
    assert_no_axe_violations(page)
    assert_no_console_errors(page)


def test_not_found_page_has_no_axe_violations(page, coop):
    goto(page, "/cette-page-n-existe-pas/", status=404)
    assert page.locator("h1").count() == 1
    screenshot(page, "not-found")
    assert_no_axe_violations(page)


def test_form_with_errors_has_an_error_summary_and_no_axe_violations(page, live_server, users):
    force_login(page, live_server, users["admin"])
    goto(page, "/gestion/coop-a/equipe/")
    form = page.locator("form[aria-labelledby='invite-title']")
    form.locator("input[name='email']").fill("pas-une-adresse")
    with page.expect_navigation() as navigation:
        form.locator("button[type='submit']").click()
    assert navigation.value.status == 200

    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.is_visible()
    assert summary.get_attribute("role") == "alert"
    page.wait_for_function("document.activeElement === document.querySelector('.error-summary')")
    link = summary.locator("a[href='#id_email']")
    assert link.count() == 1, summary.inner_html()
    field = page.locator("#id_email")
    assert field.input_value() == "pas-une-adresse"
    assert field.get_attribute("aria-invalid") == "true"
    error_id = page.locator(".field--error .errorlist").get_attribute("id")
    assert error_id and error_id in (field.get_attribute("aria-describedby") or "").split()
    assert not mail.outbox
    screenshot(page, "team-form-errors")
    assert_no_axe_violations(page)
    assert_no_console_errors(page)


@pytest.mark.parametrize("path", ["/", "/c/coop-a/", "/compte/login/code/"])
def test_no_horizontal_scroll_at_320_px(new_page, coop, other_coop, path):
    """WCAG 1.4.10 Reflow: 320 CSS pixels wide, nothing needs sideways scrolling."""
    page = new_page(viewport={"width": 320, "height": 640})
    goto(page, path)
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 320)
            .slice(0, 5)
            .map(e => e.outerHTML.slice(0, 150))"""
    )
    assert widths["scroll"] <= 320, (
        f"{path} is {widths['scroll']} px wide at 320 px; wider elements: {overflowing}"
    )


def test_the_welcome_booklet_page_with_its_modules_has_no_axe_violations(page, coop):
    from coopculture.learning.demo import load_demo_content

    load_demo_content()
    goto(page, "/c/coop-a/livret-accueil/accedants/")
    assert page.locator("a", has_text="Regarder la vidéo").count() >= 1
    screenshot(page, "welcome-booklet-modules")
    assert_no_axe_violations(page)
    assert_no_console_errors(page)
