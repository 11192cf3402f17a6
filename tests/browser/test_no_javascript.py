"""With JavaScript off, everything still works: plain links and forms (progressive enhancement)."""

from urllib.parse import urlsplit

from django_scopes import scopes_disabled

from django.core import mail

from coopculture.coops.models import Invitation
from tests.browser.conftest import goto, login, login_code_from_outbox, screenshot
from tests.conftest import PASSWORD


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_javascript_is_really_off(page_no_js, coop):
    goto(page_no_js, "/")
    # evaluate() runs through the DevTools protocol even when page scripts are disabled.
    assert page_no_js.evaluate("() => typeof window.htmx") == "undefined"


def test_home_page_lists_the_coops_and_links_to_them(page_no_js, coop, other_coop):
    page = page_no_js
    goto(page, "/")
    assert page.locator("h1").count() == 1
    links = page.locator("ul.cards a")
    assert sorted(links.evaluate_all("links => links.map(a => a.getAttribute('href'))")) == [
        "/c/coop-a/",
        "/c/coop-b/",
    ]
    with page.expect_navigation():
        page.locator("ul.cards a[href='/c/coop-a/']").click()
    assert path_of(page.url) == "/c/coop-a/"
    assert "Coop A" in page.locator("h1").inner_text()


def test_coop_public_page(page_no_js, coop):
    page = page_no_js
    goto(page, "/c/coop-a/")
    assert "Coop A" in page.locator("h1").inner_text()
    assert page.locator(".contact-list a[href='mailto:contact@coop-a.example.org']").is_visible()
    assert page.locator("nav.site-nav a[href^='/compte/login/code/']").is_visible()


def test_member_signs_in_with_a_code(page_no_js, users):
    page = page_no_js
    email = users["member"].email
    goto(page, "/c/coop-a/")
    with page.expect_navigation():
        page.locator("nav.site-nav a[href^='/compte/login/code/']").click()
    assert path_of(page.url) == "/compte/login/code/"

    form = page.locator("form:has(input[name='email'])")
    form.locator("input[name='email']").fill(email)
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    assert path_of(page.url) == "/compte/login/code/confirm/"

    form = page.locator("form:has(input[name='code'])")
    form.locator("input[name='code']").fill(login_code_from_outbox(email))
    with page.expect_navigation():
        # "Cancel" sits in this form too but submits another one (form="logout-from-stage").
        form.locator("button[type='submit']:not([form])").click()

    assert path_of(page.url) == "/c/coop-a/", page.url
    assert page.locator("nav.site-nav a[href='/mon-espace/']").is_visible()


def test_staff_signs_in_and_invites_a_team_member(page_no_js, live_server, users):
    page = page_no_js
    admin = users["admin"]
    login(page, live_server, admin.email, PASSWORD)
    assert path_of(page.url) == "/mon-espace/", page.url

    with page.expect_navigation():
        page.locator("a[href='/gestion/coop-a/']").click()
    assert path_of(page.url) == "/gestion/coop-a/"
    assert page.locator("nav.staff-nav a[aria-current='page']").get_attribute("href") == (
        "/gestion/coop-a/"
    )
    screenshot(page, "no-js-dashboard")

    with page.expect_navigation():
        page.locator("nav.staff-nav a[href='/gestion/coop-a/equipe/']").click()
    invited = "nouvelle@coop-a.example.org"
    form = page.locator("form[aria-labelledby='invite-title']")
    form.locator("input[name='email']").fill(invited)
    form.locator("input[name='role'][value='animateur']").check()
    with page.expect_navigation():
        form.locator("button[type='submit']").click()

    assert path_of(page.url) == "/gestion/coop-a/equipe/"
    success = page.locator(".messages .message--success")
    assert success.count() == 1 and invited in success.inner_text()
    row = page.locator("table tbody tr", has_text=invited)
    assert row.count() == 1, page.locator("main").inner_text()
    assert row.locator(f"button:has-text('{invited}')").count() == 1  # its cancel button
    assert [m.to for m in mail.outbox] == [[invited]]
    with scopes_disabled():
        assert Invitation.objects.filter(coop__slug="coop-a", email=invited).count() == 1
    screenshot(page, "no-js-team-invited")
