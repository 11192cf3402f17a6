"""No coop ever sees another coop's data, whatever URL it tries."""

import re

import pytest

from django.test import override_settings
from django.urls import reverse

from coopculture.coops.models import Role
from tests.conftest import add_member, make_coop, make_user
from tests.tenancy import coop_routes, fill

pytestmark = pytest.mark.django_db


def sweep(coop, other_coop, actors, client_for, urlconf=None) -> list[str]:
    """Request every coop URL in ways that must all answer 404; return the leaks."""
    leaks = []
    for route in coop_routes(urlconf):
        cases = []
        if route.has_coop_owned_params:
            # Coop A's own URL, filled with coop B's objects: 404 for everyone,
            # including coop A's administrator and the federation team.
            kwargs = fill(route, url_coop=coop, objects_coop=other_coop)
            cases.append((kwargs, ["admin", "other_admin", "member", "anonymous", "federation"]))
        if route.is_staff:
            # Coop B's back office (with B's own objects): 404 for anyone without a role in B.
            kwargs = fill(route, url_coop=other_coop, objects_coop=other_coop)
            cases.append((kwargs, ["admin", "member", "anonymous"]))
        for kwargs, actor_names in cases:
            url = reverse(route.name, kwargs=kwargs, urlconf=urlconf)
            for actor_name in actor_names:
                client = client_for(actors.get(actor_name))
                for method in ("get", "post"):
                    response = getattr(client, method)(url)
                    allowed = {404, 405} if method == "get" else {404}
                    if response.status_code not in allowed:
                        leaks.append(
                            f"{method.upper()} {url} as {actor_name}: {response.status_code}"
                        )
    return leaks


@pytest.fixture
def actors(users):
    return {**users, "anonymous": None}


def test_the_sweep_covers_the_coop_urls():
    """The sweep finds the back office and member URLs from the resolver itself."""
    names = {route.name for route in coop_routes()}
    assert {
        "staff:dashboard",
        "staff:team",
        "staff:invitation-revoke",
        "kit_public:landing",
    } <= names
    assert any(route.params for route in coop_routes())


def test_no_coop_url_answers_for_another_coop(coop, other_coop, actors, client_for):
    """Every coop URL answers 404 for another coop's objects and to outsiders."""
    assert sweep(coop, other_coop, actors, client_for) == []


def test_cross_coop_posts_change_nothing(coop, other_coop, users, client_for):
    """Coop A's admin posting on coop B's invitation through coop A's URL revokes nothing."""
    from django_scopes import scopes_disabled

    from coopculture.coops.models import Invitation
    from tests.tenancy import OBJECT_FACTORIES

    public_id = OBJECT_FACTORIES["invitation_id"](other_coop)
    client = client_for(users["admin"])
    url = reverse(
        "staff:invitation-revoke", kwargs={"coop_slug": coop.slug, "invitation_id": public_id}
    )
    assert client.post(url).status_code == 404
    with scopes_disabled():
        assert Invitation.objects.get(public_id=public_id).revoked_at is None


def test_unknown_and_closed_coops_answer_404(client, db):
    """A coop that does not exist and a closed coop look the same: not found."""
    make_coop("fermee", is_active=False)
    for url in ("/c/inconnue/", "/c/fermee/", "/gestion/inconnue/", "/gestion/fermee/"):
        assert client.get(url).status_code == 404, url


def test_a_404_reveals_nothing(coop, other_coop, users, client_for):
    """A coop B back office page answers coop A's admin exactly like a missing coop."""
    client = client_for(users["admin"])
    existing = client.get(f"/gestion/{other_coop.slug}/")
    missing = client.get("/gestion/nexiste-pas/")
    assert existing.status_code == missing.status_code == 404

    def normalise(content: bytes, slug: str) -> str:
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())
        return text.replace(slug, "SLUG")

    assert normalise(existing.content, other_coop.slug) == normalise(missing.content, "nexiste-pas")
    assert other_coop.name not in existing.content.decode()


@override_settings(ROOT_URLCONF="tests.leaky_urls")
def test_the_sweep_catches_a_view_that_skips_the_scope(coop, other_coop, actors, client_for):
    """Self-test: a coop-owned view that reads outside the scope makes the sweep fail."""
    leaks = sweep(coop, other_coop, actors, client_for, urlconf="tests.leaky_urls")
    assert any("/fuite/" in leak and "as admin: 200" in leak for leak in leaks), leaks


def test_users_with_roles_in_two_coops_see_each_with_its_own_role(coop, other_coop, client_for):
    """One person may work for two coops, with a different role in each."""
    user = make_user("double@example.org")
    add_member(coop, user, Role.ADMIN)
    add_member(other_coop, user, Role.ANIMATEUR)
    client = client_for(user)
    assert client.get(f"/gestion/{coop.slug}/equipe/").status_code == 200
    assert client.get(f"/gestion/{other_coop.slug}/equipe/").status_code == 403
