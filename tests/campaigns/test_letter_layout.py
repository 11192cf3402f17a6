"""Letters never print text over text or over their QR code, whatever the letter: normal
or large print, the longest name and address, the longest coop name and contacts, the
longest text; and they speak as letters, not as emails. Read back from the real PDF: every
text box and the QR image box with their positions (pdfium), QR codes decoded."""

import os
import subprocess
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from django_scopes import scopes_disabled

from coopculture.campaigns import automations, bulletin, letters
from coopculture.campaigns.models import AutomationKind, LetterBatch, Recipient, RecipientState
from coopculture.members.models import (
    Channel,
    ConsentRecord,
    ConsentSource,
    LegalBasis,
    Member,
    Purpose,
)
from tests.campaigns.c2_factories import make_campaign, run_in_coop
from tests.kit.print_helpers import LONGEST_NAME, decoded_qr_codes, make_longest_coop, pdf_text

pytestmark = pytest.mark.django_db

MM = 72 / 25.4
# The window of a DL envelope, in mm from the sheet's top-left corner (campaigns/letters.py).
WINDOW = (90, 45, 200, 100)
EMAIL_WORDING = (
    "Répondez",
    "répondez à ce message",
    "ce message",
    "juste en dessous",
    "ci-dessous",
    "cet e-mail",
    "ce courriel",
)


def boxes_of(pdf: bytes) -> list[dict]:
    """Per page: its size, its text boxes (text, rect in mm from the top-left corner) and
    its image boxes."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for page in document:
        width, height = page.get_size()

        def mm(rect, height=height):
            left, bottom, right, top = rect
            return (left / MM, (height - top) / MM, right / MM, (height - bottom) / MM)

        textpage = page.get_textpage()
        texts = []
        for i in range(textpage.count_rects()):
            rect = textpage.get_rect(i)
            text = textpage.get_text_bounded(*rect).strip()
            if text:
                texts.append((text, mm(rect)))
        images = [
            mm(obj.get_bounds()) for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,))
        ]
        pages.append(
            {"size": (width / MM, height / MM), "texts": texts, "images": images, "page": page}
        )
    return pages


def overlap(a, b, tolerance=0.3) -> bool:
    return (
        min(a[2], b[2]) - max(a[0], b[0]) > tolerance
        and min(a[3], b[3]) - max(a[1], b[1]) > tolerance
    )


def layout_problems(pdf: bytes) -> list[str]:
    problems = []
    for number, page in enumerate(boxes_of(pdf), start=1):
        width, height = page["size"]
        texts, images = page["texts"], page["images"]
        for text, rect in texts:
            if rect[0] < 5 or rect[1] < 5 or rect[2] > width - 5 or rect[3] > height - 5:
                problems.append(f"page {number}: {text!r} at the edge of the sheet {rect}")
        for i, (text, rect) in enumerate(texts):
            for other, other_rect in texts[i + 1 :]:
                if overlap(rect, other_rect):
                    problems.append(f"page {number}: {text!r} runs over {other!r}")
            for image in images:
                if overlap(rect, image):
                    problems.append(f"page {number}: {text!r} runs over the QR code")
    return problems


def save_pngs(pdf: bytes, name: str) -> None:
    """LETTERS_PNG=<folder>: the pages as PNG, to look at them."""
    folder = os.environ.get("LETTERS_PNG")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "letters.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(source), str(Path(folder) / name)], check=True
        )


def post_members(coop):
    """A member by post of each kind of letter: normal, large print, the longest name
    and address (six lines of 38 characters, La Poste's limit)."""
    with scopes_disabled():
        members = [
            Member.objects.create(
                coop=coop,
                first_name="Josiane",
                last_name="Le Goff",
                preferred_channel=Channel.POST,
                postal_address="12 rue des Tisserands\n35000 Rennes",
            ),
            Member.objects.create(
                coop=coop,
                first_name="Marcel",
                last_name="Dupuis",
                preferred_channel=Channel.POST,
                needs_large_print=True,
                postal_address="Résidence Les Embruns, bâtiment B\n4 allée des Goélands\n"
                "29200 Brest",
            ),
            Member.objects.create(
                coop=coop,
                first_name="Marie-Bernadette-Géraldine-Françoise"[:80],
                last_name="de La Tour d'Auvergne-Lauraguais-Montmorency",
                preferred_channel=Channel.POST,
                needs_large_print=True,
                postal_address="\n".join(
                    [
                        "Résidence du Grand Large, bâtiment C12",
                        "Escalier 4, appartement 1207, 12e étage",
                        "123 boulevard du Général-de-Gaulle",
                        "Lieu-dit de la Croix-des-Sept-Chemins",
                        "BP 12345 Saint-Rémy-lès-Chevreuse",
                    ]
                ),
            ),
        ]
        for member in members:
            ConsentRecord.objects.create(
                coop=coop,
                member=member,
                purpose=Purpose.COOP_NEWS,
                granted=True,
                legal_basis=LegalBasis.CONSENT,
                source=ConsentSource.WEB_FORM,
            )
    return members


def letters_of(coop, *, body, letter_body, blocks):
    send = make_campaign(coop)
    with scopes_disabled():
        send.message.body = body.replace("{coop}", coop.name)
        send.message.letter_body = letter_body.replace("{coop}", coop.name)
        send.message.blocks = blocks
        send.message.save()
        run_in_coop(coop, automations.start_send, send=send)
        [batch] = LetterBatch.objects.filter(send=send)
        assert (
            batch.letter_count
            == Recipient.objects.filter(send=send, state=RecipientState.LETTER).count()
        )
        with batch.file.open("rb") as handle:
            return handle.read()


def texts_to_print():
    """Every default letter (the automations', the bulletin's), and the longest one."""
    values = {
        "coop": "{coop}",
        "programme": "Résidence Les Embruns",
        "previous_date": "lundi 1 mars 2027",
        "new_date": "mardi 15 juin 2027",
        "reason": "Les intempéries de l'hiver ont arrêté le chantier six semaines.",
        "ag_date": "jeudi 20 mai 2027",
    }
    for kind in AutomationKind.values:
        text = automations.DEFAULT_TEXTS[kind]
        body, letter_body = (automations._fill(text[f], values) for f in ("body", "letter_body"))
        yield kind, body, letter_body, text["blocks"][:1]
    text = bulletin.DEFAULT_BULLETIN
    yield "bulletin", text["body"], text["letter_body"], []
    longest = ("Bonjour {first_name},\n\n" + "Le chantier avance bien. " * 200)[
        : letters.TEXT_LIMIT
    ]
    yield "longest", longest, "", [{"type": "video", "module": "ma-coop-c-est-quoi", "position": 1}]


@pytest.mark.parametrize("coop_kind", ["ordinary", "longest"])
def test_no_letter_prints_text_over_text_or_over_its_qr_code(coop_kind, coop, demo_path):
    if coop_kind == "longest":
        coop = make_longest_coop()
    members = post_members(coop)
    for name, body, letter_body, blocks in texts_to_print():
        pdf = letters_of(coop, body=body, letter_body=letter_body, blocks=blocks)
        save_pngs(pdf, f"{coop_kind}-{name}")
        assert layout_problems(pdf) == [], name
        pages = boxes_of(pdf)
        # Each letter starts on its own page, its address in the envelope's window; the
        # QR code is printed once per letter and decodes.
        starts = [page for page in pages if any("Bonjour" in text for text, _rect in page["texts"])]
        assert len(starts) == len(members), name
        for page, member in zip(starts, sorted(members, key=lambda m: m.last_name), strict=True):
            name_box = next(
                r for t, r in page["texts"] if member.first_name[:8] in t and r[1] < WINDOW[3]
            )
            assert WINDOW[0] <= name_box[0] and name_box[2] <= WINDOW[2], name_box
            assert WINDOW[1] <= name_box[1] and name_box[3] <= WINDOW[3], name_box
        assert sum(len(page["images"]) for page in pages) == len(members)
        assert len(decoded_qr_codes(pdf)) == len(members)
        if name != "longest":
            text = pdf_text(pdf)
            for words in EMAIL_WORDING:
                assert words not in text, (name, words)
            assert "le code carré en bas de cette lettre" in text.lower(), name


def test_letters_fall_back_to_the_email_text_when_no_letter_text_is_written(coop, demo_path):
    post_members(coop)
    pdf = letters_of(
        coop, body="Bonjour {first_name},\n\nLe chantier avance.", letter_body="", blocks=[]
    )
    assert "Le chantier avance." in pdf_text(pdf)
    assert LONGEST_NAME not in pdf_text(pdf)
