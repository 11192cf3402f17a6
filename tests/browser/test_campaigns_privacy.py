"""The pages of docs/decisions/0014 in a real browser, with axe-core: the test-link page
of a staff copy, the too-old unsubscribe link, the approval of a pending automation text."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from django.core import mail
from django.utils import timezone

from coopculture.campaigns.models import Recipient
from tests.browser.conftest import (
    assert_clean,
    assert_no_axe_violations,
    force_login,
    goto,
    screenshot,
)
from tests.campaigns.c2_factories import make_campaign
from tests.campaigns.factories import make_members, start


@pytest.fixture(autouse=True)
def _site_url(settings, live_server):
    settings.SITE_URL = live_server.url


@pytest.fixture
def demo_path(db):
    from coopculture.learning.demo import load_demo_content

    load_demo_content()


def test_the_links_of_a_test_email_open_a_page_saying_so(page, live_server, coop, users):
    send = make_campaign(coop)
    make_members(coop, 1, first_name="Josiane")
    force_login(page, live_server, users["editor"])
    goto(page, f"/gestion/{coop.slug}/envois/{send.public_id}/")
    with page.expect_navigation():
        page.get_by_role("button", name="M'envoyer un test").click()
    [message] = mail.outbox
    assert "Josiane" not in message.body and "Bonjour Camille" in message.body
    [preferences] = re.findall(r"http\S+/courriels/essai/preferences/", message.body)
    goto(page, urlsplit(preferences).path)
    expect(page.locator("h1")).to_have_text("C'est un lien d'un e-mail de test")
    screenshot(page, "campaign-test-link")
    assert_clean(page)


def test_a_too_old_unsubscribe_link_says_so_with_the_coops_contact(new_page, coop):
    [member] = make_members(coop, 1)
    start(coop, make_campaign(coop))
    [message] = mail.outbox
    with scopes_disabled():
        Recipient.objects.filter(member=member).update(
            sent_at=timezone.now() - dt.timedelta(days=800)
        )
    path = urlsplit(message.extra_headers["List-Unsubscribe"].split(",")[0].strip(" <>")).path
    page = new_page()
    goto(page, path, status=410)
    expect(page.locator("h1")).to_have_text("Ce lien de désinscription est trop ancien")
    assert page.locator(".contact-list a[href^='mailto:']").is_visible()
    screenshot(page, "campaign-unsubscribe-too-old")
    assert_no_axe_violations(page)


def test_an_admin_approves_a_pending_automation_text(page, live_server, coop, users, demo_path):
    url = f"/gestion/{coop.slug}/envois/automatismes/welcome/"
    force_login(page, live_server, users["editor"])
    goto(page, url)
    page.locator("#id_text-body").fill("Bonjour {first_name},\n\nUn texte à approuver.")
    with page.expect_navigation():
        page.locator("main form button[type='submit']").last.click()
    force_login(page, live_server, users["admin"])
    goto(page, url)
    expect(page.locator("#pending-title")).to_have_text("Modifications en attente d'approbation")
    screenshot(page, "campaign-automation-pending")
    assert_clean(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Approuver les modifications telles qu'affichées").click()
    expect(page.locator(".messages")).to_contain_text("Approuvé")
    assert page.locator("#pending-title").count() == 0
    assert_clean(page)
