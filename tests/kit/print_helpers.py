"""Shared by the print kit tests: a coop at every limit, real PDFs read back (text, QR codes
decoded from the rendered pages, layout boxes)."""

import io
import subprocess
import tempfile
from pathlib import Path

import pypdf
import zxingcpp
from django_scopes import scopes_disabled
from PIL import Image
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder

from coopculture.core.pdf import LocalURLFetcher, PrintHTML, render_html
from coopculture.kit import printing
from coopculture.kit.models import KitSettings
from tests.conftest import make_coop
from tests.learning.factories import make_module

# 80 characters (Coop.name max_length), with accents, apostrophes and no short words.
LONGEST_NAME = (
    "Société coopérative d'intérêt collectif d'habitat solidaire des Hauts-de-Seine Nord"
)[:80]
LONG_EMAIL = "vie.cooperative.et.accession.sociale@societe-cooperative-hauts-de-seine.example.org"
PX_TO_MM = 25.4 / 96


def longest_texts() -> dict:
    return {
        "tagline": ("Apprenez tout sur votre coopérative ! Des vidéos, des quiz, des jeux. " * 3)[
            : KitSettings.TAGLINE_MAX
        ],
        "message": (
            "Le parcours « Culture Coop' » répond en mots simples : qui décide ? "
            "Où va mon argent ? Qu'est-ce qui change quand j'achète avec ma coop ? " * 6
        )[: KitSettings.MESSAGE_MAX],
        "welcome_text": (
            "Bienvenue dans votre coopérative ! Vous êtes désormais associé : vous avez "
            "une voix à l'assemblée générale. " * 12
        )[: KitSettings.WELCOME_MAX],
    }


def make_modules():
    """Three published modules: one for buyers (a video, a leaflet), one for everyone
    (a testimonial, a leaflet), one for tenants only (a video, not for a buyers' coop)."""
    buyers = make_module(
        kinds=("video", "text", "quiz", "leaflet"),
        slug="devenir-proprietaire",
        title="Devenir propriétaire avec sa coop",
        audiences=["accedant"],
        concerns=["accession_vefa"],
    )
    everyone = make_module(
        kinds=("testimonial", "quiz", "leaflet"),
        slug="ma-coop",
        title="Ma coop, c'est quoi ?",
        audiences=["accedant", "locataire", "coproprietaire"],
    )
    tenants = make_module(
        kinds=("video", "quiz"),
        slug="locataire",
        title="Locataire d'une coop",
        audiences=["locataire"],
        concerns=["gestion_locative"],
    )
    return buyers, everyone, tenants


def make_longest_coop(slug="coop-longue", *, texts=True):
    coop = make_coop(
        slug,
        name=LONGEST_NAME,
        activities=["accession_vefa"],
        main_colour="#ffe600",  # too light: the readable fallback must be used
        contact_email=LONG_EMAIL,
        contact_phone="+33 (0)1 99 00 12 34 p. 5678",
        postal_address=(
            "Bâtiment B, escalier 4, 123 boulevard du Général-de-Gaulle-et-de-la-Libération " * 4
        )[:300],
        website="https://www.une-cooperative-au-nom-tres-long.example.org/vie-cooperative/",
    )
    if texts:
        with scopes_disabled():
            KitSettings.objects.create(coop=coop, **longest_texts())
    return coop


def render(coop, piece) -> bytes:
    with scopes_disabled():
        return printing.render_piece(coop=coop, piece=piece)


def pieces_of(coop):
    with scopes_disabled():
        return printing.kit_pieces(coop=coop)


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").replace("\u2019", "'").split())


def page_count(pdf: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def decoded_qr_codes(pdf: bytes, *, dpi: int = 150) -> list[str]:
    """Every QR code on every page, decoded from the page rendered by pdftoppm."""
    found = []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "piece.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), str(source), str(Path(folder) / "page")],
            check=True,
            timeout=120,
        )
        for image_path in sorted(Path(folder).glob("page*.png")):
            with Image.open(image_path) as image:
                found += [
                    code.text
                    for code in zxingcpp.read_barcodes(image)
                    if code.format == zxingcpp.BarcodeFormat.QRCode
                ]
    return found


# --- Layout, read from WeasyPrint's boxes -------------------------------------------------


def layout(coop, piece):
    """The laid-out pages of a piece (WeasyPrint's boxes, as render_pdf prints them)."""
    with scopes_disabled():
        context = printing.piece_context(coop=coop, piece=piece)
    html = render_html(
        printing.TEMPLATES[piece.kind], context, title=printing.piece_title(coop, piece)
    )
    return PrintHTML(
        string=html, base_url="file:///", url_fetcher=LocalURLFetcher(), media_type="print"
    ).render(stylesheets=printing.stylesheets(piece.kind))


def _walk(box):
    if isinstance(box, AbsolutePlaceholder):
        box = box._box  # the laid-out box of an absolutely placed element
    yield box
    for child in getattr(box, "children", []) or []:
        yield from _walk(child)


def _rect(box):
    return (box.position_x, box.position_y, box.position_x + box.width, box.position_y + box.height)


def _overlap(a, b) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def _within(inner, outer) -> bool:
    return (
        inner[0] >= outer[0] - 0.5
        and inner[1] >= outer[1] - 0.5
        and inner[2] <= outer[2] + 0.5
        and inner[3] <= outer[3] + 0.5
    )


def _border_rect(box):
    x, y = box.border_box_x(), box.border_box_y()
    return (x, y, x + box.border_width(), y + box.border_height())


def layout_problems(document) -> list[str]:
    """On each page: text or images outside the page, text running over other text or over
    an image, anything of the flow running under an absolutely placed block (the QR
    and contact boxes anchored at the bottom of fixed layouts), and anything of such a
    block running out of its border (a long address beside a QR code)."""
    problems = []
    for number, page in enumerate(document.pages, start=1):
        every = list(_walk(page._page_box))
        texts = [box for box in every if isinstance(box, boxes.TextBox) and box.text.strip()]
        images = [box for box in every if isinstance(box, boxes.ReplacedBox)]
        for box in texts + images:
            left, top, right, bottom = _rect(box)
            if left < -0.5 or top < -0.5 or right > page.width + 0.5 or bottom > page.height + 0.5:
                problems.append(f"page {number}: {getattr(box, 'text', '<img>')!r} is outside")
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                if _overlap(_rect(a), _rect(b)):
                    problems.append(f"page {number}: {a.text!r} runs over {b.text!r}")
            for image in images:
                if _overlap(_rect(a), _rect(image)):
                    problems.append(f"page {number}: {a.text!r} runs over an image")
        for anchored in every:
            if not isinstance(anchored, boxes.BlockBox) or anchored.style["position"] != "absolute":
                continue
            inside = {id(box) for box in _walk(anchored)}
            area = _border_rect(anchored)
            for box in texts + images:
                text = getattr(box, "text", "<img>")
                if id(box) not in inside and _overlap(_rect(box), area):
                    problems.append(f"page {number}: {text!r} runs under a placed block")
                if id(box) in inside and not _within(_rect(box), area):
                    problems.append(f"page {number}: {text!r} runs out of its placed block")
    return problems


SIDE_BY_SIDE = {"kit-qr", "kit-brand", "form-brand", "booklet-brand", "booklet-qr", "booklet-video"}


def rows_not_side_by_side(document) -> tuple[list[str], int]:
    """Rows of an image beside a text (two inline blocks, print CSS) where the text fell
    under the image instead (a space between them in a template is enough to do that),
    and how many image-and-text pairs were compared."""
    problems, compared = [], 0
    for number, page in enumerate(document.pages, start=1):
        for box in _walk(page._page_box):
            element = getattr(box, "element", None)
            classes = set((element.get("class") or "").split()) if element is not None else set()
            if not classes & SIDE_BY_SIDE or box.element_tag in ("img", "p"):
                continue
            inside = list(_walk(box))
            images = [b for b in inside if isinstance(b, boxes.ReplacedBox)]
            texts = [b for b in inside if isinstance(b, boxes.InlineBlockBox)]
            for image in images:
                for text in texts:
                    compared += 1
                    top, bottom = image.position_y, image.position_y + image.height
                    if not (text.position_y < bottom and text.position_y + text.height > top):
                        problems.append(f"page {number}: {sorted(classes)} text under its image")
    return problems, compared


def qr_widths_mm(document) -> list[float]:
    widths = []
    for page in document.pages:
        for box in _walk(page._page_box):
            if (
                isinstance(box, boxes.ReplacedBox)
                and "qr" in (box.element.get("class") or "").split()
            ):
                widths.append(box.width * PX_TO_MM)
    return widths
