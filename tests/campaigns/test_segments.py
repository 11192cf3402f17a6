"""Segments (c2): the members app's filters plus learning progress, counted before
sending with what each member will get."""

import uuid

import pytest
from django_scopes import scopes_disabled

from coopculture.campaigns import segments
from coopculture.coops.scoping import coop_scope
from coopculture.learning.models import EventKind, LearningEvent, Module
from coopculture.members.models import Channel, Purpose
from tests.campaigns.factories import make_members
from tests.conftest import make_user
from tests.members.factories import make_programme, reserve

pytestmark = pytest.mark.django_db


def with_account(member):
    with scopes_disabled():
        member.user = make_user(f"u-{uuid.uuid4().hex[:6]}@example.org")
        member.save()
    return member


def event(coop, member, slug, kind):
    with scopes_disabled():
        LearningEvent.objects.create(
            coop=coop,
            learner_key=uuid.uuid4(),
            user=member.user,
            kind=kind,
            module=Module.objects.get(slug=slug),
        )


def members_of(coop, segment):
    with coop_scope(coop):
        return set(segments.segment_members(coop=coop, segment=segment))


def test_learning_progress_filters(coop, demo_path):
    [starter, finisher, newcomer] = [with_account(m) for m in make_members(coop, 3)]
    [no_account] = make_members(coop, 1)
    event(coop, starter, "ma-coop-c-est-quoi", EventKind.MODULE_STARTED)
    event(coop, finisher, "ma-coop-c-est-quoi", EventKind.MODULE_STARTED)
    event(coop, finisher, "ma-coop-c-est-quoi", EventKind.MODULE_COMPLETED)
    assert members_of(coop, {"not_started_module": "ma-coop-c-est-quoi"}) == {
        newcomer,
        no_account,
    }
    assert members_of(coop, {"completed_module": "ma-coop-c-est-quoi"}) == {finisher}
    assert members_of(coop, {"not_completed_module": "ma-coop-c-est-quoi"}) == {
        starter,
        newcomer,
        no_account,
    }


def test_members_filters_and_breakdown_before_sending(coop, other_coop, demo_path):
    programme = make_programme(coop, name="Les Embruns")
    emails = make_members(coop, 3)
    letters = make_members(coop, 2, preferred_channel=Channel.POST)
    no_consent = make_members(coop, 1, consent=False)
    no_email = make_members(coop, 1, email="")
    bulletin_only = make_members(coop, 1, purpose=Purpose.BULLETIN)
    elsewhere = make_members(coop, 4)
    make_members(other_coop, 5)
    for member in emails + letters + no_consent + no_email + bulletin_only:
        reserve(coop, member, programme)
    segment = {"programme": str(programme.public_id)}
    with coop_scope(coop):
        figures = segments.segment_breakdown(coop=coop, segment=segment, purpose=Purpose.COOP_NEWS)
        assert figures == {
            "total": 8,
            "emails": 3,
            "letters": 2,
            "no_consent": 2,  # refused, and agreed only to the bulletin
            "no_email": 1,
        }
        everyone = segments.segment_breakdown(coop=coop, segment={}, purpose=Purpose.COOP_NEWS)
        assert everyone["total"] == 8 + len(elsewhere)  # never another coop's members
        by_post = segments.segment_breakdown(
            coop=coop, segment={"channel": Channel.POST}, purpose=Purpose.COOP_NEWS
        )
        assert by_post["total"] == 2 and by_post["letters"] == 2
        labels = segments.segment_labels(coop=coop, segment={**segment, "has_email": "no"})
    assert labels == ["Opération\u00a0: Les Embruns", "Sans adresse e-mail"]
