"""Every email the platform sends says its language (Content-Language: fr), as a real SMTP
server receives it: sign-in codes, team invitations, campaigns (bytes assembled by the
bulk pipeline, or by Django for an address it cannot pre-build); and the campaigns' hidden
preview text is hidden without the colour trick spam filters score."""

import re

import pytest

from django.test import TestCase
from django.urls import reverse

from coopculture.coops.models import Role
from coopculture.coops.scoping import coop_scope
from coopculture.coops.services import invitation_create
from tests.campaigns.c2_factories import forget_prepared_versions
from tests.campaigns.factories import make_members, make_message, make_send, start

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_worker_cache():
    forget_prepared_versions()


def test_a_sign_in_code_says_it_is_french(client, coop, smtp_mailers):
    response = client.post(
        reverse("account_request_login_code"), {"email": "nouvelle.adherente@example.org"}
    )
    assert response.status_code == 302
    [message] = smtp_mailers.wait_for(1)
    assert message["Content-Language"] == "fr"


def test_a_team_invitation_says_it_is_french(coop, users, smtp_mailers):
    with TestCase.captureOnCommitCallbacks(execute=True), coop_scope(coop):
        invitation_create(
            coop=coop, actor=users["admin"], email="nouvelle@coop-a.example.org", role=Role.EDITOR
        )
    [message] = smtp_mailers.wait_for(1)
    assert message["Content-Language"] == "fr"


def test_campaign_emails_say_they_are_french_and_hide_the_preview_text_plainly(coop, smtp_mailers):
    # One address the pipeline pre-builds (ASCII), one it leaves to Django (not ASCII).
    [ascii_member] = make_members(coop, 1)
    make_members(coop, 1, email="lea@coopérative-exemple.fr")
    message = make_message(coop, preheader="Les nouvelles du chantier, en deux minutes.")
    start(coop, make_send(coop, message=message))
    received = {m["To"]: m for m in smtp_mailers.wait_for(2)}
    # The second address leaves with its domain in IDNA (Django's SMTP backend).
    assert set(received) == {ascii_member.email, "lea@xn--cooprative-exemple-ewb.fr"}
    for email in received.values():
        assert email["Content-Language"] == "fr"
        html = email.get_body(preferencelist=("html",)).get_content()
        [style] = re.findall(r'<div class="preheader" style="([^"]*)">Les nouvelles', html)
        declarations = {
            name.strip(): value.strip()
            for name, _sep, value in (d.partition(":") for d in style.split(";") if d.strip())
        }
        # Hidden in every client (Outlook included), by display and size only: no colour,
        # no tiny font (what SpamAssassin scores as hidden text).
        assert declarations["display"] == "none"
        assert declarations["max-height"] == "0"
        assert declarations["overflow"] == "hidden"
        assert declarations["mso-hide"] == "all"
        assert "color" not in declarations and "font-size" not in declarations
