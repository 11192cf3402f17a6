"""Our PDFs are printed with WeasyPrint's user-agent stylesheet trimmed of rules they never
use (core.pdf.print_user_agent_stylesheet): not one pixel of a printed page may change."""

import pypdfium2
import pytest
from weasyprint import HTML

from coopculture.core.pdf import PrintHTML, print_user_agent_css
from coopculture.learning.demo import load_demo_content
from tests.kit.print_helpers import make_longest_coop, pieces_of, render


def pages_as_pixels(pdf: bytes) -> list[tuple]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image = page.render(scale=60 / 72).to_pil().convert("L")
            pages.append((image.size, image.tobytes()))
            page.close()
        return pages
    finally:
        document.close()


@pytest.fixture
def demo_coop(db):
    load_demo_content()  # the real leaflets: lists, examples, glossary words
    return make_longest_coop()


def test_every_piece_prints_the_same_with_the_trimmed_user_agent_sheet(demo_coop, monkeypatch):
    pieces = pieces_of(demo_coop)
    assert {piece.kind for piece in pieces} == {"flyer", "poster", "booklet", "leaflet", "form"}
    ours = {piece.key: render(demo_coop, piece) for piece in pieces}
    monkeypatch.setattr(PrintHTML, "_ua_stylesheets", HTML._ua_stylesheets)
    for piece in pieces:
        theirs = render(demo_coop, piece)
        assert pages_as_pixels(ours[piece.key]) == pages_as_pixels(theirs), piece.key


def test_the_trimmed_sheet_leaves_out_footnotes_dir_and_form_rules():
    """What makes it cheaper: no footnote or note pseudo-elements on every element, no
    rule tried on every element for a `dir` attribute, no form fields; what matters stays."""
    css = print_user_agent_css()
    for left_out in ("::footnote", "::note", "[dir", "textarea { height", "@counter-style"):
        assert left_out not in css
    for kept in ("h1 { font-size: 2em", "li::marker", "@bottom-right", "br::before"):
        assert kept in css


def test_documents_are_printed_with_the_trimmed_sheet():
    """WeasyPrint's own sheet gives `dir="rtl"` a right-to-left direction; ours has no
    rule for it: so a paragraph tells which sheet its document was styled with."""
    html = '<html lang="fr"><body><p dir="rtl">abc</p></body></html>'

    def direction(document_class):
        page = document_class(string=html).render().pages[0]
        body = page._page_box.children[0].children[0]
        return body.children[0].style["direction"]

    assert direction(HTML) == "rtl"
    assert direction(PrintHTML) == "ltr"
