"""A send's figures count the modules completed after it by the members it reached."""

import datetime as dt
import uuid

import pytest
from django_scopes import scopes_disabled

from django.utils import timezone

from coopculture.campaigns import selectors
from coopculture.coops.scoping import coop_scope
from coopculture.learning.models import EventKind, LearningEvent
from coopculture.members.models import Channel, Member
from tests.campaigns.factories import make_members, make_send, start
from tests.conftest import make_user
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db


def complete(coop, user, module, *, at):
    with scopes_disabled():
        event = LearningEvent.objects.create(
            coop=coop, learner_key=uuid.uuid4(), user=user, kind=EventKind.MODULE_COMPLETED,
            module=module,
        )  # fmt: skip
        LearningEvent.objects.filter(pk=event.pk).update(created_at=at)


def test_completions_count_members_reached_by_email_or_letter_after_the_send(coop, smtp_mailers):
    module, other_module = make_module(), make_module()
    [by_email] = make_members(coop, 1)
    [by_letter] = make_members(coop, 1, preferred_channel=Channel.POST)
    [not_reached] = make_members(coop, 1, consent=False)
    accounts = {}
    with scopes_disabled():
        for member in (by_email, by_letter, not_reached):
            accounts[member.pk] = make_user(f"u{member.pk}@example.org")
            Member.objects.filter(pk=member.pk).update(user=accounts[member.pk])
    send = make_send(coop)
    start(coop, send)
    send.refresh_from_db()
    assert send.started_at is not None

    later = timezone.now() + dt.timedelta(hours=1)
    before = send.started_at - dt.timedelta(days=1)
    complete(coop, accounts[by_email.pk], module, at=later)
    complete(coop, accounts[by_letter.pk], module, at=later)
    complete(coop, accounts[by_letter.pk], other_module, at=later)
    complete(coop, accounts[by_email.pk], other_module, at=before)  # before: not counted
    complete(coop, accounts[not_reached.pk], module, at=later)  # never reached: not counted

    with coop_scope(coop):
        figures = selectors.send_figures(coop=coop, send=send)
    assert figures.delivered == 1
    assert figures.letters == 1
    assert figures.completions == 3
