"""The demo members: about 200 fictional coopérateurs, at every stage, loaded idempotently."""

import datetime as dt
import io
import re
from collections import Counter

import pytest
from django_scopes import scopes_disabled

from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from coopculture.coops.demo import load_demo
from coopculture.coops.models import Coop
from coopculture.coops.scoping import coop_scope
from coopculture.members.demo import load_demo_members
from coopculture.members.models import (
    Channel,
    ConsentRecord,
    DeliveryDateChange,
    Member,
    MemberProfile,
    Programme,
    Reservation,
    Stage,
)
from coopculture.members.selectors import member_consents, member_list

pytestmark = pytest.mark.django_db
SLUGS = ("coop-horizon", "habitat-coteaux", "val-dorme")


def table_counts() -> dict[str, int]:
    with scopes_disabled():
        return {
            model.__name__: model.objects.count()
            for model in (
                Member,
                MemberProfile,
                Programme,
                Reservation,
                ConsentRecord,
                DeliveryDateChange,
            )
        }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo loaded once for the module (twice, to show it is idempotent), inside a
    transaction rolled back at the end; each test runs in a savepoint of it."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        load_demo()
        out = io.StringIO()
        first = load_demo_members(out)
        after_first = table_counts()
        second_out = io.StringIO()
        second = load_demo_members(second_out)
        yield {
            "first": first,
            "second": second,
            "after_first": after_first,
            "after_second": table_counts(),
            "out": out.getvalue(),
            "second_out": second_out.getvalue(),
        }
        transaction.set_rollback(True)


def coops() -> list[Coop]:
    return [Coop.objects.get(slug=slug) for slug in SLUGS]


def test_loading_twice_creates_nothing_more(demo):
    """Keyed by reference: the second load finds everyone and adds no row anywhere."""
    assert demo["first"] == demo["second"]
    assert demo["after_first"] == demo["after_second"]
    assert "(0 créés" in demo["second_out"]


def test_about_200_members_in_the_three_coops(demo):
    counts = demo["first"]
    assert set(counts) == set(SLUGS)
    assert 180 <= sum(counts.values()) <= 220
    assert all(count >= 50 for count in counts.values()), counts


def test_every_stage_is_present_in_each_coop_as_its_programmes_say(demo):
    expected = {
        "coop-horizon": {Stage.RESERVATAIRE, Stage.EN_CHANTIER},
        "habitat-coteaux": {Stage.EN_CHANTIER, Stage.COPROPRIETAIRE},
        "val-dorme": {Stage.RESERVATAIRE, Stage.LIVRE, Stage.LOCATAIRE},
    }
    everywhere = set()
    for coop in coops():
        with coop_scope(coop):
            stages = {m.stage for m in member_list(coop=coop)}
        assert stages == expected[coop.slug], coop.slug
        everywhere |= stages
    assert everywhere == set(Stage.values)


def test_stages_stay_right_a_year_later_when_reloaded(demo):
    """Dates are relative to the day of loading: reloaded a year later, everyone is at the
    same stage on that day as today, and Les Embruns still has exactly two postponements."""
    today = timezone.localdate()
    later = today + dt.timedelta(days=365)
    before = {}
    for coop in coops():
        with coop_scope(coop):
            before[coop.slug] = Counter(m.stage for m in member_list(coop=coop, today=today))
    load_demo_members(io.StringIO(), today=later)
    for coop in coops():
        with coop_scope(coop):
            after = Counter(m.stage for m in member_list(coop=coop, today=later))
        assert after == before[coop.slug], coop.slug
    with scopes_disabled():
        embruns = Programme.objects.get(name="Résidence Les Embruns")
        assert DeliveryDateChange.objects.filter(programme=embruns).count() == 2
    assert (embruns.expected_delivery_on - later).days > 240


def test_les_embruns_was_postponed_twice_with_reasons(demo):
    with scopes_disabled():
        embruns = Programme.objects.get(name="Résidence Les Embruns")
        changes = list(DeliveryDateChange.objects.filter(programme=embruns))
        assert DeliveryDateChange.objects.exclude(programme=embruns).count() == 0
    assert len(changes) == 2
    first, second = changes
    assert first.previous_date < first.new_date == second.previous_date < second.new_date
    assert second.new_date == embruns.expected_delivery_on
    assert 240 <= (embruns.expected_delivery_on - timezone.localdate()).days <= 300
    assert "ntempéries" in first.reason
    assert "éfaillance" in second.reason
    assert first.changed_at < second.changed_at


def test_contacts_every_channel_and_some_without_email(demo):
    with scopes_disabled():
        members = list(Member.objects.all())
    without_email = [m for m in members if not m.email]
    assert 0.15 <= len(without_email) / len(members) <= 0.35
    assert {m.preferred_channel for m in without_email} <= {Channel.POST, Channel.PHONE}
    assert {m.preferred_channel for m in members} == set(Channel.values)
    for member in members:
        assert not member.email or member.email.endswith("@example.org")
        if member.preferred_channel in {Channel.PHONE, Channel.SMS}:
            assert member.phone
        assert re.search(r"\b99\d{3}\b", member.postal_address), member.postal_address
    assert any(m.needs_large_print for m in members)
    assert any(m.needs_digital_help for m in members)


def test_consents_of_every_purpose_and_several_sources(demo):
    with scopes_disabled():
        records = list(ConsentRecord.objects.all())
    assert {r.purpose for r in records} == {"bulletin", "coop_news", "sessions", "ag_electronic"}
    assert {"paper", "web_form", "import"} <= {r.source for r in records}
    assert any(r.recorded_by is not None for r in records)
    assert all(r.recorded_at.date() <= timezone.localdate() for r in records)


def test_the_retention_job_leaves_the_demo_members_alone(demo):
    """Every demo member got in touch recently: none is flagged as inactive."""
    from coopculture.members.retention import retention_run

    assert retention_run() == {"flagged": 0, "anonymised": 0}


def test_the_sample_people_are_there(demo):
    with scopes_disabled():
        by_name = {f"{m.first_name} {m.last_name}": m for m in Member.objects.all()}
    expected = {
        "Léa Moreau": "coop-horizon",
        "Karim Moreau": "coop-horizon",
        "Aurélie Petit": "coop-horizon",
        "Thomas Nguyen": "habitat-coteaux",
        "Josiane Le Goff": "val-dorme",
        "Inès Barbier": "val-dorme",
        "Marc Dufresne": "val-dorme",
    }
    for name, slug in expected.items():
        assert by_name[name].coop.slug == slug, name
    josiane = by_name["Josiane Le Goff"]
    assert josiane.email == ""
    assert josiane.needs_large_print
    marc = by_name["Marc Dufresne"]
    with coop_scope(marc.coop):
        assert member_consents(coop=marc.coop, member=marc)["ag_electronic"].granted
        assert member_list(coop=marc.coop).get(pk=marc.pk).stage == Stage.LOCATAIRE
    thomas = by_name["Thomas Nguyen"]
    with coop_scope(thomas.coop):
        assert member_list(coop=thomas.coop).get(pk=thomas.pk).stage == Stage.COPROPRIETAIRE
    aurelie = by_name["Aurélie Petit"]
    with scopes_disabled():
        reservation = Reservation.objects.get(member=aurelie)
    assert (timezone.localdate() - reservation.signed_on).days < 10


def test_printed_links_open_the_preferences_page(demo):
    """One preferences URL per coop is printed; each opens that member's page."""
    urls = re.findall(r"https?://\S+/mes-donnees/\S+/", demo["out"])
    assert len(urls) == 3
    client = Client()
    for url in urls:
        path = "/" + url.split("/", 3)[3]
        assert client.get(path).status_code == 200, path
