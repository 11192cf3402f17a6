"""Programmes (opérations) in the back office: list, create, edit, members, delivery dates."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from django.urls import reverse
from django.utils import timezone

from coopculture.coops.models import AuditEvent
from coopculture.members.models import DeliveryDateChange, Programme
from tests.members.factories import make_member, make_programme, reserve

pytestmark = pytest.mark.django_db


def programme_url(coop, programme, name="programme-detail") -> str:
    return reverse(
        f"members_staff:{name}",
        kwargs={"coop_slug": coop.slug, "programme_id": programme.public_id},
    )


@pytest.fixture
def admin(client_for, users):
    return client_for(users["admin"])


def programme_data(**overrides) -> dict:
    data = {
        "name": "Les Acacias",
        "town": "Rennes",
        "kind": "vefa",
        "reservations_open_on": "2025-09-01",
        "works_start_on": "2026-02-01",
        "expected_delivery_on": "2027-06-30",
        "delivered_on": "",
        "coownership_created_on": "",
    }
    data.update(overrides)
    return data


def test_create_a_programme(coop, admin, users):
    url = reverse("members_staff:programme-create", kwargs={"coop_slug": coop.slug})
    response = admin.post(url, programme_data())
    with scopes_disabled():
        programme = Programme.objects.get(coop=coop, name="Les Acacias")
        assert response["Location"] == programme_url(coop, programme)
        assert programme.expected_delivery_on == dt.date(2027, 6, 30)
        assert programme.works_start_on == dt.date(2026, 2, 1)
        event = AuditEvent.objects.get(action="members.programme_created")
        assert event.actor == users["admin"]


def test_a_duplicate_programme_name_is_refused(coop, admin):
    make_programme(coop, name="Les Acacias")
    url = reverse("members_staff:programme-create", kwargs={"coop_slug": coop.slug})
    response = admin.post(url, programme_data())
    assert response.status_code == 200 and "name" in response.context["form"].errors
    with scopes_disabled():
        assert Programme.objects.filter(coop=coop).count() == 1


def test_edit_a_programme_but_not_its_expected_delivery(coop, admin):
    """The edit form has no expected delivery date: that one changes with a reason."""
    programme = make_programme(coop, name="Avant", expected_delivery_on=dt.date(2027, 1, 1))
    url = programme_url(coop, programme, "programme-edit")
    assert "expected_delivery_on" not in admin.get(url).context["form"].fields
    response = admin.post(
        url,
        programme_data(name="Après", delivered_on="2026-05-01", expected_delivery_on="2030-1-1"),
    )
    assert response.status_code == 302
    with scopes_disabled():
        programme.refresh_from_db()
        assert programme.name == "Après" and programme.delivered_on == dt.date(2026, 5, 1)
        assert programme.expected_delivery_on == dt.date(2027, 1, 1)
        assert AuditEvent.objects.filter(action="members.programme_updated").count() == 1


def test_a_refused_edit_changes_nothing(coop, admin):
    make_programme(coop, name="Pris")
    programme = make_programme(coop, name="Mien")
    response = admin.post(
        programme_url(coop, programme, "programme-edit"), programme_data(name="Pris")
    )
    assert response.status_code == 200 and "name" in response.context["form"].errors
    assert response.context["programme"].name == "Mien"
    with scopes_disabled():
        programme.refresh_from_db()
        assert programme.name == "Mien"


def test_the_programme_page_lists_its_members_with_their_stage(coop, admin):
    today = timezone.localdate()
    programme = make_programme(coop, works_start_on=today - dt.timedelta(days=30))
    other = make_programme(coop)
    inside = make_member(coop, last_name="Dedans")
    ended = make_member(coop, last_name="Parti")
    outside = make_member(coop, last_name="Ailleurs")
    reserve(coop, inside, programme, signed_on=today - dt.timedelta(days=60))
    reserve(coop, ended, programme, ended_on=today - dt.timedelta(days=1))
    reserve(coop, outside, other)
    response = admin.get(programme_url(coop, programme))
    rows = response.context["rows"]
    assert [row["member"] for row in rows] == [inside]
    assert rows[0]["stage"]


def test_the_programme_list_counts_current_members(coop, admin):
    programme = make_programme(coop, name="Compté")
    for _ in range(3):
        reserve(coop, make_member(coop), programme)
    reserve(coop, make_member(coop), programme, ended_on=dt.date(2025, 6, 1))
    response = admin.get(reverse("members_staff:programme-list", kwargs={"coop_slug": coop.slug}))
    counts = {p.name: p.member_count for p in response.context["programmes"]}
    assert counts == {"Compté": 3}


def test_a_delivery_change_with_a_reason_adds_a_history_row(coop, admin, users):
    programme = make_programme(coop, expected_delivery_on=dt.date(2027, 1, 1))
    response = admin.post(
        programme_url(coop, programme, "programme-delivery"),
        {"delivery-new_date": "2027-04-01", "delivery-reason": "Intempéries en février"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        programme.refresh_from_db()
        change = DeliveryDateChange.objects.get(programme=programme)
    assert programme.expected_delivery_on == dt.date(2027, 4, 1)
    assert (change.previous_date, change.new_date) == (dt.date(2027, 1, 1), dt.date(2027, 4, 1))
    assert change.changed_by == users["admin"]
    page = admin.get(programme_url(coop, programme))
    assert [c.reason for c in page.context["history"]] == ["Intempéries en février"]
    assert "Intempéries en février" in page.content.decode()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_delivery_change_without_a_reason_is_refused(coop, admin, reason):
    programme = make_programme(coop, expected_delivery_on=dt.date(2027, 1, 1))
    response = admin.post(
        programme_url(coop, programme, "programme-delivery"),
        {"delivery-new_date": "2027-04-01", "delivery-reason": reason},
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert 'class="error-summary"' in response.content.decode()
    with scopes_disabled():
        programme.refresh_from_db()
        assert programme.expected_delivery_on == dt.date(2027, 1, 1)
        assert not DeliveryDateChange.objects.exists()


def test_the_delivery_change_shows_in_the_members_timeline(coop, admin):
    programme = make_programme(coop, expected_delivery_on=dt.date(2027, 1, 1))
    member = make_member(coop)
    reserve(coop, member, programme)
    admin.post(
        programme_url(coop, programme, "programme-delivery"),
        {"delivery-new_date": "2027-09-01", "delivery-reason": "Entreprise défaillante"},
    )
    url = reverse(
        "members_staff:member-detail",
        kwargs={"coop_slug": coop.slug, "member_id": member.public_id},
    )
    entries = admin.get(url).context["timeline"]
    delivery = [e for e in entries if e.kind == "members.delivery_changed"]
    assert len(delivery) == 1 and "Entreprise défaillante" in delivery[0].label
    assert delivery[0].url == programme_url(coop, programme)
