"""The back office of tracked links: create, retarget, archive; the short URL to copy,
the embed snippets, and QR codes that scan to the absolute short URL."""

import io
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
import zxingcpp
from django_scopes import scopes_disabled
from PIL import Image

from django.conf import settings
from django.urls import reverse

from coopculture.core import qr
from coopculture.kit.links import short_url
from coopculture.kit.models import TargetKind, TrackedLink
from tests.kit.test_links_redirect import make_link, visit
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db


def url(name, coop, **kwargs):
    return reverse(f"kit_links:{name}", kwargs={"coop_slug": coop.slug, **kwargs})


def links_of(coop):
    with scopes_disabled():
        return list(TrackedLink.objects.filter(coop=coop))


def test_an_editor_creates_a_link_to_an_activity_and_it_redirects_there(coop, users, client_for):
    module = make_module(kinds=("text", "video", "quiz"), title="Qui décide ?")
    client = client_for(users["editor"])
    page = client.get(url("create", coop))
    html = page.content.decode()
    assert page.status_code == 200
    # One select with the landing page, the module and each of its steps.
    assert f'value="module:{module.slug}"' in html
    assert f'value="activity:{module.slug}:2"' in html
    assert "Étape 2" in html

    response = client.post(
        url("create", coop),
        {
            "label": "Newsletter de mars",
            "channel": "newsletter",
            "target": f"activity:{module.slug}:2",
        },
    )
    [link] = links_of(coop)
    assert response.status_code == 302
    assert response["Location"] == url("detail", coop, link_id=link.public_id)
    assert (link.channel, link.target_kind, link.module_slug, link.activity_position) == (
        "newsletter",
        TargetKind.ACTIVITY,
        module.slug,
        2,
    )
    assert link.created_by == users["editor"]
    assert visit(link)["Location"].endswith(f"/parcours/{module.slug}/2/")


def test_the_form_refuses_an_unknown_channel_or_target(coop, users, client_for):
    client = client_for(users["editor"])
    response = client.post(
        url("create", coop), {"label": "", "channel": "fax", "target": "module:nope"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "error-summary" in html
    assert links_of(coop) == []


def test_the_target_is_edited_after_printing_and_the_code_and_channel_stay(coop, users, client_for):
    module = make_module()
    link = make_link(coop, channel="affiche", label="Affiche agence")
    client = client_for(users["admin"])
    page = client.get(url("edit", coop, link_id=link.public_id)).content.decode()
    assert 'name="channel"' not in page  # the channel is fixed
    assert f"/l/{link.code}" in page
    response = client.post(
        url("edit", coop, link_id=link.public_id),
        {"label": "Affiche agence de Lorient", "target": f"module:{module.slug}"},
    )
    assert response.status_code == 302
    [edited] = links_of(coop)
    assert (edited.code, edited.channel, edited.label) == (
        link.code,
        "affiche",
        "Affiche agence de Lorient",
    )
    assert visit(link)["Location"].endswith(f"/parcours/{module.slug}/")


def test_editing_a_link_whose_module_was_withdrawn_keeps_the_form_valid(coop, users, client_for):
    module = make_module()
    link = make_link(coop, target_kind=TargetKind.MODULE, module_slug=module.slug)
    module.delete()
    client = client_for(users["admin"])
    page = client.get(url("edit", coop, link_id=link.public_id)).content.decode()
    assert "n’est plus publiée" in page
    response = client.post(
        url("edit", coop, link_id=link.public_id),
        {"label": "Renommé", "target": f"module:{module.slug}"},
    )
    assert response.status_code == 302


def test_archive_and_restore(coop, users, client_for):
    link = make_link(coop, label="Lien de l'AG")
    client = client_for(users["editor"])
    assert client.post(url("archive", coop, link_id=link.public_id)).status_code == 302
    assert "Lien de l&#x27;AG" not in client.get(url("list", coop)).content.decode()
    archived = client.get(url("archived", coop)).content.decode()
    assert "Lien de l&#x27;AG" in archived
    assert visit(link).status_code == 302  # still works
    client.post(url("restore", coop, link_id=link.public_id))
    assert "Lien de l&#x27;AG" in client.get(url("list", coop)).content.decode()


def test_the_list_shows_each_link_with_its_visits_and_target(coop, users, client_for):
    module = make_module(title="Le rôle de l'AG")
    link = make_link(
        coop, label="Site web", channel="site", target_kind="module", module_slug=module.slug
    )
    visit(link, ip="192.0.2.1")
    visit(link, ip="192.0.2.2")
    html = client_for(users["animateur"]).get(url("list", coop)).content.decode()
    assert "Site web" in html
    assert f"/l/{link.code}" in html
    assert "Le rôle de l&#x27;AG" in html
    row = html[html.index("Site web") :]
    assert re.search(r'<td class="numeric">2</td>', row[: row.index("</tr>")])
    # An animateur sees the list but no "create" button.
    assert url("create", coop) not in html


def test_the_detail_page_shows_the_url_to_copy_and_plain_html_snippets(coop, users, client_for):
    link = make_link(coop)
    html = (
        client_for(users["animateur"])
        .get(url("detail", coop, link_id=link.public_id))
        .content.decode()
    )
    absolute = short_url(link)
    assert absolute.startswith(settings.SITE_URL)
    # Without JavaScript: a labelled read-only field; the button is hidden until JS shows it.
    assert re.search(
        rf'<input type="text" id="short-url" value="{re.escape(absolute)}" readonly', html
    )
    assert '<label for="short-url">' in html
    assert re.search(r"<button[^>]*data-copy-button hidden>Copier le lien</button>", html)
    assert 'aria-live="polite"' in html and 'data-copied="Lien copié"' in html
    # The snippets: plain links to the short URL, no script, no third party.
    snippets = [unescape(s) for s in re.findall(r"<textarea[^>]*>(.*?)</textarea>", html, re.S)]
    assert len(snippets) == 3
    for snippet in snippets:
        assert snippet.startswith(f'<a href="{absolute}"')
        assert "<script" not in snippet.lower()
        assert snippet.endswith("</a>") and snippet.count("<a ") == 1
    assert "Suivre le MOOC Culture Coop’ de Coop A" in snippets[0]
    assert "/c/coop-a/partage.png?v=" in snippets[2]
    # Print size guidance.
    assert "2 cm" in html and "10 cm" in html and "20 cm" in html
    # No edit buttons for an animateur.
    assert url("edit", coop, link_id=link.public_id) not in html


def test_the_png_qr_code_decodes_to_the_absolute_short_url(coop, users, client_for):
    link = make_link(coop)
    response = client_for(users["animateur"]).get(url("qr-png", coop, link_id=link.public_id))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert f'filename="qr-coop-a-{link.code}.png"' in response["Content-Disposition"]
    image = Image.open(io.BytesIO(response.content))
    [result] = zxingcpp.read_barcodes(image)
    assert result.text == short_url(link)
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert result.ec_level == "Q"


def _svg_modules(svg_text: str) -> set[tuple[int, int]]:
    """The dark modules drawn by segno's SVG: one stroked path of horizontal runs
    ("M x y.5 h n m dx dy ..."), in module units under a scale() transform."""
    root = ET.fromstring(svg_text.encode())  # noqa: S314 (our own output)
    paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("stroke")]
    assert len(paths) == 1
    dark = set()
    x = y = 0.0
    for command, a, b in re.findall(r"([MmHh])(-?[\d.]+)(?: (-?[\d.]+))?", paths[0].get("d")):
        if command in "Mm":
            x, y = (float(a), float(b)) if command == "M" else (x + float(a), y + float(b))
        else:
            end = x + float(a) if command == "h" else float(a)
            dark.update((column, int(y)) for column in range(round(x), round(end)))
            x = end
    return dark


def test_the_svg_qr_code_is_valid_xml_with_the_same_modules_as_the_png(coop, users, client_for):
    link = make_link(coop)
    client = client_for(users["animateur"])
    response = client.get(url("qr-svg", coop, link_id=link.public_id))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)  # noqa: S314 (our own output)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title").text == short_url(link)
    drawn = _svg_modules(response.content.decode())

    # The PNG of the same link decodes to the URL; its pixels give the module matrix.
    png = Image.open(io.BytesIO(client.get(url("qr-png", coop, link_id=link.public_id)).content))
    assert zxingcpp.read_barcodes(png)[0].text == short_url(link)
    png = png.convert("L")
    module_px = 20  # the PNG's scale
    side = png.width // module_px
    from_png = {
        (column, row)
        for row in range(side)
        for column in range(side)
        if png.getpixel((column * module_px + module_px // 2, row * module_px + module_px // 2))
        < 128
    }
    assert drawn == from_png
    assert len(drawn) > 100
    # And both carry the quiet zone of 4 modules.
    assert min(x for x, _ in drawn) == qr.QUIET_ZONE
