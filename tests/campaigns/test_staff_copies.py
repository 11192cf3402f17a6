"""Test sends and previews for staff (docs/decisions/0014): a fictitious sample member
("Camille"), never a real member's first name or links; their unsubscribe and preferences
links open a page saying it is a test link and change nothing. Real SMTP; the links are
followed from the received email."""

import re
from html import unescape

import pytest
from django_scopes import scopes_disabled

from django.test import Client

from coopculture.members.models import ConsentRecord
from tests.campaigns.factories import make_members
from tests.campaigns.test_compose import base, write_campaign

pytestmark = pytest.mark.django_db


def site_path(url: str, settings) -> str:
    assert url.startswith(settings.SITE_URL.rstrip("/")), url
    return url[len(settings.SITE_URL.rstrip("/")) :]


def test_the_test_email_is_for_a_fictitious_member_with_test_links(
    coop, users, client_for, demo_path, smtp_mailers, settings
):
    editor = client_for(users["editor"])
    send = write_campaign(editor, coop)
    real = make_members(coop, 2, first_name="Josiane")
    assert editor.post(base(coop) + f"{send.public_id}/test/").status_code == 302
    [message] = smtp_mailers.wait_for(1)
    text = smtp_mailers.text_of(message)
    html = unescape(message.get_body(preferencelist=("html",)).get_content())
    assert "Bonjour Camille," in text and "Camille, venez visiter" in message["Subject"]
    for part in (text, html, message["Subject"]):
        assert "Josiane" not in part
        assert "/mes-donnees/" not in part and "/courriels/desinscription/" not in part
    unsubscribe = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    links = set(re.findall(r'href="([^"]+)"', html)) | set(re.findall(r"https?://\S+", text))
    test_links = {site_path(u, settings) for u in links if "/courriels/essai/" in u}
    test_links.add(site_path(unsubscribe, settings))
    assert len(test_links) == 2  # the unsubscribe and the preferences links
    with scopes_disabled():
        before = ConsentRecord.objects.count()
    for path in test_links:
        page = unescape(Client().get(path).content.decode())
        assert "C'est un lien d'un e-mail de test" in page
        assert "Josiane" not in page
        # A mail client's one-click POST: answered, nothing changes.
        one_click = Client(enforce_csrf_checks=True).post(
            path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert one_click.status_code == 200 and not one_click.cookies
    with scopes_disabled():
        assert ConsentRecord.objects.count() == before
        assert all(
            ConsentRecord.objects.filter(member=m).latest("recorded_at").granted for m in real
        )
    # Content links go straight to what they show (nothing counted, no ledger row).
    content = [u for u in links if "/parcours/" in u]
    assert content and not [u for u in links if "/m/" in u]


def test_previews_carry_test_links_and_automations_show_the_fictitious_member(
    coop, users, client_for, demo_path
):
    editor = client_for(users["editor"])
    send = write_campaign(editor, coop)
    [josiane] = make_members(coop, 1, first_name="Josiane")
    frames = {
        "campaign": base(coop) + f"{send.public_id}/apercu/courriel/",
        "automation": base(coop) + "automatismes/welcome/apercu/",
        "bulletin": base(coop) + "bulletin/apercu/",
    }
    for name, url in frames.items():
        email = unescape(editor.get(url).content.decode())
        assert "/mes-donnees/" not in email and "/courriels/desinscription/" not in email, name
        assert "/courriels/essai/preferences/" in email, name
        if name == "campaign":  # staff chose to see it as one of its recipients
            assert f"Bonjour {josiane.first_name}," in email
        else:
            assert "Josiane" not in email and "Bonjour Camille," in email, name
    page = unescape(editor.get(base(coop) + "automatismes/welcome/").content.decode())
    assert "Josiane" not in page
