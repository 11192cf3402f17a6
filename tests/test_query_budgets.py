"""Pages keep a fixed number of SQL queries whatever the data size (DESIGN.md §6: at most 10)."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from coopculture.coops.models import Role
from tests.conftest import add_member, make_coop, make_user

pytestmark = pytest.mark.django_db

BUDGET = 10


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def grow(coop, other_coop, n: int) -> None:
    for i in range(n):
        add_member(coop, make_user(f"grow{i}-{coop.slug}@example.org"), Role.EDITOR)
    for i in range(n):
        make_coop(f"extra-{other_coop.slug}-{i}")


@pytest.mark.parametrize(
    ("actor", "url"),
    [
        ("anonymous", "/"),
        ("anonymous", "/c/coop-a/"),
        ("member", "/c/coop-a/"),
        ("admin", "/gestion/coop-a/"),
        ("admin", "/gestion/coop-a/equipe/"),
        ("admin", "/gestion/coop-a/journal/"),
        ("admin", "/mon-espace/"),
        ("federation", "/federation/"),
    ],
)
def test_queries_stay_fixed_and_within_budget(actor, url, coop, other_coop, users, client_for):
    client = client_for(users.get(actor))
    client.get(url)  # warm the session
    small = count_queries(client, url)
    grow(coop, other_coop, 25)
    large = count_queries(client, url)
    assert small == large, f"{url}: {small} queries with little data, {large} with more"
    assert large <= BUDGET, f"{url}: {large} queries"


@pytest.mark.parametrize("actor", ["admin", "animateur"])
def test_the_dashboard_reads_its_figures_in_fixed_queries_whatever_the_data(
    actor, coop, other_coop, users, client_for
):
    """Members, visits, learners and sends grow: the dashboard's queries do not (its
    figures come in one query, scoped to the coop)."""
    from tests.coops.test_views import dashboard_world

    client = client_for(users[actor])
    url = f"/gestion/{coop.slug}/"
    client.get(url)  # warm the session
    small = count_queries(client, url)
    dashboard_world(coop, 30)
    dashboard_world(other_coop, 30)
    large = count_queries(client, url)
    assert small == large, f"{small} queries with little data, {large} with more"
    assert large <= BUDGET, f"{url}: {large} queries"
