"""Reads of the members domain. The life-cycle stage is computed here, never stored."""

import datetime as dt

from django_scopes import scopes_disabled

from django.db.models import (
    Case,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from coopculture.members.models import (
    ConsentRecord,
    ContractKind,
    DeliveryDateChange,
    Member,
    MemberImport,
    MemberProfile,
    Programme,
    ProgrammeKind,
    Purpose,
    Reservation,
    Stage,
)


def stage_expression(today: dt.date, prefix: str = "") -> Case:
    """The stage of a reservation (or lease) from its programme's dates on `today`."""
    p = prefix
    return Case(
        When(**{f"{p}kind": ContractKind.LEASE}, then=Value(Stage.LOCATAIRE)),
        When(**{f"{p}programme__kind": ProgrammeKind.LOCATIF}, then=Value(Stage.LOCATAIRE)),
        When(
            **{f"{p}programme__coownership_created_on__lte": today},
            then=Value(Stage.COPROPRIETAIRE),
        ),
        When(**{f"{p}programme__delivered_on__lte": today}, then=Value(Stage.LIVRE)),
        When(**{f"{p}programme__works_start_on__lte": today}, then=Value(Stage.EN_CHANTIER)),
        default=Value(Stage.RESERVATAIRE),
        output_field=CharField(),
    )


def stage_of_reservation(reservation: Reservation, today: dt.date | None = None) -> str:
    """The same rule in Python, for one reservation already loaded with its programme."""
    today = today or timezone.localdate()
    programme = reservation.programme
    if reservation.kind == ContractKind.LEASE or programme.kind == ProgrammeKind.LOCATIF:
        return Stage.LOCATAIRE
    for date, stage in (
        (programme.coownership_created_on, Stage.COPROPRIETAIRE),
        (programme.delivered_on, Stage.LIVRE),
        (programme.works_start_on, Stage.EN_CHANTIER),
    ):
        if date is not None and date <= today:
            return stage
    return Stage.RESERVATAIRE


def _current_reservations(today):
    return Reservation.objects.filter(member=OuterRef("pk"), ended_on__isnull=True).filter(
        signed_on__lte=today
    )


def member_list(*, coop, filters: dict | None = None, today: dt.date | None = None) -> QuerySet:
    """Members of `coop`, annotated with `stage`, filtered. A single query, whatever size.

    filters: q (name, email, reference), profile, stage, programme (public id), channel,
    consent (a purpose currently granted), has_email ("yes"/"no"), include_anonymised.
    """
    today = today or timezone.localdate()
    filters = filters or {}
    current = _current_reservations(today).order_by("-signed_on", "-id")
    members = Member.objects.filter(coop=coop).annotate(
        stage=Subquery(current.annotate(s=stage_expression(today)).values("s")[:1]),
        programme_name=Subquery(current.values("programme__name")[:1]),
    )
    if not filters.get("include_anonymised"):
        members = members.filter(anonymised_at__isnull=True)
    if q := (filters.get("q") or "").strip():
        for word in q.split()[:4]:
            members = members.filter(
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(email__icontains=word)
                | Q(external_ref__iexact=word)
            )
    if profile := filters.get("profile"):
        members = members.filter(
            Exists(
                MemberProfile.objects.filter(
                    member=OuterRef("pk"), kind=profile, start_date__lte=today
                ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            )
        )
    if stage := filters.get("stage"):
        members = members.filter(stage=stage)
    if programme := filters.get("programme"):
        members = members.filter(
            Exists(
                Reservation.objects.filter(
                    member=OuterRef("pk"), programme__public_id=programme, ended_on__isnull=True
                )
            )
        )
    if channel := filters.get("channel"):
        members = members.filter(preferred_channel=channel)
    if purpose := filters.get("consent"):
        latest = ConsentRecord.objects.filter(member=OuterRef("pk"), purpose=purpose).order_by(
            "-recorded_at", "-id"
        )
        members = members.annotate(consent_granted=Subquery(latest.values("granted")[:1])).filter(
            consent_granted=True
        )
    if filters.get("has_email") == "yes":
        members = members.exclude(email="")
    elif filters.get("has_email") == "no":
        members = members.filter(email="")
    return members.order_by("last_name", "first_name", "id")


def access_member(*, coop, public_id) -> Member:
    member = Member.objects.filter(coop=coop, public_id=public_id).first()
    if member is None:
        raise Http404
    return member


def member_reservations(*, coop, member) -> list[Reservation]:
    return list(Reservation.objects.filter(coop=coop, member=member).select_related("programme"))


def stage_among(reservations, today: dt.date) -> str | None:
    """The stage of the newest reservation in force, among reservations already loaded
    (with their programme), newest first."""
    for reservation in reservations:
        if reservation.ended_on is None and reservation.signed_on <= today:
            return stage_of_reservation(reservation, today)
    return None


def member_stage(*, coop, member, today: dt.date | None = None) -> str | None:
    return stage_among(member_reservations(coop=coop, member=member), today or timezone.localdate())


def tracked_purposes(coop) -> list[str]:
    """The consent purposes this coop asks about: electronic general assembly notices
    only where the coop's statutes allow them (a coop setting)."""
    return [
        purpose
        for purpose in Purpose.values
        if purpose != Purpose.AG_ELECTRONIC or coop.tracks_ag_email_consent
    ]


def purpose_choices(coop) -> list[tuple[str, str]]:
    labels = dict(Purpose.choices)
    return [(purpose, labels[purpose]) for purpose in tracked_purposes(coop)]


def member_consents(*, coop, member) -> dict[str, ConsentRecord | None]:
    """The consent in force for each purpose (the latest record), None if never asked."""
    return consents_among(
        coop,
        ConsentRecord.objects.filter(coop=coop, member=member).order_by("recorded_at", "id"),
    )


def consents_granted(*, coop, member_ids: list[int]) -> dict[int, dict[str, bool]]:
    """For each member id, whether each purpose's consent in force is granted: one query."""
    granted: dict[int, dict[str, bool]] = {pk: {} for pk in member_ids}
    records = (
        ConsentRecord.objects.filter(coop=coop, member__in=member_ids)
        .order_by("member_id", "purpose", "recorded_at", "id")
        .values_list("member_id", "purpose", "granted")
    )
    for member_id, purpose, is_granted in records:
        granted[member_id][purpose] = is_granted  # the latest one wins
    return granted


def consents_among(coop, records) -> dict[str, ConsentRecord | None]:
    """member_consents, from records already loaded, oldest first."""
    state: dict[str, ConsentRecord | None] = dict.fromkeys(tracked_purposes(coop))
    for record in records:
        if record.purpose in state:
            state[record.purpose] = record
    return state


def programme_list(*, coop) -> list[Programme]:
    return list(Programme.objects.filter(coop=coop).order_by("name"))


def access_programme(*, coop, public_id) -> Programme:
    programme = Programme.objects.filter(coop=coop, public_id=public_id).first()
    if programme is None:
        raise Http404
    return programme


def programme_delivery_history(*, coop, programme) -> list[DeliveryDateChange]:
    return list(
        DeliveryDateChange.objects.filter(coop=coop, programme=programme).select_related(
            "changed_by"
        )
    )


def access_import(*, coop, public_id) -> MemberImport:
    job = MemberImport.objects.filter(coop=coop, public_id=public_id).first()
    if job is None:
        raise Http404
    return job


def member_coop_ids(*, user) -> set[int]:
    """The coops where `user`'s account is a member record (their own records only: hence
    the unscoped read, the same person seeing where they belong)."""
    if user is None or not user.is_authenticated:
        return set()
    with scopes_disabled():
        return set(
            Member.objects.filter(user=user, anonymised_at__isnull=True).values_list(
                "coop_id", flat=True
            )
        )
