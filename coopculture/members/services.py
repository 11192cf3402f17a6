"""Writes of the members domain: keyword-only, atomic, coop passed in, audited."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coopculture.coops.models import Coop
from coopculture.coops.scoping import ensure_same_coop
from coopculture.coops.services import audit_log
from coopculture.members import listing, personal_data
from coopculture.members.errors import MemberError
from coopculture.members.models import (
    ConsentRecord,
    ConsentSource,
    DeliveryDateChange,
    LegalBasis,
    Member,
    MemberProfile,
    Programme,
    Purpose,
    Reservation,
)

MEMBER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "postal_address",
    "preferred_channel",
    "needs_large_print",
    "needs_digital_help",
    "accessibility_notes",
    "external_ref",
)
PROGRAMME_FIELDS = (
    "name",
    "town",
    "kind",
    "reservations_open_on",
    "works_start_on",
    "delivered_on",
    "coownership_created_on",
)


def _check_unique_ref(*, coop, member_id, external_ref) -> None:
    if not external_ref:
        return
    clash = Member.objects.filter(coop=coop, external_ref=external_ref).exclude(pk=member_id)
    if clash.exists():
        raise MemberError(
            _("Another member already has the reference %(ref)s.") % {"ref": external_ref},
            code="duplicate_ref",
        )


def _full_clean(instance) -> None:
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise MemberError(" ".join(error.messages), code="invalid") from error


@transaction.atomic
def member_create(*, coop: Coop, actor, data: dict) -> Member:
    values = {k: v for k, v in data.items() if k in MEMBER_FIELDS}
    values["email"] = (values.get("email") or "").strip().lower()
    _check_unique_ref(coop=coop, member_id=None, external_ref=values.get("external_ref", ""))
    member = Member(coop=coop, **values)
    _full_clean(member)
    member.save()
    audit_log(
        coop=coop, actor=actor, action="members.created", data={"member": str(member.public_id)}
    )
    return member


@transaction.atomic
def member_update(*, coop: Coop, actor, member: Member, data: dict) -> list[str]:
    """Apply changed fields (compared with the stored row); returns their names."""
    ensure_same_coop(coop, member)
    stored = Member.objects.select_for_update().get(pk=member.pk)
    if stored.is_anonymised:
        raise MemberError(_("This member's data has been erased."), code="anonymised")
    changed = []
    for field in MEMBER_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "email":
            value = (value or "").strip().lower()
        if getattr(stored, field) != value:
            setattr(stored, field, value)
            changed.append(field)
    if not changed:
        return []
    _check_unique_ref(coop=coop, member_id=stored.pk, external_ref=stored.external_ref)
    _full_clean(stored)
    stored.save(update_fields=[*changed, "updated_at"])
    audit_log(
        coop=coop,
        actor=actor,
        action="members.updated",
        data={"member": str(stored.public_id), "fields": changed},
    )
    return changed


@transaction.atomic
def member_profile_set(
    *, coop: Coop, member: Member, kind: str, start_date: dt.date
) -> MemberProfile:
    """Open a profile period (closing the open one of another kind the day before)."""
    ensure_same_coop(coop, member)
    current = MemberProfile.objects.filter(coop=coop, member=member, end_date__isnull=True)
    if current.filter(kind=kind).exists():
        return current.get(kind=kind)
    current.update(end_date=start_date - dt.timedelta(days=1))
    listing.bump(coop.pk)  # a queryset update sends no signal
    return MemberProfile.objects.create(coop=coop, member=member, kind=kind, start_date=start_date)


@transaction.atomic
def programme_save(
    *, coop: Coop, actor, data: dict, programme: Programme | None = None
) -> Programme:
    """Create or update a programme. The expected delivery date changes only through
    programme_change_expected_delivery (its history must keep every change)."""
    if programme is None:
        programme = Programme(coop=coop, expected_delivery_on=data.get("expected_delivery_on"))
        action = "members.programme_created"
    else:
        ensure_same_coop(coop, programme)
        action = "members.programme_updated"
    for field in PROGRAMME_FIELDS:
        if field in data:
            setattr(programme, field, data[field])
    if Programme.objects.filter(coop=coop, name=programme.name).exclude(pk=programme.pk).exists():
        raise MemberError(
            _("A programme named %(name)s already exists.") % {"name": programme.name},
            code="duplicate_programme",
        )
    _full_clean(programme)
    programme.save()
    audit_log(coop=coop, actor=actor, action=action, data={"programme": programme.name})
    return programme


@transaction.atomic
def programme_change_expected_delivery(
    *, coop: Coop, actor, programme: Programme, new_date: dt.date, reason: str
) -> DeliveryDateChange | None:
    ensure_same_coop(coop, programme)
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    if programme.expected_delivery_on == new_date:
        return None
    if not reason.strip():
        raise MemberError(_("Say why the delivery date changes."), code="reason_required")
    change = DeliveryDateChange.objects.create(
        coop=coop,
        programme=programme,
        previous_date=programme.expected_delivery_on,
        new_date=new_date,
        reason=reason.strip(),
        changed_by=actor if actor is not None and actor.is_authenticated else None,
    )
    programme.expected_delivery_on = new_date
    programme.save(update_fields=["expected_delivery_on"])
    audit_log(
        coop=coop,
        actor=actor,
        action="members.delivery_changed",
        data={
            "programme": programme.name,
            "from": change.previous_date.isoformat() if change.previous_date else "",
            "to": new_date.isoformat(),
        },
    )
    return change


@transaction.atomic
def reservation_create(
    *,
    coop: Coop,
    member: Member,
    programme: Programme,
    kind: str,
    signed_on: dt.date,
    lot_number: str = "",
    home_type: str = "",
) -> Reservation:
    ensure_same_coop(coop, member, programme)
    return Reservation.objects.create(
        coop=coop,
        member=member,
        programme=programme,
        kind=kind,
        signed_on=signed_on,
        lot_number=lot_number,
        home_type=home_type,
    )


@transaction.atomic
def consent_record(
    *,
    coop: Coop,
    member: Member,
    purpose: str,
    granted: bool,
    source: str,
    actor=None,
    legal_basis: str = LegalBasis.CONSENT,
    note: str = "",
) -> ConsentRecord:
    """Add a row to the ledger (only when it changes what is in force)."""
    ensure_same_coop(coop, member)
    if purpose not in Purpose.values or source not in ConsentSource.values:
        raise MemberError(_("Unknown purpose or source."), code="invalid")
    latest = (
        ConsentRecord.objects.filter(coop=coop, member=member, purpose=purpose)
        .order_by("-recorded_at", "-id")
        .first()
    )
    if latest is not None and latest.granted == granted and latest.legal_basis == legal_basis:
        return latest
    record = ConsentRecord.objects.create(
        coop=coop,
        member=member,
        purpose=purpose,
        granted=granted,
        legal_basis=legal_basis,
        source=source,
        recorded_by=actor if actor is not None and actor.is_authenticated else None,
        note=note,
    )
    if source in {ConsentSource.WEB_FORM, ConsentSource.UNSUBSCRIBE}:
        Member.objects.filter(pk=member.pk).update(last_contact_at=timezone.now())
    return record


def _blank(field: models.Field):
    if isinstance(field, models.BooleanField):
        return False
    if field.null:
        return None
    return ""


def member_export(*, coop: Coop, actor, member: Member) -> dict:
    """Everything the platform holds about one member, as JSON-ready data."""
    ensure_same_coop(coop, member)
    data: dict = {"member": str(member.public_id), "coop": coop.name, "exported_at": timezone.now()}
    for entry in personal_data.registered():
        rows = []
        for obj in entry.rows_of(member):
            row = {}
            for field in obj._meta.concrete_fields:
                if field.name in {"coop"}:
                    continue
                value = getattr(obj, field.attname)
                row[field.name] = str(value) if field.is_relation and value is not None else value
            rows.append(entry.describe(obj, row) if entry.describe else row)
        data[entry.model._meta.label] = rows
    audit_log(
        coop=coop, actor=actor, action="members.exported", data={"member": str(member.public_id)}
    )
    # Round-trip through the JSON encoder: dates and UUIDs become strings.
    import json

    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


@transaction.atomic
def member_anonymise(*, coop: Coop, actor, member: Member, reason: str = "request") -> None:
    """Erase the member's personal data everywhere it is registered; keep what counts
    (profiles, reservations, consents, learning events) without the person."""
    ensure_same_coop(coop, member)
    # The member's own row last: other rows may be reached through its fields (its account).
    for entry in sorted(personal_data.registered(), key=lambda entry: entry.member_path == ""):
        rows = entry.rows_of(member)
        if entry.delete_on_erasure:
            rows.delete()
            continue
        if entry.fields:
            rows.update(
                **{name: _blank(entry.model._meta.get_field(name)) for name in entry.fields}
            )
    Member.objects.filter(pk=member.pk).update(
        anonymised_at=timezone.now(), retention_flagged_at=None
    )
    listing.bump(coop.pk)  # queryset updates and deletes send no signal
    audit_log(
        coop=coop,
        actor=actor,
        action="members.anonymised",
        data={"member": str(member.public_id), "reason": reason},
    )
