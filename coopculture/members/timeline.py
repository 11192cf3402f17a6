"""A member's timeline: what happened to them, newest first, from every app.

Apps plug in with a provider, a function `(coop, member) -> list[TimelineEntry]`,
registered once (from their AppConfig.ready() for instance):

    from coopculture.members import timeline

    @timeline.register
    def sessions_attended(coop, member):
        return [timeline.TimelineEntry(date=..., kind="workshops.attended", label=..., url=...)]

Providers run inside the coop's scope and should make a fixed number of queries (one
or two), whatever the member's history. The members app registers its own below:
creation and audit events, profile periods, reservations and leases (with their
programme's milestones and delivery date changes) and consents.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Prefetch, prefetch_related_objects
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from coopculture.coops import audit as audit_display
from coopculture.coops.models import AuditEvent, Coop
from coopculture.members.models import (
    ConsentRecord,
    ConsentSource,
    ContractKind,
    DeliveryDateChange,
    Member,
    MemberProfile,
    Reservation,
)


@dataclass(frozen=True)
class TimelineEntry:
    """One event. `date` is a date (a day) or an aware datetime (a moment)."""

    date: dt.date | dt.datetime
    kind: str  # "<app>.<what>", e.g. "members.consent": lets templates style or filter
    label: str  # translated, for people
    url: str = ""  # a staff page about it, if any

    @property
    def has_time(self) -> bool:
        return isinstance(self.date, dt.datetime)

    @property
    def sort_key(self) -> dt.datetime:
        if isinstance(self.date, dt.datetime):
            return timezone.localtime(self.date) if timezone.is_aware(self.date) else self.date
        return timezone.make_aware(dt.datetime.combine(self.date, dt.time.min))


Provider = Callable[[Coop, Member], list[TimelineEntry]]
_providers: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add a provider (registering the same function twice keeps one). Usable as a decorator."""
    _providers[f"{provider.__module__}.{provider.__qualname__}"] = provider
    return provider


def providers() -> list[Provider]:
    return list(_providers.values())


def member_timeline(*, coop: Coop, member: Member) -> list[TimelineEntry]:
    """Every provider's entries for `member`, newest first."""
    entries: list[TimelineEntry] = []
    for provider in providers():
        entries.extend(provider(coop, member))
    return sorted(entries, key=lambda entry: entry.sort_key, reverse=True)


def preload(member: Member) -> Member:
    """Load the member's reservations (with their programme) and consents (with who
    recorded them) once, for the providers and the member page to share. Loading twice
    costs nothing: Django skips what is already loaded."""
    prefetch_related_objects(
        [member],
        Prefetch("reservations", queryset=Reservation.objects.select_related("programme")),
        Prefetch(
            "consents",
            queryset=ConsentRecord.objects.select_related("recorded_by").order_by(
                "recorded_at", "id"
            ),
        ),
    )
    return member


def _field_label(name: str) -> str:
    try:
        return str(Member._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field removed since the event was written
        return name


def _day(value: dt.date | None) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else _("no date")


# --- The members app's own providers ---------------------------------------------------------


@register
def record_events(coop: Coop, member: Member) -> list[TimelineEntry]:
    """Creation, changes, exports and erasure, from the coop's audit log."""
    events = list(
        AuditEvent.objects.filter(coop=coop, data__member=str(member.public_id))
        .select_related("actor")
        .order_by("created_at", "id")
    )
    entries = []
    for event in events:
        label = audit_display.label(event)
        if event.action == "members.updated":
            label = _("Details changed: %(fields)s") % {
                "fields": ", ".join(_field_label(name) for name in event.data.get("fields", []))
            }
        if event.actor is not None:
            label = _("%(event)s, by %(person)s") % {"event": label, "person": event.actor}
        entries.append(TimelineEntry(date=event.created_at, kind=event.action, label=label))
    if not any(event.action == "members.created" for event in events):
        # Created before the audit log, or by an import that logs one event per file.
        entries.append(
            TimelineEntry(
                date=member.created_at,
                kind="members.created",
                label=_("Added to the coop's member register"),
            )
        )
    return entries


@register
def profile_periods(coop: Coop, member: Member) -> list[TimelineEntry]:
    entries = []
    for profile in MemberProfile.objects.filter(coop=coop, member=member):
        kind = profile.get_kind_display()
        entries.append(
            TimelineEntry(
                date=profile.start_date,
                kind="members.profile_started",
                label=_("Became: %(profile)s") % {"profile": kind},
            )
        )
        if profile.end_date is not None:
            entries.append(
                TimelineEntry(
                    date=profile.end_date,
                    kind="members.profile_ended",
                    label=_("No longer: %(profile)s") % {"profile": kind},
                )
            )
    return entries


@register
def reservations_and_programmes(coop: Coop, member: Member) -> list[TimelineEntry]:
    """Contracts, their programme's milestones (up to today) and delivery date changes."""
    today = timezone.localdate()
    reservations = list(preload(member).reservations.all())
    entries = []
    programmes = {}
    for reservation in reservations:
        programme = reservation.programme
        programmes[programme.pk] = programme
        url = reverse(
            "members_staff:programme-detail",
            kwargs={"coop_slug": coop.slug, "programme_id": programme.public_id},
        )
        values = {"programme": programme.name, "lot": reservation.lot_number}
        if reservation.kind == ContractKind.LEASE:
            label = _("Lease signed: %(programme)s") % values
        else:
            label = _("Reservation signed: %(programme)s") % values
        if reservation.lot_number:
            label = _("%(event)s, lot %(lot)s") % {"event": label, "lot": reservation.lot_number}
        entries.append(
            TimelineEntry(
                date=reservation.signed_on, kind="members.reservation", label=label, url=url
            )
        )
        if reservation.ended_on is not None:
            entries.append(
                TimelineEntry(
                    date=reservation.ended_on,
                    kind="members.reservation_ended",
                    label=_("Contract ended: %(programme)s") % values,
                    url=url,
                )
            )
        for date, kind, text in (
            (programme.works_start_on, "members.works_started", _("Works started: %(programme)s")),
            (programme.delivered_on, "members.delivered", _("Homes delivered: %(programme)s")),
            (
                programme.coownership_created_on,
                "members.coownership_created",
                _("Co-ownership created: %(programme)s"),
            ),
        ):
            if date is not None and reservation.signed_on <= date <= today:
                entries.append(TimelineEntry(date=date, kind=kind, label=text % values, url=url))
    if programmes:
        changes = DeliveryDateChange.objects.filter(coop=coop, programme__in=list(programmes))
        for change in changes:
            programme = programmes[change.programme_id]
            entries.append(
                TimelineEntry(
                    date=change.changed_at,
                    kind="members.delivery_changed",
                    label=_(
                        "Expected delivery of %(programme)s moved from %(old)s to %(new)s: "
                        "%(reason)s"
                    )
                    % {
                        "programme": programme.name,
                        "old": _day(change.previous_date),
                        "new": _day(change.new_date),
                        "reason": change.reason,
                    },
                    url=reverse(
                        "members_staff:programme-detail",
                        kwargs={"coop_slug": coop.slug, "programme_id": programme.public_id},
                    ),
                )
            )
    return entries


@register
def consents(coop: Coop, member: Member) -> list[TimelineEntry]:
    entries = []
    sources = dict(ConsentSource.choices)
    for record in preload(member).consents.all():
        values = {
            "purpose": record.get_purpose_display(),
            "source": str(sources.get(record.source, record.source)).lower(),
        }
        if record.granted:
            label = _("Agreed to: %(purpose)s (%(source)s)") % values
        else:
            label = _("Refused or withdrew: %(purpose)s (%(source)s)") % values
        if record.recorded_by is not None:
            label = _("%(event)s, recorded by %(person)s") % {
                "event": label,
                "person": record.recorded_by,
            }
        entries.append(TimelineEntry(date=record.recorded_at, kind="members.consent", label=label))
    return entries
