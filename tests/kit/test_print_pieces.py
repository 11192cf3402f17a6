"""The printed pieces, read back from real PDFs: the coop's name and contacts in the text,
every QR code decoded from the rendered pages and followed to its target, layouts that hold
with the longest name and texts, tagged PDFs with embedded fonts, French typography."""

import base64
import io
import re

import pypdf
import pytest
from django_scopes import scopes_disabled

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from coopculture.core.pdf import render_html
from coopculture.kit import printing
from coopculture.kit.models import Channel, TargetKind, TrackedLink
from coopculture.learning.models import Activity
from tests.kit.print_helpers import (
    LONG_EMAIL,
    LONGEST_NAME,
    decoded_qr_codes,
    layout,
    layout_problems,
    make_longest_coop,
    make_modules,
    page_count,
    pdf_text,
    pieces_of,
    qr_widths_mm,
    render,
    rows_not_side_by_side,
)

pytestmark = pytest.mark.django_db

# A 2x2 PNG logo.
PNG_LOGO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


@pytest.fixture
def modules(db):
    return make_modules()


@pytest.fixture
def long_coop(modules):
    return make_longest_coop()


def normalised(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u2019", "'").split())


def test_the_catalogue_follows_the_coops_activities(long_coop, coop, modules):
    keys = [piece.key for piece in pieces_of(long_coop)]
    assert keys[:3] == ["flyer", "poster-a4", "poster-a3"]
    # A buyers' coop: booklets for buyers and co-owners, not for tenants.
    assert "booklet-accedant" in keys and "booklet-coproprietaire" in keys
    assert "booklet-locataire" not in keys
    # One leaflet per module that concerns the coop; the tenants' module has none anyway.
    assert "leaflet-devenir-proprietaire-4" in keys and "leaflet-ma-coop-3" in keys
    assert keys[-1] == "registration-form"


def test_every_piece_names_the_coop_and_its_contacts(long_coop):
    for piece in pieces_of(long_coop):
        text = pdf_text(render(long_coop, piece))
        assert normalised(LONGEST_NAME) in text, piece.key
        assert LONG_EMAIL in text.replace(" ", ""), piece.key
        assert "+33 (0)1 99 00 12 34" in text, piece.key


def test_every_qr_code_is_its_pieces_short_link_and_leads_to_its_target(
    long_coop, modules, settings
):
    settings.SITE_URL = "https://culture-coop.example.org"
    buyers, everyone, _tenants = modules
    landing = reverse("kit_public:landing", kwargs={"coop_slug": long_coop.slug})

    def module_page(module):
        return reverse(
            "learning:module", kwargs={"coop_slug": long_coop.slug, "module_slug": module.slug}
        )

    def activity_page(module, position):
        return reverse(
            "learning:activity",
            kwargs={"coop_slug": long_coop.slug, "module_slug": module.slug, "position": position},
        )

    expected = {
        "flyer": [landing],
        "poster-a4": [landing],
        "poster-a3": [landing],
        # The booklet itself, then each video of the modules for that profile.
        "booklet-accedant": [landing, activity_page(buyers, 1), activity_page(everyone, 1)],
        "booklet-coproprietaire": [landing, activity_page(everyone, 1)],
        "leaflet-devenir-proprietaire-4": [module_page(buyers)],
        "leaflet-ma-coop-3": [module_page(everyone)],
        "registration-form": [landing],
    }
    client = Client()
    seen = set()
    for piece in pieces_of(long_coop):
        codes = decoded_qr_codes(render(long_coop, piece))
        assert len(codes) == len(expected[piece.key]), (piece.key, codes)
        for url, target in zip(codes, expected[piece.key], strict=True):
            assert re.fullmatch(r"https://culture-coop\.example\.org/l/[2-9a-z]{7}", url), url
            response = client.get(url.removeprefix("https://culture-coop.example.org"))
            assert response.status_code == 302, (piece.key, url)
            assert response["Location"] == target, piece.key
            seen.add(url)
    # One link per piece and video, each printed once: no two pieces share a code.
    assert len(seen) == sum(len(targets) for targets in expected.values())


def test_each_piece_gets_its_own_link_with_its_channel_and_keeps_it(long_coop):
    for piece in pieces_of(long_coop):
        render(long_coop, piece)
    with scopes_disabled():
        links = {link.piece: link for link in TrackedLink.objects.filter(coop=long_coop)}
    assert links["flyer"].channel == Channel.FLYER
    assert links["poster-a4"].channel == links["poster-a3"].channel == Channel.POSTER
    assert links["booklet:accedant"].channel == Channel.BOOKLET
    video = links["booklet:accedant:devenir-proprietaire:1"]
    assert (video.channel, video.target_kind, video.activity_position) == (
        Channel.BOOKLET,
        TargetKind.ACTIVITY,
        1,
    )
    assert links["leaflet:ma-coop:3"].target_kind == TargetKind.MODULE
    # A second build prints the same codes (the links are reused, not multiplied).
    flyer = next(p for p in pieces_of(long_coop) if p.key == "flyer")
    count = len(links)
    codes = decoded_qr_codes(render(long_coop, flyer))
    assert codes[0].endswith(f"/l/{links['flyer'].code}")
    with scopes_disabled():
        assert TrackedLink.objects.filter(coop=long_coop).count() == count


def test_a_retargeted_piece_link_keeps_its_printed_code(long_coop, modules):
    """Staff may point the flyer's link elsewhere after printing: the code does not move."""
    buyers = modules[0]
    flyer = next(p for p in pieces_of(long_coop) if p.key == "flyer")
    before = decoded_qr_codes(render(long_coop, flyer))
    with scopes_disabled():
        TrackedLink.objects.filter(coop=long_coop, piece="flyer").update(
            target_kind=TargetKind.MODULE, module_slug=buyers.slug
        )
    assert decoded_qr_codes(render(long_coop, flyer)) == before
    path = before[0].split("://", 1)[1].split("/", 1)[1]
    assert Client().get("/" + path)["Location"].endswith(f"/parcours/{buyers.slug}/")


@pytest.mark.parametrize("key", ["flyer", "poster-a4", "poster-a3", "registration-form"])
def test_fixed_layouts_hold_with_the_longest_name_and_texts(long_coop, key):
    piece = next(p for p in pieces_of(long_coop) if p.key == key)
    pdf = render(long_coop, piece)
    assert page_count(pdf) == piece.pages
    document = layout(long_coop, piece)
    assert len(document.pages) == piece.pages
    assert layout_problems(document) == []
    # Every text is printed whole (nothing cut off by the fixed layout).
    text = pdf_text(pdf)
    if piece.kind in ("flyer", "poster"):
        with scopes_disabled():
            texts = printing.kit_texts(long_coop)
        assert normalised(texts.tagline) in text
        assert normalised(texts.message) in text


@pytest.mark.parametrize(
    "key", ["flyer", "poster-a4", "poster-a3", "registration-form", "booklet-accedant"]
)
def test_a_long_site_address_breaks_after_its_host_and_stays_in_its_box(long_coop, settings, key):
    """The short address printed beside each QR code, on a site address of 47
    characters: it breaks only before a dot of the host or after its slash, never inside
    a word someone has to type, and never runs out of its box (the A4 poster's ran out at
    15 pt even with a short address)."""
    settings.SITE_URL = "https://culture-coop.federation-des-coop-hlm.example.fr"
    piece = next(p for p in pieces_of(long_coop) if p.key == key)
    assert layout_problems(layout(long_coop, piece)) == []
    text = pdf_text(render(long_coop, piece)).replace("\u200b", "")
    with scopes_disabled():
        code = printing.piece_link(run=printing.KitRun(long_coop), piece=piece).code
    assert "culture-coop" in text, text
    start = text.index("culture-coop")
    printed = text[start : text.index(code, start) + len(code)]
    # Lines end only before a dot or after the slash: joined, the address is whole.
    assert re.fullmatch(r"[^ ]+( (?=\.)[^ ]+| (?<=/ )[^ ]+)*", printed), printed
    assert printed.replace(" ", "") == f"culture-coop.federation-des-coop-hlm.example.fr/l/{code}"


def test_images_and_their_texts_stay_side_by_side(modules):
    """QR codes and their call, logos and the coop's name: side by side on every piece,
    with a logo too (the rows are inline blocks written with no space between them)."""
    coop = make_longest_coop("coop-au-logo")
    coop.logo = SimpleUploadedFile("logo.png", PNG_LOGO, content_type="image/png")
    coop.save()
    checked = 0
    for piece in pieces_of(coop):
        if piece.kind == printing.Kind.LEAFLET:
            continue
        document = layout(coop, piece)
        problems, compared = rows_not_side_by_side(document)
        assert problems == [], piece.key
        assert compared >= 1, piece.key  # the piece's rows were found and compared
        checked += 1
    assert checked >= 5


def test_pages_have_their_paper_size(long_coop):
    sizes_mm = {
        "flyer": (148, 210),
        "poster-a4": (210, 297),
        "poster-a3": (297, 420),
        "booklet-accedant": (148, 210),
        "leaflet-ma-coop-3": (210, 297),
        "registration-form": (210, 297),
    }
    for piece in pieces_of(long_coop):
        if piece.key not in sizes_mm:
            continue
        for page in pypdf.PdfReader(io.BytesIO(render(long_coop, piece))).pages:
            width, height = (float(v) * 25.4 / 72 for v in page.mediabox[2:])
            expected = sizes_mm[piece.key]
            assert abs(width - expected[0]) < 1 and abs(height - expected[1]) < 1, piece.key


def test_the_layout_check_sees_an_overflow(long_coop):
    """The check above is not blind: a message three times too long breaks the flyer."""
    with scopes_disabled():
        from coopculture.kit.models import KitSettings

        KitSettings.objects.filter(coop=long_coop).update(
            message="Un message bien trop long pour le flyer. " * 24
        )
    flyer = next(p for p in pieces_of(long_coop) if p.key == "flyer")
    document = layout(long_coop, flyer)
    assert len(document.pages) != 2 or layout_problems(document)


def test_fixed_layouts_hold_without_texts_logo_or_contacts(modules):
    bare = make_longest_coop("coop-nue", texts=False)
    bare.contact_phone = bare.postal_address = bare.website = ""
    bare.save()
    for piece in pieces_of(bare):
        if piece.pages:
            document = layout(bare, piece)
            assert len(document.pages) == piece.pages, piece.key
            assert layout_problems(document) == [], piece.key


@pytest.mark.parametrize("key", ["booklet-accedant", "booklet-coproprietaire"])
def test_booklets_stay_inside_their_pages(long_coop, key):
    piece = next(p for p in pieces_of(long_coop) if p.key == key)
    assert layout_problems(layout(long_coop, piece)) == []


def test_qr_codes_are_printed_at_least_at_the_guidance_size(long_coop):
    for piece in pieces_of(long_coop):
        if piece.kind == printing.Kind.LEAFLET:
            continue  # the learning app's layout (30 mm, read in the hand)
        widths = qr_widths_mm(layout(long_coop, piece))
        assert widths, piece.key
        assert min(widths) >= piece.qr_min_cm * 10 - 0.1, (piece.key, widths)


def test_pdfs_are_tagged_titled_in_french_with_embedded_fonts(long_coop):
    for piece in pieces_of(long_coop):
        reader = pypdf.PdfReader(io.BytesIO(render(long_coop, piece)))
        root = reader.trailer["/Root"]
        assert root["/Lang"] == "fr", piece.key
        assert "/StructTreeRoot" in root, piece.key
        title = normalised(reader.metadata.title)
        if piece.kind == printing.Kind.LEAFLET:  # the learning leaflet's own title
            assert title and normalised(piece.title).endswith(title), piece.key
        else:
            assert title == normalised(f"{piece.title} – {LONGEST_NAME}"), piece.key
        fonts = {}
        for page in reader.pages:
            for name, font in page["/Resources"]["/Font"].items():
                font = font.get_object()
                descriptor = (
                    font.get("/FontDescriptor")
                    or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                )
                fonts[name] = descriptor.get_object()
        assert fonts, piece.key
        for name, descriptor in fonts.items():
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), (
                piece.key,
                name,
            )


def test_staff_texts_follow_french_typography(long_coop):
    flyer = next(p for p in pieces_of(long_coop) if p.key == "flyer")
    with scopes_disabled():
        context = printing.piece_context(coop=long_coop, piece=flyer)
    html = render_html("kit/pdf/flyer.html", context, title="t")
    assert "coopérative\u00a0!" in html
    assert "«\u00a0Culture Coop&#x27;\u00a0» répond en mots simples\u00a0:" in html
    assert "qui décide\u00a0?" in html
    assert "d\u2019intérêt" in html  # typographic apostrophes in the coop's name


def test_french_typography_keeps_urls_and_times():
    text = "RDV à 10:30 ; voir https://example.org/a?b=1 !"
    assert printing.french_typography(text) == (
        "RDV à 10:30\u00a0; voir https://example.org/a?b=1\u00a0!"
    )
    assert printing.french_typography("Quoi ?!") == "Quoi\u00a0?!"
    assert printing.french_typography("« Oui »") == "«\u00a0Oui\u00a0»"


def test_the_too_light_colour_falls_back_to_a_readable_shade(long_coop):
    flyer = next(p for p in pieces_of(long_coop) if p.key == "flyer")
    with scopes_disabled():
        context = printing.piece_context(coop=long_coop, piece=flyer)
    html = render_html("kit/pdf/flyer.html", context, title="t")
    assert f"--coop-colour: {long_coop.safe_colour}" in html
    assert long_coop.safe_colour != "#ffe600"


def test_a_whole_kit_reads_the_database_a_few_times_not_once_a_piece(
    long_coop, django_assert_max_num_queries
):
    """A build prints a dozen pieces and their thirty QR codes from one KitRun: the kit
    texts, the modules, the links and the leaflets are each read once."""
    with scopes_disabled():
        pieces = pieces_of(long_coop)
        first = printing.KitRun(long_coop)
        for piece in pieces:  # the first print makes the links
            printing.render_piece(coop=long_coop, piece=piece, run=first)
        made = TrackedLink.objects.filter(coop=long_coop).count()
        with django_assert_max_num_queries(5):
            run = printing.KitRun(long_coop)
            pdfs = [printing.render_piece(coop=long_coop, piece=p, run=run) for p in pieces]
        assert TrackedLink.objects.filter(coop=long_coop).count() == made
    assert len(pieces) >= 6 and all(pdf.startswith(b"%PDF") for pdf in pdfs)


def test_a_kit_run_prints_for_its_own_coop_only(long_coop, modules):
    other = make_longest_coop("autre-coop")
    with scopes_disabled():
        run = printing.KitRun(other)
        flyer = next(p for p in pieces_of(long_coop) if p.key == "flyer")
        with pytest.raises(ValueError):
            printing.render_piece(coop=long_coop, piece=flyer, run=run)
        with pytest.raises(ValueError):
            printing.piece_context(coop=long_coop, piece=flyer, run=run)


def test_a_leaflet_with_broken_content_prints_empty_and_spoils_no_other(long_coop):
    with scopes_disabled():
        leaflets = [p for p in pieces_of(long_coop) if p.kind == "leaflet"]
        broken, healthy = leaflets[0], leaflets[1]
        Activity.objects.filter(module__slug=broken.module_slug, position=broken.position).update(
            content=["not", "a", "leaflet"]
        )
        run = printing.KitRun(long_coop)
        assert broken.title.split(": ", 1)[1] in pdf_text(
            printing.render_piece(coop=long_coop, piece=broken, run=run)
        )
        healthy_text = pdf_text(printing.render_piece(coop=long_coop, piece=healthy, run=run))
    assert "Les mots de la copro." in healthy_text
