"""The campaigns demo (c2): for each demo coop, automations on with their texts, the
bulletin with its news, one past campaign with figures (no mail sent at load time), one
awaiting approval; loading twice changes nothing."""

import pytest
from django_scopes import scopes_disabled

from django.core import mail

from coopculture.campaigns.demo import load_demo_campaigns
from coopculture.campaigns.models import (
    AutomationSetting,
    BulletinNews,
    BulletinSettings,
    LetterBatch,
    Recipient,
    RecipientState,
    Send,
    SendStatus,
)
from coopculture.coops.demo import load_demo
from coopculture.learning.demo import load_demo_content
from coopculture.members.demo import load_demo_members

pytestmark = pytest.mark.django_db
SLUGS = ("coop-horizon", "habitat-coteaux", "val-dorme")


def counts():
    with scopes_disabled():
        return {
            model.__name__: model.objects.count()
            for model in (AutomationSetting, BulletinNews, Send, Recipient, LetterBatch)
        }


def test_demo_campaigns_for_the_three_coops(settings):
    load_demo()
    load_demo_members()
    load_demo_content()
    load_demo_campaigns()
    with scopes_disabled():
        for slug in SLUGS:
            settings_rows = AutomationSetting.objects.filter(coop__slug=slug)
            assert settings_rows.count() == 4
            assert all(row.enabled and row.message_id for row in settings_rows)
            ag = settings_rows.get(kind="ag_reminder")
            assert ag.event_date is not None
            assert BulletinSettings.objects.get(coop__slug=slug).enabled
            assert BulletinNews.objects.filter(coop__slug=slug).count() == 1
            done = Send.objects.get(coop__slug=slug, status=SendStatus.DONE)
            assert done.approved_by is not None and done.version is not None
            states = set(Recipient.objects.filter(send=done).values_list("state", flat=True))
            assert RecipientState.SENT in states
            assert Recipient.objects.filter(send=done, click_count__gt=0).exists()
            assert (
                Send.objects.filter(coop__slug=slug, status=SendStatus.AWAITING_APPROVAL).count()
                == 1
            )
        # Val d'Orme has members who read their post: their letters are ready to print.
        assert LetterBatch.objects.filter(coop__slug="val-dorme").exists()
    assert mail.outbox == []  # nothing is mailed at load time
    before = counts()
    load_demo_campaigns()
    assert counts() == before
