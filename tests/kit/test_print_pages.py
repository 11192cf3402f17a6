"""The print kit's staff pages: each piece with its preview and PDF, the texts form and its
limits."""

import io

import pytest
from django_scopes import scopes_disabled
from PIL import Image

from django.urls import reverse

from coopculture.kit import printing, thumbnails
from coopculture.kit.models import KitSettings
from tests.kit.print_helpers import make_modules, page_count, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def modules(db):
    return make_modules()


def url(name, coop, **kwargs):
    return reverse(f"kit_print:{name}", kwargs={"coop_slug": coop.slug, **kwargs})


def test_the_kit_page_shows_each_piece_with_its_preview_and_download(
    coop, users, modules, client_for, django_capture_on_commit_callbacks
):
    client = client_for(users["animateur"])
    with django_capture_on_commit_callbacks(execute=True):  # the worker makes the previews
        client.get(url("index", coop))
    page = client.get(url("index", coop)).content.decode()
    with scopes_disabled():
        pieces = printing.kit_pieces(coop=coop)
    for piece in pieces:
        assert url("piece-preview", coop, piece_key=piece.key) in page
        assert url("piece-pdf", coop, piece_key=piece.key) in page
    # Animateurs download; they do not edit the texts.
    assert url("texts", coop) not in page
    assert (
        url("texts", coop) in client_for(users["editor"]).get(url("index", coop)).content.decode()
    )
    # Size guidance beside each piece (the A3 poster is read from 1 m: 10 cm).
    assert "10 cm" in page


def test_a_piece_downloads_as_its_pdf(coop, users, modules, client_for):
    response = client_for(users["animateur"]).get(url("piece-pdf", coop, piece_key="flyer"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="flyer-a5-{coop.slug}.pdf"' in response["Content-Disposition"]
    assert page_count(response.content) == 2
    assert coop.name in pdf_text(response.content)
    assert (
        client_for(users["admin"]).get(url("piece-pdf", coop, piece_key="nope")).status_code == 404
    )


def test_previews_are_pngs_of_the_first_page_rendered_once(
    coop, users, modules, client_for, renders, django_capture_on_commit_callbacks
):
    client = client_for(users["editor"])
    response = client.get(url("piece-preview", coop, piece_key="poster-a4"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.width == thumbnails.WIDTH_PX
        assert abs(image.height / image.width - 297 / 210) < 0.01  # A4 proportions
        # The poster's band is the coop's colour: the preview is not blank.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or range(11)) > 10
    client.get(url("piece-preview", coop, piece_key="poster-a4"))
    assert renders == ["poster-a4"]  # the second preview came from storage
    # New texts: the worker (immediate backend here) renders every piece once, the preview
    # is then read from storage.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("texts", coop), {"tagline": "Nouveau slogan", "message": "", "welcome_text": ""}
        )
    with scopes_disabled():
        keys = [piece.key for piece in printing.kit_pieces(coop=coop)]
    assert sorted(renders) == sorted(["poster-a4", *keys])
    client.get(url("piece-preview", coop, piece_key="poster-a4"))
    client.get(url("index", coop))
    assert sorted(renders) == sorted(["poster-a4", *keys])


def test_the_texts_form_shows_its_limits_and_saves(coop, users, modules, client_for):
    client = client_for(users["editor"])
    page = client.get(url("texts", coop)).content.decode()
    assert f'maxlength="{KitSettings.TAGLINE_MAX}"' in page
    assert f'maxlength="{KitSettings.MESSAGE_MAX}"' in page
    assert f'maxlength="{KitSettings.WELCOME_MAX}"' in page
    for limit in (KitSettings.TAGLINE_MAX, KitSettings.MESSAGE_MAX, KitSettings.WELCOME_MAX):
        assert f"{limit} " in page  # "At most 90 characters", in the help text
    response = client.post(
        url("texts", coop),
        {
            "tagline": "  Votre coop en vidéos  ",
            "message": "Un parcours pour tous.",
            "welcome_text": "Bienvenue !",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        texts = KitSettings.objects.get(coop=coop)
    assert (texts.tagline, texts.updated_by) == ("Votre coop en vidéos", users["editor"])
    flyer = client.get(url("piece-pdf", coop, piece_key="flyer")).content
    assert "Votre coop en vidéos" in pdf_text(flyer)


def test_texts_over_their_limit_are_refused(coop, users, modules, client_for):
    client = client_for(users["admin"])
    response = client.post(
        url("texts", coop),
        {"tagline": "x" * (KitSettings.TAGLINE_MAX + 1), "message": "", "welcome_text": ""},
    )
    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    with scopes_disabled():
        assert not KitSettings.objects.filter(coop=coop).exists()


def test_the_kit_pages_keep_a_fixed_number_of_queries(
    coop, other_coop, users, modules, client_for, django_assert_max_num_queries
):
    from coopculture.kit.models import BuildStatus, KitBatch, KitBuild

    with scopes_disabled():
        for n in range(30):
            batch = KitBatch.objects.create()
            for c in (coop, other_coop):
                KitBuild.objects.create(
                    coop=c, batch=batch, status=BuildStatus.DONE, pieces_done=n, pieces_total=n
                )
    client = client_for(users["admin"])
    client.get(url("index", coop))  # first request: session, caches
    with django_assert_max_num_queries(10):
        assert client.get(url("index", coop)).status_code == 200
    federation = client_for(users["federation"])
    federation.get(reverse("kit_federation:batches"))
    with django_assert_max_num_queries(10):
        page = federation.get(reverse("kit_federation:batches"))
    assert page.status_code == 200
    assert page.content.decode().count("2/2") == 10  # the last 10 batches, each complete
