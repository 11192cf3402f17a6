"""One-click unsubscribe (RFC 8058), tracked links, the bounce webhook, figures per send."""

import hashlib
import hmac
import json
import re

import pytest
from django_scopes import scopes_disabled

from coopculture.campaigns import selectors
from coopculture.campaigns.models import LinkClicks, Recipient, Suppression
from coopculture.campaigns.services import email_hash
from coopculture.members.models import ConsentRecord, Purpose
from tests.campaigns.factories import make_members, make_message, make_send, start

pytestmark = pytest.mark.django_db


def figures(coop, send):
    from coopculture.coops.scoping import coop_scope

    with coop_scope(coop):
        return selectors.send_figures(coop=coop, send=send)


def unsubscribe_url(message) -> str:
    return message["List-Unsubscribe"].split(",")[0].strip(" <>")


def path_of(url: str, settings) -> str:
    assert url.startswith(settings.SITE_URL)
    return url[len(settings.SITE_URL) :]


def consent_now(coop, member, purpose=Purpose.COOP_NEWS):
    with scopes_disabled():
        return (
            ConsentRecord.objects.filter(coop=coop, member=member, purpose=purpose)
            .order_by("-recorded_at", "-id")
            .first()
        )


@pytest.fixture
def sent(coop, smtp_mailers):
    members = make_members(coop, 2)
    message = make_message(
        coop, blocks=[{"type": "link", "url": "https://example.org/agenda", "label": "Agenda"}]
    )
    send = make_send(coop, message)
    start(coop, send)
    return members, send, smtp_mailers.wait_for(2)


def test_one_click_post_unsubscribes_at_once_without_cookie_or_csrf(coop, sent, settings, client):
    members, send, messages = sent
    message = next(m for m in messages if m["To"] == members[0].email)
    path = path_of(unsubscribe_url(message), settings)
    # What a mail client sends (RFC 8058 §3.2): a POST with this body, no cookie.
    from django.test import Client

    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert not response.cookies
    record = consent_now(coop, members[0])
    assert record.granted is False and record.source == "unsubscribe"
    assert consent_now(coop, members[1]).granted is True  # only that member
    with scopes_disabled():
        row = Recipient.objects.get(send=send, member=members[0])
    assert row.unsubscribed_at is not None
    assert "Vous êtes désinscrit" in response.content.decode()
    # Twice is harmless: no second ledger row.
    mail_client.post(path, "List-Unsubscribe=One-Click", content_type="text/plain")
    with scopes_disabled():
        assert ConsentRecord.objects.filter(member=members[0], granted=False).count() == 1
    assert figures(coop, send).unsubscribed == 1


def test_get_only_shows_a_page_with_a_button(coop, sent, settings, client):
    members, _send, messages = sent
    path = path_of(unsubscribe_url(messages[0]), settings)
    response = client.get(path)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'method="post"' in page and "Oui, me désinscrire" in page
    assert "actualités de la coop" in page  # the purpose it withdraws
    assert response.headers["Cache-Control"] == "no-store, private"
    for member in members:
        assert consent_now(coop, member).granted is True  # nothing changed
    # The visible link in the text part is the same address.
    text = messages[0].get_body(preferencelist=("plain",)).get_content()
    assert unsubscribe_url(messages[0]) in text


def test_a_forged_or_foreign_token_is_404(coop, other_coop, sent, settings, client):
    members, _send, messages = sent
    path = path_of(unsubscribe_url(messages[0]), settings)
    assert client.post(path[:-3] + "xx/").status_code == 404
    assert client.get(path.replace("/coop-a/", "/coop-b/")).status_code == 404
    assert client.post(path.replace("/coop-a/", "/coop-b/")).status_code == 404
    for member in members:
        assert consent_now(coop, member).granted is True


def test_tracked_links_redirect_and_count_clicks_without_cookies(coop, sent, client):
    members, send, messages = sent
    message = next(m for m in messages if m["To"] == members[0].email)
    html = message.get_body(preferencelist=("html",)).get_content()
    [link] = re.findall(r'href="(http://[^"]+/m/[^"]+/)"', html)
    path = "/m/" + link.split("/m/")[1]
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.org/agenda"
    assert not response.cookies
    client.get(path)
    numbers = figures(coop, send)
    assert (numbers.clicks, numbers.clickers, numbers.delivered) == (2, 1, 2)
    with scopes_disabled():
        assert LinkClicks.objects.get(send=send).clicks == 2
    assert client.get(path[:-4] + "abc/").status_code == 404


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_bounce_webhook_needs_the_signature_and_suppresses(coop, sent, settings, client):
    settings.CAMPAIGNS_WEBHOOK_SECRET = "un-secret-partage"
    members, send, messages = sent
    message = next(m for m in messages if m["To"] == members[1].email)
    body = json.dumps(
        {
            "events": [
                {
                    "type": "bounce",
                    "email": members[1].email,
                    "message_id": message["Message-ID"],
                    "detail": "mailbox full for good",
                }
            ]
        }
    ).encode()
    url = "/webhooks/courriels/rebonds/"
    assert client.post(url, body, content_type="application/json").status_code == 403
    bad = {"HTTP_X_CULTURE_COOP_SIGNATURE": sign("autre", body)}
    assert client.post(url, body, content_type="application/json", **bad).status_code == 403
    with scopes_disabled():
        assert not Suppression.objects.exists()
    good = {"HTTP_X_CULTURE_COOP_SIGNATURE": sign("un-secret-partage", body)}
    response = client.post(url, body, content_type="application/json", **good)
    assert response.json() == {"handled": 1}
    with scopes_disabled():
        [suppression] = Suppression.objects.all()
        assert suppression.coop == coop and suppression.email_hash == email_hash(members[1].email)
        assert Recipient.objects.get(send=send, member=members[1]).state == "bounced"
    assert figures(coop, send).bounced == 1


def test_timeline_and_personal_data_know_the_ledger(coop, sent, users):
    from coopculture.coops.scoping import coop_scope
    from coopculture.members import services, timeline

    members, send, _messages = sent
    with coop_scope(coop):
        entries = timeline.member_timeline(coop=coop, member=members[0])
        assert any(e.kind == "campaigns.sent" and send.name in e.label for e in entries)
        data = services.member_export(coop=coop, actor=users["admin"], member=members[0])
        [row] = data["campaigns.Recipient"]
        assert row["email"] == members[0].email and row["state"] == "sent"
        services.member_anonymise(coop=coop, actor=users["admin"], member=members[0])
        row = Recipient.objects.get(send=send, member=members[0])
        assert row.email == "" and row.state == "sent"  # the figures stay


def test_the_unsubscribe_page_names_the_coop_and_the_kind_of_email_not_the_teams_label(
    coop, smtp_mailers, settings, client
):
    """The send's name is the team's own label; the member sees which coop wrote, which
    kind of email it was and its subject as the coop wrote it (the link may have been
    forwarded: the member's first name is left out)."""
    [member] = make_members(coop, 1)
    send = make_send(coop, name="Relance inactifs T4 (interne, ne pas diffuser)")
    start(coop, send)
    [message] = smtp_mailers.wait_for(1)
    page = client.get(path_of(unsubscribe_url(message), settings)).content.decode()
    page = " ".join(page.replace("\u00a0", " ").split())
    assert "Relance inactifs" not in page
    assert "Vous avez reçu ce lien dans un courriel de Coop A." in page
    assert "Son objet : « Bonjour …, des nouvelles de votre résidence »" in (
        page.replace("&#x27;", "'")
    )
    assert member.first_name not in page


def test_the_unsubscribe_page_of_an_automation_or_bulletin_says_which_it_was(coop, smtp_mailers):
    from coopculture.campaigns.models import AutomationKind, SendKind
    from coopculture.coops.scoping import coop_scope

    [member] = make_members(coop, 1)
    expected = {
        (SendKind.AUTOMATION, AutomationKind.WELCOME): "le courriel de bienvenue que Coop A",
        (SendKind.AUTOMATION, AutomationKind.AG_REMINDER): "le rappel de l'assemblée générale",
        (SendKind.BULLETIN, ""): "le bulletin mensuel de Coop A",
    }
    for (kind, automation), words in expected.items():
        send = make_send(coop, kind=kind, automation_kind=automation)
        with scopes_disabled():
            row = Recipient(coop=coop, send=send, member=member)
        with coop_scope(coop):
            origin = selectors.message_origin(coop=coop, recipient=row)["origin"]
        assert words in str(origin), (kind, automation, origin)
