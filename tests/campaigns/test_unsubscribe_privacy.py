"""The unsubscribe link (docs/decisions/0014): it always unsubscribes within its lifetime,
without cookie or proof, reveals nothing about the member and hands out no other link;
past its lifetime (from the ledger's date) it changes nothing. Real SMTP; the links are the
ones of the received emails."""

import datetime as dt
from html import unescape

import pytest
from django_scopes import scopes_disabled

from django.test import Client
from django.utils import timezone

from coopculture.campaigns.models import Recipient
from coopculture.members.models import ConsentRecord, Purpose
from tests.campaigns.factories import make_members, make_message, make_send, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(coop, smtp_mailers, settings):
    [member] = make_members(coop, 1, first_name="Josiane")
    send = make_send(coop, make_message(coop))
    start(coop, send)
    [message] = smtp_mailers.wait_for(1)
    url = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    return member, send, url[len(settings.SITE_URL.rstrip("/")) :]


def granted(coop, member) -> bool:
    with scopes_disabled():
        return (
            ConsentRecord.objects.filter(coop=coop, member=member, purpose=Purpose.COOP_NEWS)
            .order_by("-recorded_at", "-id")
            .first()
            .granted
        )


def sent_days_ago(send, member, days: int):
    with scopes_disabled():
        Recipient.objects.filter(send=send, member=member).update(
            sent_at=timezone.now() - dt.timedelta(days=days)
        )


def test_the_unsubscribe_pages_reveal_nothing_and_mint_no_link(coop, received):
    member, _send, path = received
    mail_client = Client(enforce_csrf_checks=True)
    before = unescape(mail_client.get(path).content.decode())
    after = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert after.status_code == 200 and not after.cookies
    after = unescape(after.content.decode())
    assert granted(coop, member) is False
    for page in (before, after):
        assert "/mes-donnees/" not in page  # no preferences link, new or old
        for secret in (member.first_name, member.last_name, member.email, "Lilas"):
            assert secret not in page, secret
        assert "Choisir ce que je reçois" in page  # where to go instead


def test_an_old_email_still_unsubscribes_within_two_years(coop, received):
    member, send, path = received
    sent_days_ago(send, member, 729)
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert granted(coop, member) is False


def test_past_its_lifetime_the_link_changes_nothing(coop, received, settings):
    member, send, path = received
    sent_days_ago(send, member, 731)
    page = Client().get(path)
    assert page.status_code == 410
    html = unescape(page.content.decode())
    assert "Ce lien de désinscription est trop ancien" in html
    assert coop.contact_email in html and member.first_name not in html
    one_click = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert one_click.status_code == 410
    assert granted(coop, member) is True
    # The lifetime is a setting.
    settings.CAMPAIGNS_UNSUBSCRIBE_MAX_AGE_DAYS = 1000
    assert Client().get(path).status_code == 200
