"""The member's preferences page in a real browser: axe-core, no JavaScript, keyboard only."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django_scopes import scopes_disabled

from django.core import mail
from django.urls import reverse

from coopculture.members import links
from coopculture.members.models import Channel, ConsentRecord, Member
from tests.browser.conftest import assert_no_axe_violations, console_errors, goto, screenshot
from tests.members.factories import make_member, make_programme, reserve

MAX_TABS = 60


@pytest.fixture
def member(coop):
    member = make_member(
        coop, first_name="Josiane", last_name="Le Goff", preferred_channel=Channel.POST
    )
    reserve(coop, member, make_programme(coop, name="Résidence Pré-Vert", kind="locatif"))
    return member


def url_for(member, name: str = "preferences", token: str | None = None) -> str:
    return reverse(
        f"members_public:{name}",
        kwargs={"coop_slug": member.coop.slug, "token": token or links.preferences_token(member)},
    )


def ledger(member) -> list[tuple[str, bool, str]]:
    with scopes_disabled():
        return [
            (r.purpose, r.granted, r.source)
            for r in ConsentRecord.objects.filter(member=member).order_by("id")
        ]


def channel_of(member) -> str:
    with scopes_disabled():
        return Member.objects.get(pk=member.pk).preferred_channel


def prove(page, member, *, check: bool = False):
    """The page asks for the code mailed to the member (members.proof): ask for it, read
    it in the outbox (the live server runs in this process), type it. `check`: axe-core on
    the proof page, before and after asking."""
    assert page.locator("h1").inner_text() == "Confirmez que c'est bien vous"
    assert member.first_name not in page.locator("main").inner_text()
    if check:
        screenshot(page, "member-proof")
        assert_clean(page)
    with page.expect_navigation():
        page.locator("form button[type='submit']").first.click()
    [code] = re.findall(r"^\s+(\d{6})\s*$", mail.outbox[-1].body, flags=re.M)
    assert mail.outbox[-1].to == [member.email]
    if check:
        screenshot(page, "member-proof-code")
        assert_clean(page)
    page.locator("input[name='code']").fill(code)
    with page.expect_navigation():
        page.locator("form button[type='submit']").first.click()


def assert_clean(page, *, status: int = 200):
    assert_no_axe_violations(page)
    errors = console_errors(page)
    if status != 200:  # the page's own status is logged as a console error
        errors = [e for e in errors if f"status of {status}" not in e]
    assert not errors, f"console errors on {page.url}:\n" + "\n".join(errors)


def test_preferences_page_has_no_axe_violations_before_and_after_saving(page, member):
    url = url_for(member)
    referers = []
    page.on("request", lambda request: referers.append(request.headers.get("referer")))
    goto(page, url)
    prove(page, member, check=True)
    assert page.locator("h1").count() == 1
    screenshot(page, "member-preferences")
    assert_clean(page)

    page.locator("input[name='consent_bulletin'][value='yes']").check()
    page.locator("input[name='preferred_channel'][value='sms']").check()
    with page.expect_navigation():
        page.locator("form[method='post'] button[type='submit']").click()
    assert urlsplit(page.url).path == url
    assert page.locator(".message--success").is_visible()
    screenshot(page, "member-preferences-saved")
    assert_clean(page)
    assert channel_of(member) == Channel.SMS
    # The stylesheet, scripts, the form's POST: none is told the page's address (token).
    assert len(referers) > 3
    assert not [r for r in referers if r and "mes-donnees" in r], referers


def test_preferences_page_with_errors_has_no_axe_violations(page, member):
    """An impossible channel (forced into the form) shows the error summary, still clean."""
    goto(page, url_for(member))
    prove(page, member)
    page.evaluate(
        """() => {
            const radio = document.querySelector("input[name='preferred_channel']");
            radio.value = 'carrier-pigeon';
            radio.checked = true;
        }"""
    )
    with page.expect_navigation():
        page.locator("form[method='post'] button[type='submit']").click()
    assert page.locator(".error-summary").is_visible()
    screenshot(page, "member-preferences-error")
    assert_clean(page)


def test_invalid_and_expired_link_pages_have_no_axe_violations(new_page, member, monkeypatch):
    page = new_page()
    goto(page, url_for(member, token="ce-lien-est-faux"), status=404)
    assert page.locator("h1").count() == 1
    assert page.locator(".contact-list a[href^='mailto:']").is_visible()
    screenshot(page, "member-link-invalid")
    assert_clean(page, status=404)

    token = links.preferences_token(member)
    monkeypatch.setattr(links, "MAX_AGE", dt.timedelta(seconds=-1))
    page = new_page()
    goto(page, url_for(member, token=token), status=410)
    assert page.locator(".contact-list a[href^='mailto:']").is_visible()
    screenshot(page, "member-link-expired")
    assert_clean(page, status=410)


def test_readable_export_has_no_axe_violations(page, member):
    goto(page, url_for(member))
    prove(page, member)
    with page.expect_navigation():
        page.locator("main a[href$='/donnees/']").click()
    assert page.locator("h1").count() == 1
    assert "Le Goff" in page.locator("main").inner_text()
    screenshot(page, "member-export")
    assert_clean(page)


def test_narrow_screen_has_no_sideways_scroll(new_page, member):
    page = new_page(viewport={"width": 320, "height": 800})
    goto(page, url_for(member))
    prove(page, member)
    for url in (url_for(member), url_for(member, "export")):
        goto(page, url)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{url}: {overflow}px of sideways scroll at 320 px"
    screenshot(page, "member-export-320")


def test_the_form_works_without_javascript(page_no_js, member):
    page = page_no_js
    url = url_for(member)
    goto(page, url)
    prove(page, member)
    page.locator("input[name='consent_sessions'][value='yes']").check()
    page.locator("input[name='consent_coop_news'][value='no']").check()
    page.locator("input[name='preferred_channel'][value='phone']").check()
    with page.expect_navigation():
        page.locator("form[method='post'] button[type='submit']").click()
    assert urlsplit(page.url).path == url
    assert page.locator(".message--success").is_visible()
    assert page.locator("input[name='consent_sessions'][value='yes']").is_checked()
    assert ledger(member) == [("coop_news", False, "web_form"), ("sessions", True, "web_form")]
    assert channel_of(member) == Channel.PHONE


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return {tag: e.tagName.toLowerCase(), name: e.getAttribute('name'),
                    value: e.getAttribute('value'), type: e.getAttribute('type')};
        }"""
    )


def tab_until(page, matches, what: str) -> dict:
    seen = []
    for _ in range(MAX_TABS):
        element = focused(page)
        if matches(element):
            return element
        seen.append(element)
        page.keyboard.press("Tab")
    pytest.fail(f"{what}: not reached after {MAX_TABS} Tabs; focused: {seen}")


def test_the_form_works_with_the_keyboard_only(page, member):
    """Tab to each radio group, arrows to choose, Enter on the button."""
    url = url_for(member)
    goto(page, url)
    prove(page, member)
    tab_until(page, lambda e: e["name"] == "preferred_channel", "the channel group")
    # Post is checked (email, post, phone, SMS): one arrow down moves to phone.
    page.keyboard.press("ArrowDown")
    assert focused(page)["value"] == Channel.PHONE
    tab_until(page, lambda e: e["name"] == "consent_bulletin", "the bulletin question")
    page.keyboard.press("Space")
    assert focused(page)["value"] == "yes"
    tab_until(page, lambda e: e["name"] == "consent_coop_news", "the news question")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert focused(page)["value"] == "no"
    tab_until(page, lambda e: e["tag"] == "button" and e["type"] == "submit", "the button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == url
    assert page.locator(".message--success").is_visible()
    assert ledger(member) == [("bulletin", True, "web_form"), ("coop_news", False, "web_form")]
    assert channel_of(member) == Channel.PHONE
