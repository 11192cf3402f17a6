"""Members: life-cycle stage, consent ledger, GDPR export and erasure, retention."""

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from django.apps import apps
from django.db import models
from django.utils import timezone

from coopculture.coops.models import AuditEvent
from coopculture.coops.scoping import coop_scope
from coopculture.members import personal_data, services
from coopculture.members.errors import MemberError
from coopculture.members.models import ConsentRecord, Member, Stage
from coopculture.members.retention import retention_run
from coopculture.members.selectors import member_consents, member_list, member_stage
from tests.members.factories import make_member, make_programme, reserve

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("programme_dates", "contract", "expected"),
    [
        ({}, "reservation", Stage.RESERVATAIRE),
        ({"works_start_on": dt.date(2026, 3, 1)}, "reservation", Stage.EN_CHANTIER),
        (
            {"works_start_on": dt.date(2025, 3, 1), "delivered_on": dt.date(2026, 7, 1)},
            "reservation",
            Stage.LIVRE,
        ),
        (
            {"delivered_on": dt.date(2026, 7, 1), "coownership_created_on": dt.date(2026, 7, 2)},
            "reservation",
            Stage.COPROPRIETAIRE,
        ),
        ({"works_start_on": dt.date(2027, 1, 1)}, "reservation", Stage.RESERVATAIRE),
        ({}, "lease", Stage.LOCATAIRE),
    ],
)
def test_the_stage_follows_the_programmes_dates(coop, programme_dates, contract, expected):
    """Computed in SQL for lists and in Python for one member: both agree."""
    member = make_member(coop)
    reserve(coop, member, make_programme(coop, **programme_dates), kind=contract)
    with coop_scope(coop):
        assert member_stage(coop=coop, member=member, today=TODAY) == expected
        assert member_list(coop=coop, today=TODAY).get(pk=member.pk).stage == expected
        assert list(member_list(coop=coop, filters={"stage": expected}, today=TODAY)) == [member]


def test_a_postponed_delivery_keeps_its_history_and_moves_the_stage(coop, users):
    programme = make_programme(
        coop, works_start_on=dt.date(2025, 1, 1), expected_delivery_on=dt.date(2026, 6, 1)
    )
    with coop_scope(coop):
        services.programme_change_expected_delivery(
            coop=coop,
            actor=users["admin"],
            programme=programme,
            new_date=dt.date(2026, 12, 1),
            reason="Intempéries",
        )
        services.programme_change_expected_delivery(
            coop=coop,
            actor=users["admin"],
            programme=programme,
            new_date=dt.date(2027, 3, 1),
            reason="Faillite d'une entreprise",
        )
        with pytest.raises(MemberError):
            services.programme_change_expected_delivery(
                coop=coop,
                actor=users["admin"],
                programme=programme,
                new_date=dt.date(2027, 4, 1),
                reason=" ",
            )
        history = list(programme.delivery_changes.values_list("previous_date", "new_date"))
    assert history == [
        (dt.date(2026, 6, 1), dt.date(2026, 12, 1)),
        (dt.date(2026, 12, 1), dt.date(2027, 3, 1)),
    ]


def test_the_consent_ledger_keeps_every_change_and_the_latest_is_in_force(coop, users):
    member = make_member(coop)
    with coop_scope(coop):
        services.consent_record(
            coop=coop,
            member=member,
            purpose="bulletin",
            granted=True,
            source="paper",
            actor=users["admin"],
        )
        services.consent_record(
            coop=coop, member=member, purpose="bulletin", granted=True, source="paper"
        )
        services.consent_record(
            coop=coop, member=member, purpose="bulletin", granted=False, source="unsubscribe"
        )
        state = member_consents(coop=coop, member=member)
        assert state["bulletin"].granted is False
        assert state["sessions"] is None
        assert ConsentRecord.objects.filter(member=member).count() == 2  # no-op skipped
        assert list(member_list(coop=coop, filters={"consent": "bulletin"})) == []


def test_a_duplicate_reference_is_refused_within_a_coop_but_not_across(coop, other_coop, users):
    make_member(coop, external_ref="X-1")
    make_member(other_coop, external_ref="X-1")
    with coop_scope(coop), pytest.raises(MemberError):
        services.member_create(
            coop=coop,
            actor=users["admin"],
            data={"first_name": "A", "last_name": "B", "external_ref": "X-1"},
        )


def _models_pointing_to_member():
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey | models.OneToOneField)
                and field.related_model is Member
            ):
                found.append(model)
    return found


def test_every_model_pointing_to_a_member_declares_its_personal_data():
    """A new app storing something about a member must register it for GDPR."""
    missing = [
        m._meta.label for m in _models_pointing_to_member() if not personal_data.is_registered(m)
    ]
    assert missing == []
    assert personal_data.is_registered(Member)


def test_erasure_leaves_no_personal_field_anywhere(coop, users):
    member = make_member(
        coop, first_name="Josiane", last_name="Le Goff", email="josiane@example.org"
    )
    reserve(coop, member, make_programme(coop), lot_number="A7")
    with coop_scope(coop):
        services.consent_record(
            coop=coop,
            member=member,
            purpose="bulletin",
            granted=True,
            source="paper",
            note="signé à l'agence",
        )
    with scopes_disabled():
        # The rows about her, read before erasure: afterwards some no longer point to her.
        before = {
            entry: list(entry.rows_of(member).values_list("pk", flat=True))
            for entry in personal_data.registered()
        }
    assert sum(map(len, before.values())) >= 3  # her member row, reservation, consent
    with coop_scope(coop):
        services.member_anonymise(coop=coop, actor=users["admin"], member=member)
    with scopes_disabled():
        for entry, pks in before.items():
            for row in entry.model._default_manager.filter(pk__in=pks):
                for name in entry.fields:
                    value = getattr(row, name)
                    assert value in ("", None, False), (
                        f"{entry.model._meta.label}.{name} = {value!r}"
                    )
        member.refresh_from_db()
        assert (
            member.is_anonymised and "Josiane" not in str(member) and "Le Goff" not in str(member)
        )
        # Aggregates survive: the reservation and the consent still count.
        assert member.reservations.count() == 1 and member.consents.count() == 1
        event = AuditEvent.objects.get(action="members.anonymised")
        assert "Josiane" not in str(event.data)


def test_the_export_holds_everything_registered_and_is_audited(coop, users):
    member = make_member(coop, first_name="Thomas")
    reserve(coop, member, make_programme(coop))
    with coop_scope(coop):
        data = services.member_export(coop=coop, actor=users["admin"], member=member)
    assert data["members.Member"][0]["first_name"] == "Thomas"
    assert len(data["members.Reservation"]) == 1
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="members.exported").count() == 1


def test_retention_flags_then_anonymises_inactive_members(coop):
    now = timezone.now()
    old = make_member(coop, last_contact_at=now - dt.timedelta(days=4 * 365))
    recent = make_member(coop, last_contact_at=now - dt.timedelta(days=30))
    assert retention_run(now=now) == {"flagged": 1, "anonymised": 0}
    assert retention_run(now=now + dt.timedelta(days=31)) == {"flagged": 0, "anonymised": 1}
    with scopes_disabled():
        old.refresh_from_db()
        recent.refresh_from_db()
    assert old.is_anonymised and not recent.is_anonymised
