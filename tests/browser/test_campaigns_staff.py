"""The campaigns back office in a real browser (c2): axe-core finds no WCAG 2.1 A/AA
violation on the send list, the campaign form (with errors), the recipients page, the
send's page, the preview, the approval page, the automations and the bulletin; a
campaign is written and sent for approval with JavaScript off."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from coopculture.campaigns.models import Send, SendStatus
from tests.browser.conftest import (
    assert_clean,
    force_login,
    goto,
    screenshot,
)
from tests.campaigns.c2_factories import make_campaign
from tests.campaigns.factories import make_members
from tests.members.factories import make_programme


@pytest.fixture(autouse=True)
def _site_url(settings, live_server):
    """Emails carry absolute links and pictures (SITE_URL): here, the live server."""
    settings.SITE_URL = live_server.url


@pytest.fixture
def data(coop, users):
    from coopculture.learning.demo import load_demo_content

    load_demo_content()
    make_programme(coop, name="Les Embruns")
    make_members(coop, 3)
    make_members(coop, 1, preferred_channel="post")
    draft = make_campaign(coop)
    awaiting = make_campaign(coop, name="En attente", created_by=users["editor"])
    with scopes_disabled():
        awaiting.message.blocks = [{"type": "video", "module": "ma-coop-c-est-quoi", "position": 1}]
        awaiting.message.save()
        Send.objects.filter(pk=awaiting.pk).update(status=SendStatus.AWAITING_APPROVAL)
    return {"draft": draft, "awaiting": awaiting}


def staff_page(page, live_server, users, path, actor="admin"):
    force_login(page, live_server, users[actor])
    goto(page, path)
    assert page.locator("nav.staff-nav").is_visible()
    assert page.locator("h1").count() == 1


BASE = "/gestion/coop-a/envois/"


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("campaigns-list", ""),
        ("campaigns-new", "nouvelle/"),
        ("campaigns-automations", "automatismes/"),
        ("campaigns-automation-delivery", "automatismes/delivery_postponed/"),
        ("campaigns-automation-ag", "automatismes/ag_reminder/"),
        ("campaigns-bulletin", "bulletin/"),
    ],
)
def test_pages_without_violations(page, live_server, users, data, name, path):
    staff_page(page, live_server, users, BASE + path)
    if page.locator("iframe.mail-preview__frame").count():
        # The email's preview: its own page, loaded in the frame, showing the email.
        email = page.frame_locator("iframe.mail-preview__frame").locator("body")
        expect(email).to_contain_text("Coop A")
    screenshot(page, name)
    assert_clean(page)


def test_send_pages_without_violations(page, live_server, users, data):
    draft, awaiting = data["draft"], data["awaiting"]
    for name, path in [
        ("campaigns-detail", f"{draft.public_id}/"),
        ("campaigns-segment", f"{draft.public_id}/destinataires/"),
        ("campaigns-preview", f"{awaiting.public_id}/apercu/"),
        ("campaigns-approve", f"{awaiting.public_id}/approbation/"),
    ]:
        staff_page(page, live_server, users, BASE + path)
        screenshot(page, name)
        assert_clean(page)
    # The preview frame shows the real email.
    frame = page.frame_locator("iframe.mail-preview__frame")
    assert "Une coopérative Hlm en 3 minutes" in frame.locator("body").inner_text()


def test_form_errors_are_announced(page, live_server, users, data):
    staff_page(page, live_server, users, BASE + "nouvelle/", actor="editor")
    with page.expect_navigation():
        page.locator("main form button[type='submit']").click()
    summary = page.locator(".error-summary")
    assert summary.count() == 1 and summary.get_attribute("role") == "alert"
    assert summary.locator("a[href='#id_subject']").count() == 1
    assert_clean(page)


def submit(page, selector):
    """Click a submit button and wait for the answer to its POST. Playwright's own wait
    after a click never ends for a form posted back to the same address with JavaScript
    off, hence no_wait_after; the callers then wait for what the new page shows."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator(selector).click(no_wait_after=True)
    page.wait_for_load_state("domcontentloaded")


def test_write_count_and_submit_without_javascript(new_page, live_server, users, data):
    page = new_page(java_script_enabled=False)
    staff_page(page, live_server, users, BASE + "nouvelle/", actor="editor")
    page.locator("#id_name").fill("Visite de chantier")
    page.locator("#id_subject").fill("Venez visiter le chantier")
    page.locator("#id_body").fill("Bonjour {first_name},\n\nLe chantier ouvre ses portes.")
    page.locator("#id_video").select_option("ma-coop-c-est-quoi:1")
    submit(page, "main form button[type='submit']")
    page.wait_for_url("**/destinataires/", wait_until="commit")
    expect(page.locator("h1")).to_have_text("Qui le reçoit\u00a0?")
    page.locator("#id_channel").select_option("post")
    submit(page, "button[value='count']")
    expect(page.locator("#count-title")).to_have_text("1 coopérateur correspond")
    submit(page, "button[value='save']")
    expect(page.locator(".messages")).to_contain_text("Destinataires enregistrés.")
    submit(page, "form[action$='/soumettre/'] button")
    expect(page.locator(".messages")).to_contain_text("Demande d'approbation envoyée.")
    with scopes_disabled():
        send = Send.objects.get(name="Visite de chantier")
        assert send.status == SendStatus.AWAITING_APPROVAL
        assert send.segment == {"channel": "post"}
    # (axe needs JavaScript: the same pages are checked with it above.)
