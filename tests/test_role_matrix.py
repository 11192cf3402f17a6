"""Who may open each staff view: federation, admin, editor, animateur, member, anonymous.

The expectations are written out by hand (not derived from coops.permissions), and the
matrix must list every back office and federation URL the resolver knows.
"""

import pytest

from django.urls import reverse

from tests.tenancy import GLOBAL_FACTORIES, OBJECT_FACTORIES, coop_routes

pytestmark = pytest.mark.django_db

ACTORS = ("federation", "admin", "editor", "animateur", "member", "anonymous")
ADMIN_ONLY_PAGE = (200, 200, 403, 403, 404, 404)
ADMIN_ONLY_ACTION = (302, 302, 403, 403, 404, 404)
EDITOR_PAGE = (200, 200, 200, 403, 404, 404)
TEAM_PAGE = (200, 200, 200, 200, 404, 404)

# url name -> (method, expected status for each actor in ACTORS order)
STAFF_MATRIX = {
    "staff:dashboard": ("get", (200, 200, 200, 200, 404, 404)),
    "staff:settings": ("get", ADMIN_ONLY_PAGE),
    "staff:team": ("get", ADMIN_ONLY_PAGE),
    "staff:audit": ("get", ADMIN_ONLY_PAGE),
    "staff:invitation-revoke": ("post", ADMIN_ONLY_ACTION),
    "staff:membership-role": ("post", ADMIN_ONLY_ACTION),
    "staff:membership-remove": ("post", ADMIN_ONLY_ACTION),
    "learning_staff:modules": ("get", EDITOR_PAGE),
    "learning_staff:module": ("get", EDITOR_PAGE),
    # Members: the whole team sees them, admins and editors edit, admins export and erase.
    "members_staff:member-list": ("get", TEAM_PAGE),
    "members_staff:member-detail": ("get", TEAM_PAGE),
    "members_staff:member-create": ("get", EDITOR_PAGE),
    "members_staff:member-edit": ("get", EDITOR_PAGE),
    "members_staff:member-consent": ("get", EDITOR_PAGE),
    "members_staff:member-export": ("get", ADMIN_ONLY_PAGE),
    "members_staff:member-export-json": ("get", ADMIN_ONLY_PAGE),
    "members_staff:member-erase": ("get", ADMIN_ONLY_PAGE),
    "members_staff:programme-list": ("get", TEAM_PAGE),
    "members_staff:programme-detail": ("get", TEAM_PAGE),
    "members_staff:programme-create": ("get", EDITOR_PAGE),
    "members_staff:programme-edit": ("get", EDITOR_PAGE),
    "members_staff:programme-delivery": ("get", EDITOR_PAGE),
    # Member import: admins and editors (members.manage). The report of an import that is
    # not done yet redirects to its page.
    "members_import:start": ("get", EDITOR_PAGE),
    "members_import:mapping": ("get", EDITOR_PAGE),
    "members_import:sheet": ("post", (302, 302, 302, 403, 404, 404)),
    "members_import:preview": ("get", EDITOR_PAGE),
    "members_import:detail": ("get", EDITOR_PAGE),
    "members_import:errors": ("get", EDITOR_PAGE),
    "members_import:report": ("get", (302, 302, 302, 403, 404, 404)),
    # Tracked links: the whole team sees them, their QR codes and figures (animateurs hand
    # them out at sessions); admins and editors create, retarget, archive and restore them.
    "kit_links:list": ("get", TEAM_PAGE),
    "kit_links:archived": ("get", TEAM_PAGE),
    "kit_links:detail": ("get", TEAM_PAGE),
    "kit_links:qr-svg": ("get", TEAM_PAGE),
    "kit_links:qr-png": ("get", TEAM_PAGE),
    "kit_links:figures": ("get", TEAM_PAGE),
    "kit_links:create": ("get", EDITOR_PAGE),
    "kit_links:edit": ("get", EDITOR_PAGE),
    "kit_links:archive": ("post", (302, 302, 302, 403, 404, 404)),
    "kit_links:restore": ("post", (302, 302, 302, 403, 404, 404)),
    # Print kit: the whole team downloads the pieces and prepares the ZIP; admins and
    # editors write the texts printed on them.
    "kit_print:index": ("get", TEAM_PAGE),
    "kit_print:texts": ("get", EDITOR_PAGE),
    "kit_print:piece-pdf": ("get", TEAM_PAGE),
    "kit_print:piece-preview": ("get", TEAM_PAGE),
    "kit_print:build-create": ("post", (302, 302, 302, 302, 404, 404)),
    "kit_print:build": ("get", TEAM_PAGE),
    "kit_print:build-download": ("get", TEAM_PAGE),
    # Campaigns (c2): admins and editors write; only admins approve (the draft made by the
    # factory is not awaiting approval: admins are sent back to its page).
    "campaigns_staff:send-list": ("get", EDITOR_PAGE),
    "campaigns_staff:campaign-create": ("get", EDITOR_PAGE),
    "campaigns_staff:send-detail": ("get", EDITOR_PAGE),
    "campaigns_staff:campaign-edit": ("get", EDITOR_PAGE),
    "campaigns_staff:campaign-segment": ("get", EDITOR_PAGE),
    "campaigns_staff:send-preview": ("get", EDITOR_PAGE),
    "campaigns_staff:send-preview-frame": ("get", EDITOR_PAGE),
    "campaigns_staff:automation-preview": ("get", EDITOR_PAGE),
    "campaigns_staff:bulletin-preview": ("get", EDITOR_PAGE),
    "campaigns_staff:campaign-test": ("post", (302, 302, 302, 403, 404, 404)),
    "campaigns_staff:campaign-submit": ("post", (302, 302, 302, 403, 404, 404)),
    "campaigns_staff:campaign-withdraw": ("post", (302, 302, 302, 403, 404, 404)),
    "campaigns_staff:campaign-approve": ("get", ADMIN_ONLY_ACTION),
    "campaigns_staff:letter-download": ("get", EDITOR_PAGE),
    "campaigns_staff:automation-list": ("get", EDITOR_PAGE),
    "campaigns_staff:automation-edit": ("get", EDITOR_PAGE),
    "campaigns_staff:bulletin": ("get", EDITOR_PAGE),
}
FEDERATION_MATRIX = {
    "federation:index": ("get", (200, 404, 404, 404, 404, 404)),
    "federation:coop-create": ("get", (200, 404, 404, 404, 404, 404)),
    "learning_preview:index": ("get", (200, 404, 404, 404, 404, 404)),
    "kit_federation:batches": ("get", (200, 404, 404, 404, 404, 404)),
}


def test_the_matrix_lists_every_staff_view():
    """A new back office view must be added to this matrix."""
    staff_names = {route.name for route in coop_routes() if route.is_staff}
    assert staff_names == set(STAFF_MATRIX)


@pytest.mark.parametrize("url_name", sorted(STAFF_MATRIX))
def test_staff_view_by_role(url_name, coop, users, client_for):
    method, expected = STAFF_MATRIX[url_name]
    route = next(r for r in coop_routes() if r.name == url_name)
    for actor, status in zip(ACTORS, expected, strict=True):
        # Fresh objects each time: a successful POST may consume them.
        kwargs = {"coop_slug": coop.slug}
        factories = {**GLOBAL_FACTORIES, **OBJECT_FACTORIES}
        kwargs.update({p: factories[p](coop) for p in route.params})
        data = {"role": "editor"} if url_name == "staff:membership-role" else {}
        client = client_for(users.get(actor))
        response = getattr(client, method)(reverse(url_name, kwargs=kwargs), data)
        assert response.status_code == status, f"{url_name} as {actor}"


@pytest.mark.parametrize("url_name", sorted(FEDERATION_MATRIX))
def test_federation_view_by_role(url_name, coop, users, client_for):
    method, expected = FEDERATION_MATRIX[url_name]
    for actor, status in zip(ACTORS, expected, strict=True):
        response = getattr(client_for(users.get(actor)), method)(reverse(url_name))
        assert response.status_code == status, f"{url_name} as {actor}"


def test_member_pages_are_open_to_everyone(coop, users, client_for):
    """The coop's public page works for every actor, signed in or not."""
    for actor in ACTORS:
        response = client_for(users.get(actor)).get(f"/c/{coop.slug}/")
        assert response.status_code == 200, actor
        assert coop.name in response.content.decode()


def test_federation_visits_are_written_in_the_coops_log(coop, users, client_for):
    """The coop can see when the federation team opened its back office (once a session)."""
    from django_scopes import scopes_disabled

    from coopculture.coops.models import AuditEvent

    client = client_for(users["federation"])
    client.get(f"/gestion/{coop.slug}/")
    client.get(f"/gestion/{coop.slug}/equipe/")
    with scopes_disabled():
        visits = AuditEvent.objects.filter(coop=coop, action="coop.federation_visit")
        assert [v.actor for v in visits] == [users["federation"]]
