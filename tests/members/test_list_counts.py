"""The member list's count is cached per change of the coop's members (members/listing.py):
every way members change must show at once in the count staff see."""

import re

import pytest

from django.urls import reverse

from coopculture.coops.scoping import coop_scope
from coopculture.members import services
from tests.members.factories import make_member
from tests.members.test_import import import_file

pytestmark = pytest.mark.django_db


def shown_count(client, coop, query="") -> int:
    url = reverse("members_staff:member-list", kwargs={"coop_slug": coop.slug}) + query
    html = client.get(url).content.decode()
    match = re.search(r"(\d[\d\u202f\u00a0 ]*)\s+personnes?\b", html)
    assert match, html
    return int(re.sub(r"\D", "", match.group(1)))


def test_the_count_follows_every_kind_of_change(coop, users, client_for):
    client = client_for(users["admin"])
    first = make_member(coop, last_name="Arnaud", email="a@example.org")
    make_member(coop, last_name="Bastide", email="")
    assert shown_count(client, coop) == 2
    assert shown_count(client, coop, "?has_email=yes") == 1

    with coop_scope(coop):  # a single save, through the service
        services.member_create(
            coop=coop,
            actor=users["admin"],
            data={"first_name": "Chloé", "last_name": "Colin", "email": "c@example.org"},
        )
    assert shown_count(client, coop) == 3
    assert shown_count(client, coop, "?has_email=yes") == 2

    # A bulk write: the import sends no model signals.
    csv = "Nom;Prénom;N° associé;Courriel\nDurand;Paul;D-1;p@example.org\n"
    import_file(coop, csv.encode(), name="membres.csv")
    assert shown_count(client, coop) == 4
    assert shown_count(client, coop, "?has_email=yes") == 3

    with coop_scope(coop):  # erasure: queryset updates, no signals either
        services.member_anonymise(coop=coop, actor=users["admin"], member=first)
    assert shown_count(client, coop) == 3
    assert shown_count(client, coop, "?has_email=yes") == 2


def test_another_coops_changes_do_not_touch_this_coops_count(coop, other_coop, users, client_for):
    client = client_for(users["admin"])
    make_member(coop)
    assert shown_count(client, coop) == 1
    make_member(other_coop)
    make_member(other_coop)
    assert shown_count(client, coop) == 1
