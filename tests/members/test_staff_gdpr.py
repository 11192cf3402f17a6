"""GDPR from the back office: export (JSON and a readable page), erasure, the audit log."""

import json

import pytest
from django_scopes import scopes_disabled

from django.urls import reverse

from coopculture.coops.models import AuditEvent
from coopculture.members.models import ConsentRecord, Member, Reservation
from tests.members.factories import make_member, make_programme, reserve

pytestmark = pytest.mark.django_db


def member_url(coop, member, name) -> str:
    return reverse(
        f"members_staff:{name}", kwargs={"coop_slug": coop.slug, "member_id": member.public_id}
    )


@pytest.fixture
def member(coop):
    member = make_member(
        coop,
        first_name="Josiane",
        last_name="Le Goff",
        email="josiane@example.org",
        external_ref="JLG-1",
    )
    reserve(coop, member, make_programme(coop, name="Les Mimosas"), lot_number="C7")
    with scopes_disabled():
        ConsentRecord.objects.create(
            coop=coop,
            member=member,
            purpose="bulletin",
            granted=True,
            legal_basis="consent",
            source="paper",
            note="Signé en agence",
        )
    return member


def test_the_json_export_is_a_download_with_the_members_data(coop, users, client_for, member):
    response = client_for(users["admin"]).get(member_url(coop, member, "member-export-json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["member"] == str(member.public_id)
    assert data["members.Member"][0]["last_name"] == "Le Goff"
    assert data["members.Reservation"][0]["lot_number"] == "C7"
    assert data["members.ConsentRecord"][0]["note"] == "Signé en agence"
    with scopes_disabled():
        event = AuditEvent.objects.get(action="members.exported")
    assert event.actor == users["admin"] and event.data == {"member": str(member.public_id)}


def test_the_readable_export_shows_the_same_data_and_is_audited(coop, users, client_for, member):
    response = client_for(users["admin"]).get(member_url(coop, member, "member-export"))
    html = response.content.decode()
    assert response.status_code == 200
    for value in ("Josiane", "Le Goff", "josiane@example.org", "JLG-1", "C7", "Les Mimosas"):
        assert value in html, value
    assert member_url(coop, member, "member-export-json") in html
    keys = [section["key"] for section in response.context["sections"]]
    assert {"members.Member", "members.Reservation", "members.ConsentRecord"} <= set(keys)
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="members.exported").count() == 1


def test_exports_are_not_for_editors(coop, users, client_for, member):
    client = client_for(users["editor"])
    assert client.get(member_url(coop, member, "member-export-json")).status_code == 403
    assert client.get(member_url(coop, member, "member-export")).status_code == 403
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="members.exported").exists()


def test_a_post_does_not_export(coop, users, client_for, member):
    client = client_for(users["admin"])
    assert client.post(member_url(coop, member, "member-export-json")).status_code == 405
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="members.exported").exists()


def test_the_erase_page_says_what_goes_and_what_stays(coop, users, client_for, member):
    response = client_for(users["admin"]).get(member_url(coop, member, "member-erase"))
    assert response.status_code == 200
    erased_models = {row["title"] for row in response.context["erased"]}
    assert len(erased_models) >= 3  # the member, reservations' lot numbers, consents' notes
    kept = {row["title"]: row["count"] for row in response.context["kept"]}
    assert sorted(kept.values()) == [1, 1]  # one reservation, one consent
    with scopes_disabled():
        member.refresh_from_db()
        assert not member.is_anonymised, "GET changes nothing"


def test_erasure_removes_the_personal_data_and_is_audited(coop, users, client_for, member):
    client = client_for(users["admin"])
    response = client.post(member_url(coop, member, "member-erase"))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "members_staff:member-list", kwargs={"coop_slug": coop.slug}
    )
    with scopes_disabled():
        member.refresh_from_db()
        assert member.is_anonymised
        assert (member.first_name, member.last_name, member.email, member.external_ref) == (
            "",
            "",
            "",
            "",
        )
        assert Reservation.objects.get(member=member).lot_number == ""
        assert ConsentRecord.objects.get(member=member).note == ""
        event = AuditEvent.objects.get(action="members.anonymised")
    assert event.actor == users["admin"] and "Josiane" not in json.dumps(event.data)

    page = client.get(member_url(coop, member, "member-detail"))
    html = page.content.decode()
    assert page.status_code == 200 and page.context["member"].is_anonymised
    assert "Josiane" not in html and "josiane@example.org" not in html
    assert member_url(coop, member, "member-edit") not in html
    assert member_url(coop, member, "member-erase") not in html
    # The list no longer shows them; editing them is refused.
    listing = client.get(reverse("members_staff:member-list", kwargs={"coop_slug": coop.slug}))
    assert listing.status_code == 200
    assert str(member.public_id) not in listing.content.decode()
    edit = client.get(member_url(coop, member, "member-edit"))
    assert edit.status_code == 302
    consent = client.post(
        member_url(coop, member, "member-consent"),
        {"consent-purpose": "bulletin", "consent-granted": "yes", "consent-source": "paper"},
    )
    assert consent.status_code == 302
    with scopes_disabled():
        assert ConsentRecord.objects.filter(member=member).count() == 1


def test_erasing_twice_writes_one_event(coop, users, client_for, member):
    client = client_for(users["admin"])
    client.post(member_url(coop, member, "member-erase"))
    assert client.post(member_url(coop, member, "member-erase")).status_code == 302
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="members.anonymised").count() == 1


def test_editors_cannot_erase(coop, users, client_for, member):
    assert (
        client_for(users["editor"]).post(member_url(coop, member, "member-erase")).status_code
        == 403
    )
    with scopes_disabled():
        assert not Member.objects.get(pk=member.pk).is_anonymised


def test_the_activity_log_reads_member_events(coop, users, client_for, member):
    """Exports and erasures appear in the coop's log with who and what, never the name."""
    client = client_for(users["admin"])
    client.get(member_url(coop, member, "member-export-json"))
    client.post(member_url(coop, member, "member-erase"))
    response = client.get(reverse("staff:audit", kwargs={"coop_slug": coop.slug}))
    rows = {row["event"].action: row for row in response.context["rows"]}
    short_id = str(member.public_id)[:8]
    for action in ("members.exported", "members.anonymised"):
        assert rows[action]["label"] != action, f"{action} has no label"
        assert short_id in rows[action]["details"]
        assert rows[action]["event"].actor == users["admin"]
    assert "Josiane" not in response.content.decode()


def test_every_members_action_has_a_label_and_details():
    """The audit labels cover the members app's actions, the import's included."""
    from coopculture.coops import audit
    from coopculture.coops.models import AuditEvent as Event

    samples = {
        "members.created": {"member": "0123456789"},
        "members.updated": {"member": "0123456789", "fields": ["email", "phone"]},
        "members.exported": {"member": "0123456789"},
        "members.anonymised": {"member": "0123456789", "reason": "retention"},
        "members.programme_created": {"programme": "Les Tilleuls"},
        "members.programme_updated": {"programme": "Les Tilleuls"},
        "members.delivery_changed": {"programme": "Les Tilleuls", "from": "", "to": "2027-03-01"},
        "members.imported": {"file": "membres.csv", "created": 3, "updated": 1, "unchanged": 0},
    }
    for action, data in samples.items():
        event = Event(action=action, data=data)
        assert audit.label(event) != action, action
        assert audit.describe(event), action
    updated = audit.describe(Event(action="members.updated", data=samples["members.updated"]))
    assert "01234567" in updated and "email" not in updated.split(":", 1)[-1], updated
    assert "Les Tilleuls" in audit.describe(
        Event(action="members.delivery_changed", data=samples["members.delivery_changed"])
    )
