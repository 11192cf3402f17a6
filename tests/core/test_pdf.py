"""The one PDF renderer: tagged, titled, in French, fonts embedded, and offline."""

import base64
import io
import re
import socket
import subprocess

import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from coopculture.core.pdf import (
    LocalURLFetcher,
    ResourceRefusedError,
    page_counter_css,
    pdf_response,
    render_html,
    render_pdf,
)

PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
TEMPLATE = """{% extends "core/pdf/base.html" %}
{% block header %}{% endblock header %}
{% block content %}
<h1>Fête de la coopérative</h1>
<p>Œuvres « communes » : l'assemblée générale élit les administrateurs bénévoles.</p>
{{ extra|safe }}
{% endblock content %}"""


@pytest.fixture
def pdf_template(settings):
    """A PDF template of our own, next to the project's templates (locmem loader)."""
    engine = dict(settings.TEMPLATES[0])
    options = dict(engine["OPTIONS"])
    options["loaders"] = [
        ("django.template.loaders.locmem.Loader", {"test/pdf.html": TEMPLATE}),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    engine.update(APP_DIRS=False, OPTIONS=options)
    settings.TEMPLATES = [engine]
    return "test/pdf.html"


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    attempts = []

    def refuse(self, *args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: refuse(None, *a))
    return attempts


def resolve(obj):
    return obj.get_object() if isinstance(obj, IndirectObject) else obj


def fonts_of(reader: PdfReader) -> list:
    """Every font dictionary used on any page (descendant fonts of Type0 included)."""
    found = []
    for page in reader.pages:
        resources = resolve(page.get("/Resources")) or {}
        for font in (resolve(resources.get("/Font")) or {}).values():
            font = resolve(font)
            found.append(font)
            for descendant in font.get("/DescendantFonts", []):
                found.append(resolve(descendant))
    return found


def font_is_embedded(font) -> bool:
    if font.get("/Subtype") == "/Type0":
        return True  # judged by its descendant font, listed separately
    descriptor = resolve(font.get("/FontDescriptor")) or {}
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def assert_accessible_pdf(pdf: bytes, *, title: str, lang: str = "fr") -> PdfReader:
    """Shared checks: metadata title and language, tagged, fonts embedded."""
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == title
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == lang
    assert bool(resolve(catalog["/MarkInfo"])["/Marked"]) is True
    assert "/StructTreeRoot" in catalog
    fonts = fonts_of(reader)
    assert fonts, "no font in the PDF"
    assert all(font_is_embedded(font) for font in fonts), fonts
    assert any("DejaVu-Sans" in str(font.get("/BaseFont")) for font in fonts)
    return reader


def rasterise(pdf: bytes, tmp_path, *, resolution: int = 50) -> bytes:
    """Page 1 as PNG through poppler's pdftoppm (fails on a PDF poppler cannot read)."""
    source = tmp_path / "document.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-png", "-f", "1", "-l", "1", str(source), str(source)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    (png,) = tmp_path.glob("document.pdf*.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG")
    return data


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_a_pdf_is_tagged_titled_in_french_with_embedded_fonts(pdf_template, tmp_path):
    """Title and /Lang come from the call; the structure tree exists; DejaVu is embedded."""
    pdf = render_pdf(pdf_template, {}, title="Fête de la coopérative", lang="fr")
    assert pdf.startswith(b"%PDF-")
    assert_accessible_pdf(pdf, title="Fête de la coopérative", lang="fr")
    text = text_of(pdf)
    assert "Fête de la coopérative" in text
    assert "Œuvres « communes » : l'assemblée générale élit les administrateurs" in text
    rasterise(pdf, tmp_path)


def test_pages_are_numbered_in_the_footer(pdf_template):
    """Each page's footer says "Page X of Y" (in the document's language)."""
    extra = "<p>Ligne de texte assez longue pour remplir la page.</p>" * 120
    pdf = render_pdf(pdf_template, {"extra": extra}, title="Long", lang="fr")
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 2
    counter = page_counter_css()
    assert "counter(page)" in counter and "counter(pages)" in counter
    last = " ".join(reader.pages[-1].extract_text().split())
    assert re.search(rf"Page {pages} \w+ {pages}", last), last  # "Page 2 sur 2"


def test_the_html_carries_language_title_and_no_automatic_hyphens(pdf_template):
    """hyphens: auto would split words in the text layer; it is never used."""
    html = render_html(pdf_template, {}, title="Titre « à vérifier »", lang="fr")
    assert '<html lang="fr">' in html
    assert "<title>Titre « à vérifier »</title>" in html
    assert not re.search(r"hyphens\s*:\s*auto", html)
    assert "DejaVu Sans" in html


def test_a_pdf_never_reaches_the_network(pdf_template, no_network):
    """An http(s) image or stylesheet is refused and left out; rendering still succeeds."""
    extra = (
        '<img src="https://cdn.example.org/logo.png" alt="distant">'
        '<img src="http://example.org/x.png" alt="distant">'
        '<link rel="stylesheet" href="https://fonts.example.org/font.css">'
    )
    pdf = render_pdf(pdf_template, {"extra": extra}, title="Hors ligne")
    assert pdf.startswith(b"%PDF-")
    assert no_network == []


def test_the_fetcher_serves_only_data_static_and_media(settings, no_network):
    """data: URIs, /static/ through the finders, /media/ through the storage; nothing else."""
    fetcher = LocalURLFetcher()
    data_uri = "data:image/png;base64," + base64.b64encode(PIXEL_PNG).decode()
    assert fetcher.fetch(data_uri).read() == PIXEL_PNG

    static = fetcher.fetch("file:///static/coopculture/img/favicon.svg")
    assert static.read().lstrip().startswith(b"<")
    assert static.content_type == "image/svg+xml"

    name = default_storage.save("coops/test/logo.png", ContentFile(PIXEL_PNG))
    media = fetcher.fetch(f"file:///media/{name}")
    assert media.read() == PIXEL_PNG
    assert media.content_type == "image/png"

    for url in (
        "https://example.org/logo.png",
        "http://127.0.0.1:8000/static/coopculture/css/app.css",
        "ftp://example.org/x",
        "file:///etc/passwd",
        "file:///static/../../../etc/passwd",
        "file:///static/%2e%2e/%2e%2e/etc/passwd",
        "file:///media/../config/settings/base.py",
        "file://evil.example.org/static/coopculture/css/app.css",
        "file:///static/coopculture/nothing-here.css",
    ):
        with pytest.raises(ResourceRefusedError):
            fetcher.fetch(url)
    assert no_network == []


def test_images_from_media_and_data_uris_are_embedded(pdf_template):
    """A coop logo stored in media and a data: image both end up in the PDF."""
    name = default_storage.save("coops/test/logo.png", ContentFile(PIXEL_PNG))
    data_uri = "data:image/png;base64," + base64.b64encode(PIXEL_PNG).decode()
    extra = f'<img src="/media/{name}" alt="Logo"><img src="{data_uri}" alt="Point">'
    pdf = render_pdf(pdf_template, {"extra": extra}, title="Images")
    reader = PdfReader(io.BytesIO(pdf))
    images = [image for page in reader.pages for image in page.images]
    assert len(images) == 2


def test_pdf_response_is_a_download_or_inline():
    """Content type, length and Content-Disposition (ASCII and UTF-8 file names)."""
    response = pdf_response(b"%PDF-1.7 test", "plaquette-ma-coop.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="plaquette-ma-coop.pdf"'
    assert response["Content-Length"] == "13"
    assert response.content == b"%PDF-1.7 test"
    inline = pdf_response(b"%PDF", "attestation-étape.pdf", inline=True)
    assert inline["Content-Disposition"].startswith("inline; filename*=utf-8''attestation-")
