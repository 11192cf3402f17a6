"""The federation team's own pages, with the federation account as the demo makes it
(is_federation_staff, no Django staff flag): every federation URL opens, the admin lets it
author the learning path; and each refusal (403) names its own context."""

import re

import pytest
from django_scopes import scopes_disabled

from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from coopculture.core.views import permission_denied
from coopculture.learning.models import Module
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db

FEDERATION_TEXT = "Cette page est réservée à l'équipe de la fédération."
COOP_WORDING = "cette coop"


def text(response) -> str:
    html = response.content.decode().replace("&#x27;", "'")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def federation_routes() -> list[str]:
    """Every named URL under /federation/ outside the admin's own (namespace:name)."""
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith("federation/admin/"):
                    continue
                ns = pattern.namespace or namespace
                walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern) and route.startswith("federation/"):
                found.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", None)
    return sorted(found)


@pytest.fixture
def federation(users, client_for):
    user = users["federation"]
    assert not user.is_staff and not user.is_superuser
    return client_for(user)


def test_every_federation_page_opens_for_the_federation_team(coop, federation):
    module = make_module(kinds=("text",))
    from coopculture.kit.models import KitBatch

    with scopes_disabled():
        batch = KitBatch.objects.create()
    kwargs = {
        "learning_preview:module": {"coop_slug": coop.slug, "module_slug": module.slug},
        "kit_federation:batch": {"batch_id": batch.public_id},
    }
    names = federation_routes()
    assert {"federation:index", "learning_preview:module", "kit_federation:batch"} <= set(names)
    for name in names:
        response = federation.get(reverse(name, kwargs=kwargs.get(name)))
        assert response.status_code == 200, name
    for url in (
        "/federation/admin/",
        reverse("admin:learning_module_changelist"),
        reverse("admin:learning_module_add"),
        reverse("admin:learning_module_change", args=[module.pk]),
        reverse("admin:learning_glossaryterm_changelist"),
        reverse("admin:learning_glossaryterm_add"),
    ):
        response = federation.get(url)
        assert response.status_code == 200, url
    # Signed in already: the admin's sign-in page leads to the admin, not to a refusal.
    login = federation.get(reverse("admin:login"))
    assert login.status_code == 302 and login["Location"] == reverse("admin:index")


def test_the_federation_team_authors_the_path_in_the_admin(federation):
    index = text(federation.get(reverse("admin:index")))
    assert "Modules" in index and "Termes du glossaire" in index
    response = federation.post(
        reverse("admin:learning_module_add"),
        {
            "title": "Ma coop, c'est quoi ?",
            "slug": "ma-coop",
            "summary": "Ce qu'est une coopérative Hlm.",
            "duration_minutes": "15",
            "position": "1",
            "status": "draft",
            "audiences": ["locataire"],
            "cover_alt": "",
            "steps-TOTAL_FORMS": "0",
            "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "1000",
            "_save": "Enregistrer",
        },
    )
    assert response.status_code == 302
    assert Module.objects.filter(slug="ma-coop").exists()


def test_the_technical_parts_of_the_admin_refuse_the_federation_team_in_its_own_words(
    federation,
):
    response = federation.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 403
    assert FEDERATION_TEXT in text(response)
    assert COOP_WORDING not in text(response)


def test_a_coop_admin_is_refused_the_federation_admin_with_the_federation_wording(
    users, client_for
):
    response = client_for(users["admin"]).get(reverse("admin:login"))
    assert response.status_code == 403
    page = text(response)
    assert FEDERATION_TEXT in page
    assert COOP_WORDING not in page and "rôle" not in page


def test_a_refusal_in_a_coop_names_that_coop(coop, users, client_for):
    response = client_for(users["editor"]).get(
        reverse("staff:settings", kwargs={"coop_slug": coop.slug})
    )
    assert response.status_code == 403
    page = text(response)
    assert "Votre rôle chez Coop A ne permet pas cette action." in page
    assert "administrateurs de Coop A" in page
    assert "fédération" not in page.split("Accès refusé", 2)[-1].split("Retour")[0]


def test_a_refusal_elsewhere_speaks_of_the_account(users):
    request = RequestFactory().get("/mon-espace/")
    request.user = users["member"]
    request.coop = None
    response = permission_denied(request)
    assert response.status_code == 403
    page = text(response)
    assert "Votre compte ne donne pas accès à cette page." in page
    assert COOP_WORDING not in page and FEDERATION_TEXT not in page
