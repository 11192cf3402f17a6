"""The federation's preview (/federation/parcours/apercu/): any module, drafts included,
as one coop shows it, with that coop's status, note and example notices only."""

import pytest

from django.urls import reverse
from django.utils.html import escape

from coopculture.coops.scoping import coop_scope
from coopculture.learning import services
from coopculture.learning.models import ModuleStatus, PublicationStatus
from tests.learning.factories import make_module

# Until config/urls.py includes coopculture.learning.urls.preview.
pytestmark = pytest.mark.django_db

NOTE_A = "nous proposons un atelier le premier mardi du mois."


def preview_url(coop, module) -> str:
    return reverse(
        "learning_preview:module", kwargs={"coop_slug": coop.slug, "module_slug": module.slug}
    )


def adapt(coop, module, *, actor, **fields):
    values = {"status": "", "highlighted": False, "highlight_position": 0, "note": ""}
    values.update(fields)
    with coop_scope(coop):
        services.module_setting_update(coop=coop, actor=actor, module=module, **values)


@pytest.fixture
def draft(coop, users):
    """A draft about everyone, whose text has an example about renting homes."""
    module = make_module(
        kinds=("text", "quiz", "game", "leaflet"),
        title="Brouillon de la fédération",
        status=PublicationStatus.DRAFT,
    )
    adapt(coop, module, actor=users["admin"], note=NOTE_A, highlighted=True)
    return module


def test_the_federation_previews_a_draft_with_the_coops_note(coop, users, draft, client_for):
    """Coop A's preview of a draft shows A's note and flags the rental example."""
    response = client_for(users["federation"]).get(preview_url(coop, draft))

    assert response.status_code == 200
    page = response.content.decode()
    assert escape(draft.title) in page
    assert NOTE_A in page
    assert 'class="coop-note"' in page
    # Coop A does not rent homes: the example about it carries the notice.
    assert "example--elsewhere" in page
    assert "Votre loyer finance" in page
    item = response.context["item"]
    assert (item.status, item.highlighted) == (ModuleStatus.RECOMMENDED, True)
    assert response.context["reason"] is None


def test_another_coops_preview_has_neither_the_note_nor_the_notice(
    coop, other_coop, users, draft, client_for
):
    """Coop B's preview of the same module: no note of A's, and B rents homes."""
    response = client_for(users["federation"]).get(preview_url(other_coop, draft))

    assert response.status_code == 200
    page = response.content.decode()
    assert NOTE_A not in page
    assert 'class="coop-note"' not in page
    assert "example--elsewhere" not in page
    assert "Votre loyer finance" in page
    assert response.context["item"].highlighted is False


def test_the_preview_shows_the_does_not_concern_notice(coop, other_coop, users, client_for):
    """A rental module does not concern coop A (notice with its contact), but does concern B."""
    rental = make_module(concerns=["gestion_locative"], status=PublicationStatus.DRAFT)
    client = client_for(users["federation"])

    seen_by_a = client.get(preview_url(coop, rental))
    seen_by_b = client.get(preview_url(other_coop, rental))

    assert seen_by_a.context["item"].status == ModuleStatus.NOT_APPLICABLE
    assert seen_by_a.context["reason"] == {"lacking": ["gestion_locative"], "coop_choice": False}
    assert "notice--elsewhere" in seen_by_a.content.decode()
    assert coop.contact_email in seen_by_a.content.decode()
    assert seen_by_b.context["item"].status == ModuleStatus.RECOMMENDED
    assert "notice--elsewhere" not in seen_by_b.content.decode()


def test_the_preview_shows_a_status_chosen_by_the_coop(coop, users, client_for):
    """A coop that set a module aside: the preview says so, as the members would see it."""
    module = make_module()
    adapt(coop, module, actor=users["editor"], status=ModuleStatus.NOT_APPLICABLE)

    response = client_for(users["federation"]).get(preview_url(coop, module))

    assert response.context["item"].status == ModuleStatus.NOT_APPLICABLE
    assert response.context["reason"] == {"lacking": [], "coop_choice": True}


def test_the_index_lists_drafts_and_coops_and_opens_a_preview(
    coop, other_coop, users, draft, client_for
):
    client = client_for(users["federation"])
    index = reverse("learning_preview:index")

    response = client.get(index)

    assert response.status_code == 200
    page = response.content.decode()
    assert escape(draft.title) in page
    assert coop.name in page and other_coop.name in page
    chosen = client.get(index, {"module": draft.slug, "coop": other_coop.slug})
    assert chosen.status_code == 302
    assert chosen["Location"] == preview_url(other_coop, draft)
    assert client.get(index, {"module": draft.slug, "coop": "inconnue"}).status_code == 200


@pytest.mark.parametrize("actor", ["admin", "editor", "animateur", "member", "other_admin", None])
def test_the_preview_is_for_the_federation_team_only(actor, coop, users, draft, client_for):
    """Coop staff (even of this coop), members and visitors get 404, as for a missing page."""
    client = client_for(users.get(actor))

    assert client.get(reverse("learning_preview:index")).status_code == 404
    assert client.get(preview_url(coop, draft)).status_code == 404


def test_unknown_modules_and_coops_are_not_found(coop, users, draft, client_for):
    client = client_for(users["federation"])
    unknown_module = reverse(
        "learning_preview:module", kwargs={"coop_slug": coop.slug, "module_slug": "inconnu"}
    )
    unknown_coop = reverse(
        "learning_preview:module", kwargs={"coop_slug": "inconnue", "module_slug": draft.slug}
    )

    assert client.get(unknown_module).status_code == 404
    assert client.get(unknown_coop).status_code == 404


def test_the_preview_is_in_the_federation_space():
    """Not under a coop's member pages or back office."""
    path = reverse("learning_preview:module", kwargs={"coop_slug": "x", "module_slug": "y"})
    assert path.startswith("/federation/parcours/apercu/")
