"""Leaflets and attendance certificates: real PDFs, earned per coop, names never stored."""

import io
import re
import uuid

import pytest
from django_scopes import scopes_disabled
from pypdf import PdfReader

from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.urls import reverse

from coopculture.coops.demo import make_logo
from coopculture.coops.scoping import coop_scope
from coopculture.learning import services
from coopculture.learning.models import Activity, EventKind, LearningEvent, PublicationStatus
from tests.conftest import make_coop, make_user
from tests.core.test_pdf import (  # noqa: F401 (no_network: a fixture used by name)
    assert_accessible_pdf,
    no_network,
    rasterise,
    text_of,
)
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db

LEAFLET = {
    "intro": "Dans une copropriété, **chacun** a son rôle.",
    "sections": [
        {"title": "Le syndic", "body": "Il gère l'immeuble au quotidien."},
        {
            "title": "Le conseil syndical",
            "body": (
                "Il aide le syndic et contrôle sa gestion.\n\n"
                "::: exemple gestion_locative\n"
                "Votre loyer finance l'entretien de la résidence.\n"
                ":::\n"
            ),
        },
    ],
}


@pytest.fixture
def branded_coop(coop):
    """Coop A with a phone, an address and a logo."""
    with scopes_disabled():
        coop.contact_phone = "01 99 00 12 34"
        coop.postal_address = "12 quai des Salines\n99100 Port-Salicorne"
        coop.main_colour = "#0f5f7a"
        coop.logo.save("logo.png", ContentFile(make_logo("CA", "#0f5f7a")), save=False)
        coop.save()
    return coop


@pytest.fixture
def module():
    module = make_module(
        kinds=("text", "quiz", "leaflet"),
        title="Vivre en copropriété : qui fait quoi ?",
        slug="vivre-en-copropriete",
        duration_minutes=25,
    )
    Activity.objects.filter(module=module, kind="leaflet").update(
        title="Les mots de la copro expliqués simplement", content=LEAFLET
    )
    return module


def leaflet_url(coop, module, position=3):
    return reverse(
        "learning_documents:leaflet",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug, "position": position},
    )


def certificate_url(coop, module=None):
    if module is None:
        return reverse("learning_documents:certificate-parcours", kwargs={"coop_slug": coop.slug})
    return reverse(
        "learning_documents:certificate-module",
        kwargs={"coop_slug": coop.slug, "module_slug": module.slug},
    )


def learner_client(client_for, learner_key=None):
    """A browser with a learner key in its session, as the member pages give it."""
    client = client_for()
    session = client.session
    session["learner_key"] = str(learner_key or uuid.uuid4())
    session.save()
    return client


def key_of(client) -> uuid.UUID:
    return uuid.UUID(client.session["learner_key"])


def complete(coop, module, learner_key, user=None) -> None:
    """Do every required activity of `module` in `coop`'s space."""
    with coop_scope(coop):
        for activity in module.steps.order_by("position"):
            services.learning_record_activity(
                coop=coop,
                learner_key=learner_key,
                user=user,
                activity=activity,
                score=100 if activity.kind == "quiz" else None,
                passed=True if activity.kind == "quiz" else None,
            )


def row_counts() -> dict:
    with scopes_disabled():
        return {model._meta.label: model.objects.count() for model in apps.get_models()}


# --- Leaflet ------------------------------------------------------------------------------


def test_the_leaflet_is_an_accessible_pdf_with_the_coops_brand(
    branded_coop, module, client, tmp_path
):
    """Title, module, intro, sections, the coop's name, phone, email and address, tagged."""
    response = client.get(leaflet_url(branded_coop, module))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="plaquette-vivre-en-copropriete.pdf"'
    )
    pdf = response.content
    reader = assert_accessible_pdf(pdf, title="Les mots de la copro expliqués simplement")
    text = text_of(pdf)
    for expected in (
        "Les mots de la copro expliqués simplement",
        "Vivre en copropriété : qui fait quoi ?",
        "Dans une copropriété, chacun a son rôle.",
        "Le conseil syndical",
        "Il aide le syndic et contrôle sa gestion.",
        "Coop A",
        "01 99 00 12 34",
        "contact@coop-a.example.org",
        "99100 Port-Salicorne",
        "Culture Coop'",
        f"/c/{branded_coop.slug}/parcours/",
    ):
        assert expected in text, expected
    images = [image for page in reader.pages for image in page.images]
    assert images, "the coop's logo is missing"
    rasterise(pdf, tmp_path)


def test_examples_keep_their_notice_in_the_leaflet(branded_coop, other_coop, module, client_for):
    """An example about rental management is flagged for a coop that does not rent, not
    for one that does."""
    text_a = text_of(client_for().get(leaflet_url(branded_coop, module)).content)
    text_b = text_of(client_for().get(leaflet_url(other_coop, module)).content)
    assert "Votre loyer finance l'entretien de la résidence." in text_a
    assert "Votre loyer finance l'entretien de la résidence." in text_b
    notice = re.compile(r"(ne concerne pas|does not concern) Coop A")
    assert notice.search(text_a)
    assert not re.search(r"(ne concerne pas|does not concern) Coop B", text_b)
    assert "Coop B" in text_b and "Coop A" not in text_b


@pytest.mark.parametrize("position", [1, 2, 9])
def test_only_a_leaflet_activity_has_a_leaflet(coop, module, client, position):
    """The text (1), the quiz (2) or a missing position (9) answers 404."""
    assert client.get(leaflet_url(coop, module, position)).status_code == 404


def test_draft_and_unknown_modules_have_no_leaflet(coop, module, client):
    """A module that is not published answers 404, like one that does not exist."""
    module.status = PublicationStatus.DRAFT
    module.save()
    assert client.get(leaflet_url(coop, module)).status_code == 404
    missing = reverse(
        "learning_documents:leaflet",
        kwargs={"coop_slug": coop.slug, "module_slug": "nexiste-pas", "position": 3},
    )
    assert client.get(missing).status_code == 404


def test_a_coop_without_contact_or_logo_still_gets_a_leaflet(db, module, client):
    """Nothing optional is required: no phone, no address, no logo."""
    bare = make_coop("coop-nue", name="Coop Nue", contact_email="")
    response = client.get(leaflet_url(bare, module))
    assert response.status_code == 200
    assert "Coop Nue" in text_of(response.content)


def test_the_leaflet_answers_only_get(coop, module, client):
    assert client.post(leaflet_url(coop, module)).status_code == 405


def test_the_leaflet_prints_the_sites_address_not_the_one_it_was_downloaded_from(
    coop, module, client, settings
):
    """A leaflet printed from a page opened at http://localhost (the demo on 0.0.0.0, a
    proxy passing its own Host) still sends its readers to SITE_URL."""
    settings.SITE_URL = "https://culture-coop.example.org"

    text = text_of(client.get(leaflet_url(coop, module), HTTP_HOST="localhost").content)

    assert "culture-coop.example.org/c/coop-a/parcours/" in text
    assert "localhost" not in text


# --- Module certificate -------------------------------------------------------------------


def test_a_learner_who_has_not_finished_gets_an_explanation_not_a_pdf(coop, module, client_for):
    """The page says what is left to do, offers no form, and a POST prints nothing."""
    client = learner_client(client_for)
    with coop_scope(coop):
        first = module.steps.get(position=1)
        services.learning_record_activity(
            coop=coop, learner_key=key_of(client), user=None, activity=first
        )
    url = certificate_url(coop, module)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'method="post"' not in page
    assert 'name="name"' not in page
    assert "quiz 2" in page and "Les mots de la copro" in page  # what is left to do
    assert "text 1" not in page  # already done
    response = client.post(url, {"name": "Léa Moreau"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_a_visitor_without_any_progress_gets_the_explanation(coop, module, client):
    """No session at all: same page, nothing created."""
    before = row_counts()
    response = client.get(certificate_url(coop, module))
    assert response.status_code == 200
    assert 'name="name"' not in response.content.decode()
    assert row_counts() == before


def test_a_learner_who_finished_gets_the_certificate_with_the_name_typed(
    branded_coop, module, client_for, tmp_path
):
    """GET shows the form; POST returns the PDF with the name, module, coop and date."""
    client = learner_client(client_for)
    complete(branded_coop, module, key_of(client))
    url = certificate_url(branded_coop, module)
    page = client.get(url).content.decode()
    assert 'name="name"' in page and 'autocomplete="name"' in page
    response = client.post(url, {"name": "  Léa   Moreau  "})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="attestation-vivre-en-copropriete.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    pdf = response.content
    with scopes_disabled():
        completed_at = LearningEvent.objects.get(
            kind=EventKind.MODULE_COMPLETED, module=module
        ).created_at
    title = text_of_title(pdf)
    assert "Vivre en copropriété : qui fait quoi ?" in title
    assert_accessible_pdf(pdf, title=title)
    text = text_of(pdf)
    assert "Léa Moreau" in text
    assert "Vivre en copropriété : qui fait quoi ?" in text
    assert "Coop A" in text
    assert "Culture Coop'" in text
    assert str(completed_at.astimezone().year) in text
    assert re.search(r"(pas un diplôme|not a diploma)", text)
    rasterise(pdf, tmp_path)


def text_of_title(pdf: bytes) -> str:
    return PdfReader(io.BytesIO(pdf)).metadata.title


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "Type the name"), ("   ", "Type the name"), ("x" * 81, "80"), ("Léa\x07", "printed")],
)
def test_the_name_is_checked_with_the_error_summary(coop, module, client_for, name, message):
    """Empty, blank, too long or with control characters: the form again, errors listed."""
    client = learner_client(client_for)
    complete(coop, module, key_of(client))
    response = client.post(certificate_url(coop, module), {"name": name})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert 'aria-invalid="true"' in page
    assert 'href="#id_name"' in page


def test_an_80_character_name_is_accepted(coop, module, client_for):
    client = learner_client(client_for)
    complete(coop, module, key_of(client))
    name = "Marie-Bernadette " + "de la Tour-" * 5 + "Dupont-Aignan Lefebvre-Desn"
    name = name[:80]
    assert len(name) == 80
    response = client.post(certificate_url(coop, module), {"name": name})
    assert response["Content-Type"] == "application/pdf"
    assert name.split()[0] in text_of(response.content)


def test_markup_in_the_name_is_printed_as_text(coop, module, client_for, no_network):  # noqa: F811
    """The name goes through HTML escaping: no tag, no image fetched, printed as typed."""
    client = learner_client(client_for)
    complete(coop, module, key_of(client))
    name = '<img src="https://example.org/x.png" alt="x"><b>Léa</b>'
    response = client.post(certificate_url(coop, module), {"name": name})
    assert response["Content-Type"] == "application/pdf"
    assert "<b>Léa</b>" in text_of(response.content)
    assert no_network == []


def test_the_name_is_never_stored(coop, module, client_for):
    """Printing a certificate creates no row and leaves no trace of the name."""
    client = learner_client(client_for)
    complete(coop, module, key_of(client))
    before = row_counts()
    response = client.post(certificate_url(coop, module), {"name": "Zébulon Introuvable"})
    assert response["Content-Type"] == "application/pdf"
    assert row_counts() == before
    for session in Session.objects.all():
        assert "Zébulon" not in str(session.get_decoded())
    with scopes_disabled():
        for model in apps.get_models():
            for field in model._meta.get_fields():
                if getattr(field, "get_internal_type", lambda: "")() in {"CharField", "TextField"}:
                    lookup = {f"{field.name}__contains": "Zébulon"}
                    assert not model.objects.filter(**lookup).exists(), model


def test_progress_counts_only_in_the_coop_where_it_was_made(coop, other_coop, module, client_for):
    """The same module through another coop's URL gives no certificate, and back."""
    client = learner_client(client_for)
    complete(coop, module, key_of(client))
    other_page = client.get(certificate_url(other_coop, module))
    assert other_page.status_code == 200
    assert 'name="name"' not in other_page.content.decode()
    posted = client.post(certificate_url(other_coop, module), {"name": "Léa"})
    assert posted["Content-Type"].startswith("text/html")

    second = learner_client(client_for)
    complete(other_coop, module, key_of(second))
    assert 'name="name"' not in second.get(certificate_url(coop, module)).content.decode()
    pdf = second.post(certificate_url(other_coop, module), {"name": "Karim"}).content
    text = text_of(pdf)
    assert "Coop B" in text and "Coop A" not in text


def test_a_signed_in_member_finds_progress_made_under_another_session(coop, module, client_for):
    """Progress recorded for the account counts, whatever this browser's learner key."""
    member = make_user("lea@example.org", password=None)
    complete(coop, module, uuid.uuid4(), user=member)
    client = client_for(member)
    response = client.post(certificate_url(coop, module), {"name": "Léa Moreau"})
    assert response["Content-Type"] == "application/pdf"


# --- Whole learning path ------------------------------------------------------------------


@pytest.fixture
def parcours(module):
    """Coop A (accession, PSLA) needs `module` and `second`; `syndic_only` does not concern it."""
    second = make_module(kinds=("text", "quiz"), title="Ma coop, c'est quoi ?", duration_minutes=15)
    syndic_only = make_module(
        kinds=("text",), title="Le métier de syndic", concerns=["syndic"], duration_minutes=5
    )
    make_module(kinds=("text",), title="Brouillon", status=PublicationStatus.DRAFT)
    return module, second, syndic_only


def test_the_parcours_certificate_lists_what_is_missing(coop, parcours, client_for):
    """Half done: the page lists the module left, not the one that does not concern the coop."""
    module, _second, _syndic_only = parcours
    client = learner_client(client_for)
    complete(coop, module, key_of(client))
    response = client.get(certificate_url(coop))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Ma coop, c&#x27;est quoi ?" in page or "Ma coop, c'est quoi ?" in page
    assert "Le métier de syndic" not in page
    assert "Brouillon" not in page
    assert 'name="name"' not in page
    assert client.post(certificate_url(coop), {"name": "Léa"})["Content-Type"].startswith(
        "text/html"
    )


def test_the_parcours_certificate_lists_the_modules_with_durations(
    branded_coop, parcours, client_for, tmp_path
):
    """Every module that concerns the coop done: the PDF lists them with their durations."""
    module, second, _syndic_only = parcours
    client = learner_client(client_for)
    complete(branded_coop, module, key_of(client))
    complete(branded_coop, second, key_of(client))
    assert 'name="name"' in client.get(certificate_url(branded_coop)).content.decode()
    response = client.post(certificate_url(branded_coop), {"name": "Léa Moreau"})
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="attestation-')
    pdf = response.content
    assert_accessible_pdf(pdf, title=text_of_title(pdf))
    text = text_of(pdf)
    for expected in ("Léa Moreau", "Vivre en copropriété", "Ma coop, c'est quoi ?", "Coop A"):
        assert expected in text, expected
    assert "25 minutes" in text and "15 minutes" in text and "40 minutes" in text
    assert "Le métier de syndic" not in text
    rasterise(pdf, tmp_path)


def test_no_parcours_certificate_without_any_module(coop, client_for):
    """An empty learning path explains itself instead of printing an empty certificate."""
    client = learner_client(client_for)
    response = client.post(certificate_url(coop), {"name": "Léa"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# --- Leaflet cache --------------------------------------------------------------------------


@pytest.fixture
def renders(monkeypatch):
    """Counts the real leaflet renders (WeasyPrint still runs: the PDFs are real)."""
    from coopculture.learning import leaflets

    calls = []
    real = leaflets.render_pdf

    def counting(*args, **kwargs):
        calls.append(kwargs.get("title"))
        return real(*args, **kwargs)

    monkeypatch.setattr(leaflets, "render_pdf", counting)
    return calls


def test_an_unchanged_leaflet_is_rendered_once_then_served_from_the_cache(
    branded_coop, other_coop, module, client, renders
):
    first = client.get(leaflet_url(branded_coop, module))
    second = client.get(leaflet_url(branded_coop, module))
    assert first.status_code == second.status_code == 200
    assert second["Content-Type"] == "application/pdf"
    assert len(renders) == 1
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    # Another coop's copy carries its own brand: its own render.
    other = client.get(leaflet_url(other_coop, module))
    assert len(renders) == 2
    assert "Coop B" in text_of(other.content) and "Coop A" not in text_of(other.content)


def test_a_change_of_the_leaflet_or_of_the_coops_branding_makes_a_new_pdf(
    branded_coop, module, client, renders
):
    client.get(leaflet_url(branded_coop, module))
    Activity.objects.filter(module=module, kind="leaflet").update(
        content={**LEAFLET, "intro": "Un texte revu par la fédération."}
    )
    revised = client.get(leaflet_url(branded_coop, module))
    assert len(renders) == 2
    assert "Un texte revu par la fédération." in text_of(revised.content)

    with scopes_disabled():
        branded_coop.contact_phone = "01 99 00 56 78"
        branded_coop.save()
    rebranded = client.get(leaflet_url(branded_coop, module))
    assert len(renders) == 3
    assert "01 99 00 56 78" in text_of(rebranded.content)
    client.get(leaflet_url(branded_coop, module))
    assert len(renders) == 3
