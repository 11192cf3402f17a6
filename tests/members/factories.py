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


def prove(client, member, **extra):
    """Let `client` through the proof of members.proof, as the member would: the code
    mailed to the member's address, typed in the page (locmem outbox); a member without
    an email address signs in with an account linked to them instead. `extra`: request
    environ for the proof's POSTs (REMOTE_ADDR, so that they count apart)."""
    import re

    from django.core import mail
    from django.urls import reverse

    from coopculture.members import links
    from tests.conftest import make_user

    if not member.email:
        user = make_user(f"compte-{member.public_id}@example.org", password=None)
        with scopes_disabled():
            Member.objects.filter(pk=member.pk).update(user=user)
        member.user = user
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client
    url = reverse(
        "members_public:preferences",
        kwargs={"coop_slug": member.coop.slug, "token": links.preferences_token(member)},
    )
    client.post(url, {"proof": "send"}, **extra)
    [code] = re.findall(r"^\s+(\d{6})\s*$", mail.outbox[-1].body, flags=re.M)
    assert mail.outbox[-1].to == [member.email]
    assert client.post(url, {"proof": "check", "code": code}, **extra).status_code == 302
    return client
