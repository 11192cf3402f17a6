"""Members who share an address (a couple, or the same person recorded twice with another
case): one message per send reaches that mailbox, and its unsubscribe speaks for all of
them. Against a real SMTP server (aiosmtpd)."""

import pytest
from django_scopes import scopes_disabled

from django.test import Client

from coopculture.campaigns.models import Recipient, SendStatus
from coopculture.members.models import ConsentRecord, Purpose
from tests.campaigns.factories import make_members, make_send, start

pytestmark = pytest.mark.django_db


def consent_now(coop, member):
    with scopes_disabled():
        return (
            ConsentRecord.objects.filter(coop=coop, member=member, purpose=Purpose.COOP_NEWS)
            .order_by("-recorded_at", "-id")
            .first()
        )


@pytest.fixture
def sharing(coop, other_coop):
    """Luc and Léa share one mailbox (typed with another case and a space); Anne has her
    own; in the other coop, someone has Luc's address too."""
    [luc] = make_members(coop, 1, email="luc.martin@example.org", first_name="Luc")
    [lea] = make_members(coop, 1, email=" Luc.Martin@Example.org", first_name="Léa")
    [anne] = make_members(coop, 1, email="anne@example.org", first_name="Anne")
    [elsewhere] = make_members(other_coop, 1, email="luc.martin@example.org")
    return luc, lea, anne, elsewhere


def test_one_message_per_address_within_a_send(coop, sharing, smtp_mailers):
    luc, _lea, anne, _elsewhere = sharing
    send = make_send(coop)
    counts = start(coop, send)
    assert counts == {"queued": 2, "duplicate_email": 1}
    messages = smtp_mailers.wait_for(2)
    assert sorted(m["To"] for m in messages) == ["anne@example.org", "luc.martin@example.org"]
    with scopes_disabled():
        assert set(Recipient.objects.filter(send=send).values_list("member_id", flat=True)) == {
            luc.pk,
            anne.pk,
        }
    # Started again (a worker killed and resumed): nothing more.
    with scopes_disabled():
        send.status = SendStatus.SENDING
        send.save()
    assert start(coop, send) == {"queued": 2, "duplicate_email": 1}
    assert len(smtp_mailers.messages) == 2


def test_an_unsubscribe_applies_to_every_member_of_the_coop_with_that_address(
    coop, sharing, smtp_mailers, settings
):
    luc, lea, anne, elsewhere = sharing
    send = make_send(coop)
    start(coop, send)
    [message] = [m for m in smtp_mailers.wait_for(2) if m["To"] == "luc.martin@example.org"]
    url = message["List-Unsubscribe"].split(",")[0].strip(" <>")
    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix(settings.SITE_URL),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert consent_now(coop, luc).granted is False
    assert consent_now(coop, lea).granted is False  # the same mailbox
    assert consent_now(coop, lea).source == "unsubscribe"
    assert consent_now(coop, anne).granted is True
    with scopes_disabled():
        other = elsewhere.coop
    assert consent_now(other, elsewhere).granted is True  # another coop: untouched
