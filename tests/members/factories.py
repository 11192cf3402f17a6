import datetime as dt
import itertools

from django_scopes import scopes_disabled

from coopculture.members.models import Member, Programme, Reservation

_n = itertools.count(1)


def make_member(coop, **fields) -> Member:
    n = next(_n)
    values = {
        "first_name": "Léa",
        "last_name": f"Moreau{n}",
        "email": f"lea{n}@example.org",
        "phone": "01 99 00 00 00",
        "postal_address": "1 rue des Tests\n99000 Fictiveville",
        "external_ref": f"A{n:05d}",
        "accessibility_notes": "Préfère être appelée le matin.",
    }
    values.update(fields)
    with scopes_disabled():
        return Member.objects.create(coop=coop, **values)


def make_programme(coop, **fields) -> Programme:
    values = {"name": f"Résidence {next(_n)}", "town": "Fictiveville", "kind": "vefa"}
    values.update(fields)
    with scopes_disabled():
        return Programme.objects.create(coop=coop, **values)


def reserve(coop, member, programme, **fields) -> Reservation:
    values = {"kind": "reservation", "signed_on": dt.date(2025, 1, 15), "lot_number": "B12"}
    values.update(fields)
    with scopes_disabled():
        return Reservation.objects.create(coop=coop, member=member, programme=programme, **values)
