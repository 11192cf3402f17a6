"""Letters for members who prefer the post (c2): one A4 page each, the address in the
window of a DL envelope, a QR code to the video, gathered in one PDF per send."""

import io
import subprocess
import tempfile
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from django_scopes import scopes_disabled
from PIL import Image

from django.test import Client

from coopculture.campaigns import automations, letters
from coopculture.campaigns.models import LetterBatch, Recipient, RecipientState
from coopculture.kit.models import TrackedLink
from coopculture.members.models import Channel
from tests.campaigns.c2_factories import make_campaign, run_in_coop
from tests.campaigns.factories import make_members

pytestmark = pytest.mark.django_db

MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT = 297 * MM


def pdf_pages_text(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().replace("\u00a0", " ").split()) for page in reader.pages]


def text_positions(pdf: bytes, page_number: int) -> list[tuple[str, float, float]]:
    """(text, mm from the left edge, mm from the top edge) of each text run of a page."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    runs = []

    def visit(text, cm, tm, font, size):
        if not text.strip():
            return
        # The point (0, 0) of the text matrix, through the current transformation matrix.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        runs.append((text.strip(), x / MM, (A4_HEIGHT - y) / MM))

    reader.pages[page_number].extract_text(visitor_text=visit)
    return runs


def decoded_qr_codes(pdf: bytes, dpi: int = 150) -> list[list[str]]:
    """The QR codes of each page, decoded from the page rendered by pdftoppm."""
    pages = []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "letters.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), str(source), str(Path(folder) / "page")],
            check=True,
            timeout=120,
        )
        for image_path in sorted(Path(folder).glob("page*.png")):
            with Image.open(image_path) as image:
                pages.append(
                    [
                        code.text
                        for code in zxingcpp.read_barcodes(image)
                        if code.format == zxingcpp.BarcodeFormat.QRCode
                    ]
                )
    return pages


def read_file(batch) -> bytes:
    with batch.file.open("rb") as handle:
        return handle.read()


def start_campaign(coop, send):
    with scopes_disabled():
        return run_in_coop(coop, automations.start_send, send=send)


def test_members_by_post_get_one_page_each_with_address_and_qr_code(
    coop, demo_path, smtp_mailers, settings
):
    by_email = make_members(coop, 2)
    by_post = make_members(coop, 3, preferred_channel=Channel.POST)
    with scopes_disabled():
        for i, member in enumerate(by_post):
            member.first_name = ["Josiane", "Marcel", "Yvette"][i]
            member.last_name = ["Le Goff", "Dupuis", "Martin"][i]
            member.postal_address = f"{12 + i} rue des Tisserands\nBâtiment B\n5{i}000 Vald'Orme"
            member.save()
    send = make_campaign(coop)
    with scopes_disabled():
        send.message.blocks = [{"type": "video", "module": "ma-coop-c-est-quoi", "position": 1}]
        send.message.save()

    counts = start_campaign(coop, send)
    assert counts == {"queued": 2, "letter": 3}
    assert len(smtp_mailers.wait_for(2)) == 2  # the others got no email

    with scopes_disabled():
        [batch] = LetterBatch.objects.filter(send=send)
        assert batch.letter_count == 3
        rows = Recipient.objects.filter(send=send, state=RecipientState.LETTER)
        assert {row.letter_batch_id for row in rows} == {batch.pk}
        assert "/private/" in batch.file.path or str(settings.PRIVATE_ROOT) in batch.file.path
        pdf = read_file(batch)

    pages = pdf_pages_text(pdf)
    assert len(pages) == 3  # one page per letter
    # The QR code is the send's tracked short link (channel "mailing"), which leads to the
    # video: the figures count the visits letters bring.
    with scopes_disabled():
        [link] = TrackedLink.objects.filter(coop=coop, piece__startswith=f"letter:{send.pk}:")
    assert link.channel == "mailing"
    short_url = settings.SITE_URL + f"/l/{link.code}"
    qr_pages = decoded_qr_codes(pdf)
    assert qr_pages == [[short_url]] * 3
    response = Client().get(f"/l/{link.code}")
    assert response.status_code == 302
    assert response["Location"] == "/c/coop-a/parcours/ma-coop-c-est-quoi/1/"
    for page, member in zip(pages, sorted(by_post, key=lambda m: m.last_name), strict=True):
        assert f"{member.first_name} {member.last_name}" in page
        for line in member.postal_address.splitlines():
            assert line in page
        assert f"Bonjour {member.first_name}," in page
        assert "Une coopérative Hlm en 3 minutes" in page
        # The address under the QR code, for those who type it.
        assert short_url.split("://", 1)[1] in page
    for member in by_email:
        assert member.last_name not in " ".join(pages)

    # The address block sits in the window of a DL envelope (window on the right).
    runs = text_positions(pdf, 0)
    name_run = next(r for r in runs if "Dupuis" in r[0])
    town_run = next(r for r in runs if "Vald'Orme" in r[0])
    for _text, left, top in (name_run, town_run):
        assert 100 <= left <= 125, left  # window from 90 to 190 mm from the left edge
        assert 50 <= top <= 92, top  # window about 45 to 95 mm from the top edge


def test_building_letters_twice_makes_one_batch(coop, demo_path, smtp_mailers):
    make_members(coop, 2, preferred_channel=Channel.POST)
    send = make_campaign(coop)
    start_campaign(coop, send)
    with scopes_disabled():
        assert run_in_coop(coop, letters.build_letters, send_id=send.pk) is None
        assert LetterBatch.objects.filter(send=send).count() == 1
    # The tick finds nothing left to print either.
    assert run_in_coop(coop, automations.run_cycle)["letter_batches"] == 0


def test_the_batch_downloads_for_staff_only(coop, users, client_for, demo_path, smtp_mailers):
    make_members(coop, 1, preferred_channel=Channel.POST)
    send = make_campaign(coop)
    start_campaign(coop, send)
    with scopes_disabled():
        batch = LetterBatch.objects.get(send=send)
    url = f"/gestion/{coop.slug}/envois/courriers/{batch.public_id}/"
    response = client_for(users["editor"]).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store, private"
    assert len(pdf_pages_text(response.content)) == 1
    assert client_for(users["animateur"]).get(url).status_code == 403
    assert client_for(users["other_admin"]).get(url).status_code == 404
    assert client_for().get(url).status_code == 404
    # The send's page links to it.
    page = client_for(users["admin"]).get(f"/gestion/{coop.slug}/envois/{send.public_id}/")
    assert url in page.content.decode()


def test_a_member_without_address_is_flagged_on_the_letter(coop, demo_path, smtp_mailers):
    [member] = make_members(coop, 1, preferred_channel=Channel.POST)
    with scopes_disabled():
        member.postal_address = ""
        member.save()
    send = make_campaign(coop)
    start_campaign(coop, send)
    with scopes_disabled():
        pdf = read_file(LetterBatch.objects.get(send=send))
    assert "ADRESSE MANQUANTE" in pdf_pages_text(pdf)[0]


def test_letter_pdfs_are_deleted_after_thirty_days(coop, demo_path, smtp_mailers):
    import datetime as dt

    from django.utils import timezone

    make_members(coop, 1, preferred_channel=Channel.POST)
    send = make_campaign(coop)
    start_campaign(coop, send)
    with scopes_disabled():
        batch = LetterBatch.objects.get(send=send)
        path = batch.file.path
    assert Path(path).exists()
    soon = timezone.now() + dt.timedelta(days=29)
    assert run_in_coop(coop, automations.run_cycle, now=soon)["letters_purged"] == 0
    later = timezone.now() + dt.timedelta(days=31)
    assert coop.pk in automations.coops_with_work(now=later)
    assert run_in_coop(coop, automations.run_cycle, now=later)["letters_purged"] == 1
    assert not Path(path).exists()
    with scopes_disabled():
        batch.refresh_from_db()
        assert not batch.file
        # The ledger still says a letter was made.
        assert Recipient.objects.get(send=send).state == RecipientState.LETTER


def test_a_letter_without_a_video_leads_to_the_coops_mooc_page(
    coop, demo_path, smtp_mailers, settings
):
    """A message with no MOOC item: the letter's code still is a tracked short link, to
    the coop's MOOC page; a second send gets its own link."""
    make_members(coop, 2, preferred_channel=Channel.POST)
    first, second = make_campaign(coop), make_campaign(coop)
    for send in (first, second):
        with scopes_disabled():
            send.message.blocks = []
            send.message.save()
        start_campaign(coop, send)
    with scopes_disabled():
        links = {
            send.pk: TrackedLink.objects.get(coop=coop, piece=f"letter:{send.pk}:landing")
            for send in (first, second)
        }
        [batch] = LetterBatch.objects.filter(send=first)
        pdf = read_file(batch)
    assert links[first.pk].code != links[second.pk].code
    code = links[first.pk].code
    assert decoded_qr_codes(pdf) == [[settings.SITE_URL + f"/l/{code}"]] * 2
    response = Client().get(f"/l/{code}")
    assert response.status_code == 302 and response["Location"] == "/c/coop-a/"


def test_welcome_texts_made_before_the_booklet_went_online_now_link_it(coop):
    """Migration 0004: the old "Votre livret d'accueil" link (to the landing page) becomes
    the booklet block; untouched default texts get their letter's words, edited ones not."""
    import importlib

    from django.apps import apps

    from coopculture.campaigns.models import Message

    migration = importlib.import_module(
        "coopculture.campaigns.migrations.0004_letter_texts_and_booklet"
    )
    default = automations.DEFAULT_TEXTS["welcome"]
    old_blocks = [
        {"type": "video", "module": "ma-coop-c-est-quoi", "position": 1},
        {"type": "link", "url": f"/c/{coop.slug}/", "label": "Votre livret d'accueil"},
    ]
    with scopes_disabled():
        untouched = Message.objects.create(
            coop=coop,
            kind="automation",
            automation_kind="welcome",
            name="Bienvenue",
            subject=default["subject"],
            body=default["body"],
            blocks=old_blocks,
        )
        edited = Message.objects.create(
            coop=coop,
            kind="automation",
            automation_kind="welcome",
            name="Bienvenue",
            subject=default["subject"],
            body="Bonjour {first_name}, notre texte.",
            blocks=old_blocks,
        )
        migration.forwards(apps, None)
        untouched.refresh_from_db()
        edited.refresh_from_db()
    for message in (untouched, edited):
        assert message.blocks[1] == {"type": "booklet", "profile": "accedant"}
        assert message.blocks[0] == old_blocks[0]
    assert untouched.letter_body == default["letter_body"]
    assert edited.letter_body == ""
