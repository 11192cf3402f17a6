"""A coop's landing page /c/<coop>/: its modules, how to take part, its contact, the
sharing metadata and picture; fast and light."""

import io
import re
from html import unescape

import pytest
from django_scopes import scopes_disabled
from PIL import Image

from django.test import Client
from django.urls import reverse

from coopculture.kit import share_image
from coopculture.learning.models import CoopModuleSetting
from tests.conftest import make_coop
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db


def landing_url(coop) -> str:
    return reverse("kit_public:landing", kwargs={"coop_slug": coop.slug})


def meta(html: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)
    assert match, f"no {key} meta"
    return unescape(match.group(1))


@pytest.fixture
def path(coop, other_coop):
    """Four modules: one every coop gets, one for VEFA (coop A), one for syndics (coop B,
    not coop A), and one coop A highlights although it is optional for it."""
    general = make_module(title="Qui décide dans la coop ?", position=1)
    vefa = make_module(title="Acheter en VEFA", concerns=["accession_vefa"], position=2)
    syndic = make_module(title="Le syndic de copropriété", concerns=["syndic"], position=3)
    optional = make_module(
        title="L'habitat participatif",
        concerns=["accession_vefa", "habitat_participatif"],
        recommended_for=["habitat_participatif"],
        position=4,
    )
    with scopes_disabled():
        CoopModuleSetting.objects.create(
            coop=coop,
            module=optional,
            highlighted=True,
            highlight_position=1,
            note="Chez nous, à Lorient.",
        )
        CoopModuleSetting.objects.create(
            coop=other_coop,
            module=general,
            highlighted=True,
            highlight_position=1,
            note="Note de B",
        )
    return {"general": general, "vefa": vefa, "syndic": syndic, "optional": optional}


def test_the_landing_page_shows_the_coops_modules_highlighted_first(client, coop, path):
    response = client.get(landing_url(coop))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    section = html[html.index('id="modules"') : html.index('id="take-part"')]
    titles = re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', section)
    assert titles == ["L'habitat participatif", "Qui décide dans la coop ?", "Acheter en VEFA"]
    assert "Choisi par Coop A" in section
    assert "Chez nous, à Lorient." in section
    assert "Le syndic de copropriété" not in html  # does not concern coop A
    assert "Note de B" not in html
    assert f'href="/c/coop-a/parcours/{path["vefa"].slug}/"' in section
    assert "3 modules" in html


def test_another_coop_sees_its_own_selection(client, other_coop, path):
    html = unescape(client.get(landing_url(other_coop)).content.decode())
    section = html[html.index('id="modules"') : html.index('id="take-part"')]
    titles = re.findall(r'<h3><a href="[^"]+">([^<]+)</a></h3>', section)
    assert titles == ["Qui décide dans la coop ?", "Le syndic de copropriété"]
    assert "Note de B" in section
    assert "Acheter en VEFA" not in html


def test_why_it_matters_follows_the_coops_activities(client, coop, other_coop, path):
    a = unescape(client.get(landing_url(coop)).content.decode())
    b = unescape(client.get(landing_url(other_coop)).content.decode())
    assert "(accédant)" in a and "(locataire)" not in a and "(copropriétaire)" not in a
    assert "(locataire)" in b and "(copropriétaire)" in b and "(accédant)" not in b


def test_how_to_take_part_online_now_and_sessions_marked_as_coming(client, coop, path):
    html = unescape(client.get(landing_url(coop)).content.decode())
    section = html[html.index('id="take-part"') : html.index('id="contact"')]
    assert "En ligne, dès maintenant" in section
    assert 'href="/c/coop-a/parcours/"' in section
    assert section.count("Bientôt") == 2
    # Sessions and phone have no link yet: no dead link.
    cards = section.split("card--empty")[1:]
    assert len(cards) == 2 and all("href=" not in card for card in cards)


def test_the_contact_of_the_coop(client, db):
    coop = make_coop(
        "coop-horizon",
        name="Coop'Horizon",
        contact_email="accueil@coophorizon.example.org",
        contact_phone="02 97 00 00 00",
        postal_address="1 rue du Port\n56100 Lorient",
    )
    html = client.get(landing_url(coop)).content.decode()
    section = html[html.index('id="contact"') :]
    assert "mailto:accueil@coophorizon.example.org" in section
    assert 'href="tel:0297000000"' in section
    assert "56100 Lorient" in section


def test_opengraph_and_twitter_metadata(client, coop, path, settings):
    settings.SITE_URL = "https://culturecoop.example.org"
    html = client.get(landing_url(coop)).content.decode()
    assert meta(html, "og:type") == "website"
    assert meta(html, "og:url") == "https://culturecoop.example.org/c/coop-a/"
    assert meta(html, "og:title") == "Culture Coop’ chez Coop A\u00a0: comprendre votre coopérative"
    assert "Coop A" in meta(html, "og:description")
    assert meta(html, "og:locale") == "fr_FR"
    image = meta(html, "og:image")
    assert image.startswith("https://culturecoop.example.org/c/coop-a/partage.png?v=")
    assert (meta(html, "og:image:width"), meta(html, "og:image:height")) == ("1200", "630")
    assert meta(html, "og:image:alt")
    assert meta(html, "twitter:card") == "summary_large_image"
    assert meta(html, "twitter:image") == image
    assert '<link rel="canonical" href="https://culturecoop.example.org/c/coop-a/">' in html


def test_a_name_with_quotes_stays_inside_its_attribute(client, db):
    coop = make_coop("coop-guillemets", name='La "Coop" <Bleue>')
    html = client.get(landing_url(coop)).content.decode()
    assert 'content="Culture Coop’ chez La &quot;Coop&quot; &lt;Bleue&gt;' in html
    assert "<Bleue>" not in html


def test_the_share_image_is_a_1200_by_630_png_in_the_coops_readable_colour(client, db):
    coop = make_coop(
        "coop-jaune",
        name="Coopérative d'habitation du Val d'Orme et des Coteaux",
        main_colour="#ffd500",
    )
    html = client.get(landing_url(coop)).content.decode()
    image_url = meta(html, "og:image").split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + image_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "max-age=604800" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (1200, 630)
    # The background is the darkened (readable) colour, not the raw yellow.
    from coopculture.coops.branding import readable_colour

    expected = readable_colour("#ffd500")
    r, g, b = (int(expected[i : i + 2], 16) for i in (1, 3, 5))
    assert image.convert("RGB").getpixel((10, 10)) == (r, g, b)
    assert len(response.content) < 150_000


def test_the_share_image_is_drawn_once_then_comes_from_the_cache(client, coop, monkeypatch):
    calls = []
    real = share_image.draw
    monkeypatch.setattr(share_image, "draw", lambda c: calls.append(c) or real(c))
    url = reverse("kit_public:share-image", kwargs={"coop_slug": coop.slug})
    first = client.get(url).content
    assert client.get(url).content == first
    assert len(calls) == 1
    # A new colour: a new version, a new picture.
    before = share_image.version(coop)
    coop.main_colour = "#8c1d40"
    coop.save()
    assert share_image.version(coop) != before
    assert client.get(url).content != first
    assert len(calls) == 2


def test_the_landing_page_sets_no_cookie_and_stays_in_a_fixed_number_of_queries(
    coop, path, django_assert_max_num_queries
):
    client = Client()
    with django_assert_max_num_queries(4):
        response = client.get(landing_url(coop))
    assert response.status_code == 200
    assert not response.cookies


def test_an_unknown_or_inactive_coop_has_no_landing_page(client, coop):
    assert client.get("/c/nope/").status_code == 404
    coop.is_active = False
    coop.save()
    assert client.get(landing_url(coop)).status_code == 404
