"""The coop's adaptation of the learning path (/gestion/<coop>/parcours/): each coop's
statuses, highlights and notes stay its own, and the federation's content is untouched."""

import pytest
from django_scopes import scopes_disabled

from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from coopculture.coops.models import Activity as CoopActivity
from coopculture.coops.models import AuditEvent
from coopculture.coops.scoping import coop_scope
from coopculture.learning.models import CoopModuleSetting, Module, ModuleStatus, PublicationStatus
from coopculture.learning.selectors import access_coop_module, coop_module_list
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db

NOTE = "nous organisons un atelier sur ce module chaque premier mardi du mois."


def modules_url(coop) -> str:
    return reverse("learning_staff:modules", kwargs={"coop_slug": coop.slug})


def module_url(coop, module) -> str:
    return reverse(
        "learning_staff:module", kwargs={"coop_slug": coop.slug, "module_slug": module.slug}
    )


def adapt(client, coop, module, **fields):
    data = {"status": "", "highlight_position": "0", "note": ""}
    data.update(fields)
    return client.post(module_url(coop, module), data)


def row_for(response, module):
    return next(row for row in response.context["rows"] if row["item"].module == module)


def settings_of(coop):
    with scopes_disabled():
        return list(CoopModuleSetting.objects.filter(coop=coop))


def adapted_events(coop):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(coop=coop, action="learning.module_adapted"))


def test_the_default_status_follows_the_coops_activities(coop, other_coop, users, client_for):
    """A rental module does not concern coop A (sales only) and is recommended for coop B,
    which rents homes; the table says which activity decided it."""
    rental = make_module(concerns=["gestion_locative"], title="Bien vivre chez soi")

    row_a = row_for(client_for(users["editor"]).get(modules_url(coop)), rental)
    row_b = row_for(client_for(users["other_admin"]).get(modules_url(other_coop)), rental)

    assert row_a["item"].default_status == ModuleStatus.NOT_APPLICABLE
    assert row_b["item"].default_status == ModuleStatus.RECOMMENDED
    with translation.override("fr"):
        rental_label = str(CoopActivity.GESTION_LOCATIVE.label)
    assert rental_label in row_a["reason"]
    assert rental_label in row_b["reason"]
    assert row_a["chosen_label"] == row_b["chosen_label"] == ""


def test_the_table_lists_published_modules_in_the_members_order(coop, users, client_for):
    """Drafts are not listed; highlighted modules come first, then by status."""
    first = make_module(title="Ma coop")
    make_module(concerns=["gestion_locative"], title="Locataire")
    sales = make_module(concerns=["accession_vefa"], title="Devenir propriétaire")
    make_module(title="Brouillon", status=PublicationStatus.DRAFT)
    client = client_for(users["editor"])
    adapt(client, coop, sales, highlighted="on", highlight_position="1")

    response = client.get(modules_url(coop))

    assert response.status_code == 200
    titles = [row["item"].module.title for row in response.context["rows"]]
    assert titles == ["Devenir propriétaire", "Ma coop", "Locataire"]
    assert first.title in response.content.decode()
    assert "Brouillon" not in response.content.decode()


def test_an_editor_adapts_a_module_for_their_coop_only(coop, other_coop, users, client_for):
    """Status, highlight and note are written for coop A; coop B sees the module as before."""
    module = make_module(title="Vivre en copropriété")
    client = client_for(users["editor"])

    response = adapt(
        client,
        coop,
        module,
        status=ModuleStatus.OPTIONAL,
        highlighted="on",
        highlight_position="2",
        note=NOTE,
    )

    assert response.status_code == 302
    assert response["Location"] == modules_url(coop)
    [setting] = settings_of(coop)
    assert (setting.module, setting.status, setting.highlighted) == (
        module,
        ModuleStatus.OPTIONAL,
        True,
    )
    assert (setting.highlight_position, setting.note) == (2, NOTE)
    assert settings_of(other_coop) == []

    with coop_scope(other_coop):
        seen_by_b = access_coop_module(coop=other_coop, slug=module.slug)
    assert seen_by_b.status == seen_by_b.default_status == ModuleStatus.RECOMMENDED
    assert (seen_by_b.highlighted, seen_by_b.note, seen_by_b.setting) == (False, "", None)
    page_b = client_for(users["other_admin"]).get(modules_url(other_coop))
    assert NOTE not in page_b.content.decode()
    assert row_for(page_b, module)["chosen_label"] == ""

    with coop_scope(coop):
        [seen_by_a] = coop_module_list(coop=coop)
    assert (seen_by_a.status, seen_by_a.note) == (ModuleStatus.OPTIONAL, NOTE)

    # The federation's content is not copied or changed.
    assert Module.objects.count() == 1
    module.refresh_from_db()
    assert (module.title, module.status) == ("Vivre en copropriété", PublicationStatus.PUBLISHED)


def test_adapting_a_module_is_written_in_the_coops_activity_log(
    coop, other_coop, users, client_for
):
    """The audit event belongs to coop A, names the editor, and reads in the log."""
    module = make_module(title="Ma coop, c'est quoi ?")
    adapt(client_for(users["editor"]), coop, module, status=ModuleStatus.OPTIONAL, note=NOTE)

    [event] = adapted_events(coop)
    assert event.actor == users["editor"]
    assert event.data["module"] == module.title
    assert event.data["status"] == ModuleStatus.OPTIONAL
    assert adapted_events(other_coop) == []

    log = client_for(users["admin"]).get(reverse("staff:audit", kwargs={"coop_slug": coop.slug}))
    assert escape(module.title) in log.content.decode()


def test_a_note_over_800_characters_is_refused_and_changes_nothing(coop, users, client_for):
    """801 characters: a French error on the form, no setting, no audit event."""
    module = make_module()
    client = client_for(users["editor"])

    response = adapt(client, coop, module, highlighted="on", note="a" * 801)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Assurez-vous que cette valeur comporte au plus 800 caractères" in page
    assert 'aria-invalid="true"' in page
    assert settings_of(coop) == []
    assert adapted_events(coop) == []


def test_a_refused_note_keeps_the_previous_choices(coop, users, client_for):
    """An invalid form leaves the coop's earlier choices exactly as they were."""
    module = make_module()
    client = client_for(users["editor"])
    adapt(client, coop, module, status=ModuleStatus.OPTIONAL, note=NOTE)

    response = adapt(client, coop, module, status=ModuleStatus.RECOMMENDED, note="b" * 801)

    assert response.status_code == 200
    [setting] = settings_of(coop)
    assert (setting.status, setting.note) == (ModuleStatus.OPTIONAL, NOTE)
    assert len(adapted_events(coop)) == 1


def test_line_breaks_count_as_one_character(coop, users, client_for):
    """The browser counts a line break as one character: 800 with CRLF breaks is accepted."""
    module = make_module()
    note = "a" * 399 + "\r\n" + "b" * 400  # 801 characters sent, 800 typed

    response = adapt(client_for(users["editor"]), coop, module, note=note)

    assert response.status_code == 302
    [setting] = settings_of(coop)
    assert setting.note == "a" * 399 + "\n" + "b" * 400


def test_back_to_the_default_status_and_unknown_statuses(coop, users, client_for):
    """ "Default" clears the override; a status that is not offered is refused."""
    module = make_module()
    client = client_for(users["editor"])
    adapt(client, coop, module, status=ModuleStatus.NOT_APPLICABLE)

    refused = adapt(client, coop, module, status="mandatory")
    assert refused.status_code == 200
    assert refused.context["form"].has_error("status")
    assert settings_of(coop)[0].status == ModuleStatus.NOT_APPLICABLE

    assert adapt(client, coop, module, status="").status_code == 302
    [setting] = settings_of(coop)
    assert setting.status == ""
    row = row_for(client.get(modules_url(coop)), module)
    assert row["item"].status == ModuleStatus.RECOMMENDED
    assert row["chosen_label"] == ""


def test_the_form_shows_the_default_and_the_coops_current_choices(coop, users, client_for):
    """The first radio button names the default status; saved choices fill the form."""
    module = make_module(concerns=["gestion_locative"])
    client = client_for(users["admin"])
    adapt(client, coop, module, status=ModuleStatus.OPTIONAL, note=NOTE)

    response = client.get(module_url(coop, module))

    form = response.context["form"]
    default_choice = form.fields["status"].choices[0]
    assert default_choice[0] == ""
    with translation.override("fr"):
        assert str(ModuleStatus.NOT_APPLICABLE.label) in str(default_choice[1])
        assert coop.name in str(form.fields["note"].help_text)
    assert form.initial["status"] == ModuleStatus.OPTIONAL
    assert NOTE in response.content.decode()
    assert 'maxlength="800"' in response.content.decode()


def test_another_coops_staff_gets_404_and_changes_nothing(coop, users, client_for):
    """Coop B's administrator cannot read or write coop A's adaptation."""
    module = make_module()
    client = client_for(users["other_admin"])

    assert client.get(modules_url(coop)).status_code == 404
    assert client.get(module_url(coop, module)).status_code == 404
    response = adapt(client, coop, module, status=ModuleStatus.OPTIONAL, note=NOTE)

    assert response.status_code == 404
    assert settings_of(coop) == []


def test_an_animateur_may_not_adapt_the_path(coop, users, client_for):
    """Animateurs run sessions; adapting the path is for editors and administrators."""
    module = make_module()

    response = adapt(client_for(users["animateur"]), coop, module, note=NOTE)

    assert response.status_code == 403
    assert settings_of(coop) == []


def test_drafts_and_unknown_modules_are_not_found(coop, users, client_for):
    client = client_for(users["editor"])
    draft = make_module(status=PublicationStatus.DRAFT)

    assert client.get(module_url(coop, draft)).status_code == 404
    unknown = reverse(
        "learning_staff:module", kwargs={"coop_slug": coop.slug, "module_slug": "nope"}
    )
    assert client.get(unknown).status_code == 404


def test_the_back_office_links_to_the_path_for_those_who_may_adapt_it(coop, users, client_for):
    """The menu and the dashboard card lead editors there; animateurs do not see the link."""
    dashboard = reverse("staff:dashboard", kwargs={"coop_slug": coop.slug})
    link = f'href="{modules_url(coop)}"'

    assert client_for(users["editor"]).get(dashboard).content.decode().count(link) == 2
    assert link not in client_for(users["animateur"]).get(dashboard).content.decode()
