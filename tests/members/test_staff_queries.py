"""The member list and the other members pages keep a fixed number of SQL queries,
whatever the number of members (DESIGN.md §6: at most 10 for the list)."""

import datetime as dt
import itertools

import pytest
from django_scopes import scopes_disabled

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coopculture.members import listing
from coopculture.members.models import ConsentRecord, Member, MemberProfile, Reservation
from tests.members.factories import make_programme

pytestmark = pytest.mark.django_db

BUDGET = 10
# The member page also runs each app's timeline provider: campaigns adds one query (what
# the member received, whatever the number of sends).
MEMBER_PAGE_BUDGET = BUDGET + 1
_refs = itertools.count(1)


def grow(coop, n: int, programmes) -> list[Member]:
    """n members, each with a profile, a reservation and two consents (bulk, fast)."""
    with scopes_disabled():
        members = Member.objects.bulk_create(
            Member(
                coop=coop,
                first_name="Prénom",
                last_name=f"Nom{i:04d}",
                email=f"m{i}@example.org" if i % 3 else "",
                external_ref=f"Q{next(_refs):05d}",
                preferred_channel=("email", "post", "phone")[i % 3],
            )
            for i in range(n)
        )
        MemberProfile.objects.bulk_create(
            MemberProfile(coop=coop, member=m, kind="accedant", start_date=dt.date(2025, 1, 1))
            for m in members
        )
        Reservation.objects.bulk_create(
            Reservation(
                coop=coop,
                member=m,
                programme=programmes[i % len(programmes)],
                signed_on=dt.date(2025, 1, 1),
            )
            for i, m in enumerate(members)
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(
                coop=coop,
                member=m,
                purpose=purpose,
                granted=True,
                legal_basis="consent",
                source="paper",
            )
            for m in members
            for purpose in ("bulletin", "sessions")
        )
    listing.bump(coop.pk)  # bulk writes send no signals: the import bumps the same way
    return members


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=nom&stage=en_chantier&channel=email&has_email=yes&consent=bulletin&profile=accedant",
    ],
)
def test_the_member_list_keeps_a_fixed_number_of_queries(coop, users, client_for, query, settings):
    """10 members or 200 (several pages, every filter): the same number, within budget."""
    programmes = [
        make_programme(coop, works_start_on=dt.date(2025, 6, 1)),
        make_programme(coop, kind="locatif"),
    ]
    client = client_for(users["admin"])
    url = reverse("members_staff:member-list", kwargs={"coop_slug": coop.slug}) + query
    client.get(url)  # warm the session
    grow(coop, 10, programmes)
    small = count_queries(client, url)
    grow(coop, 190, programmes)
    for _ in range(3):
        make_programme(coop)  # the programme filter lists them: still one query
    large = count_queries(client, url)
    assert small == large, f"{small} queries with 10 members, {large} with 200"
    assert large <= BUDGET, f"{large} queries"


def test_the_programme_page_keeps_a_fixed_number_of_queries(coop, users, client_for):
    programme = make_programme(coop, works_start_on=dt.date(2025, 6, 1))
    client = client_for(users["admin"])
    url = reverse(
        "members_staff:programme-detail",
        kwargs={"coop_slug": coop.slug, "programme_id": programme.public_id},
    )
    client.get(url)
    grow(coop, 5, [programme])
    small = count_queries(client, url)
    grow(coop, 100, [programme])
    assert count_queries(client, url) == small <= BUDGET


def test_the_member_page_keeps_a_fixed_number_of_queries(coop, users, client_for):
    """However long the member's history, the page (timeline included) costs the same."""
    programmes = [make_programme(coop, works_start_on=dt.date(2025, 6, 1)) for _ in range(2)]
    member = grow(coop, 1, programmes)[0]
    client = client_for(users["admin"])
    url = reverse(
        "members_staff:member-detail",
        kwargs={"coop_slug": coop.slug, "member_id": member.public_id},
    )
    client.get(url)
    small = count_queries(client, url)
    with scopes_disabled():
        for programme in programmes:
            Reservation.objects.create(
                coop=coop, member=member, programme=programme, signed_on=dt.date(2025, 3, 1)
            )
        for granted in (False, True, False):
            ConsentRecord.objects.create(
                coop=coop,
                member=member,
                purpose="coop_news",
                granted=granted,
                legal_basis="consent",
                source="phone",
                recorded_by=users["editor"],
            )
    assert count_queries(client, url) == small <= MEMBER_PAGE_BUDGET
