"""Every link of every automation's email (HTML and text parts, as received by a real SMTP
server) and every QR code of its letter (decoded from the printed PDF) leads to a page that
answers 200 and shows what the text promised: the video, the testimonial, the leaflet, the
welcome booklet of the member's profile and coop, the unsubscribe and preferences pages."""

import datetime as dt
import html as html_lib
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pypdf
import pytest
from django_scopes import scopes_disabled

from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from coopculture.campaigns import automations
from coopculture.campaigns.models import AutomationKind, LetterBatch
from coopculture.members.models import Channel, MemberProfile
from coopculture.members.services import programme_change_expected_delivery
from tests.campaigns.c2_factories import run_in_coop
from tests.campaigns.factories import make_members
from tests.kit.print_helpers import decoded_qr_codes, pdf_text
from tests.members.factories import make_programme, reserve

pytestmark = pytest.mark.django_db

URL = re.compile(r"https?://[^\s<>\"']+")


class Anchors(HTMLParser):
    """(href, text of the link, heading of its block, the text just before the link) of
    every link, and every image source."""

    def __init__(self):
        super().__init__()
        self.links, self.images = [], []
        self._href, self._text, self._heading, self._in_h2 = None, [], "", False
        self._before = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self._href, self._text = attrs.get("href"), []
        elif tag == "img":
            self.images.append(attrs.get("src"))
            if self._href:
                self._text.append(attrs.get("alt") or "")
        elif tag == "h2":
            self._in_h2, self._heading = True, ""

    def handle_endtag(self, tag):
        if tag == "a" and self._href:
            self.links.append(
                (self._href, " ".join("".join(self._text).split()), self._heading, self._before)
            )
            self._href = None
        elif tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)
        elif data.strip():
            self._before = data.strip()
        if self._in_h2:
            self._heading += data


def plain(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u2019", "'").split())


def follow(url: str, settings):
    """GET `url` on the site as a member's phone would, following redirects."""
    client = Client()
    for _hop in range(5):
        assert url.startswith(settings.SITE_URL) or url.startswith("/"), url
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = client.get(path)
        if response.status_code in (301, 302):
            url = response["Location"]
            continue
        return response
    raise AssertionError(f"too many redirects from {url}")


def page_title(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), flags=re.S)
    return plain(html_lib.unescape(match.group(1))) if match else ""


def page_text(response) -> str:
    return plain(html_lib.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def pdf_title(pdf: bytes) -> str:
    return plain(pypdf.PdfReader(io.BytesIO(pdf)).metadata.title or "")


def check_promise(label, heading, response, *, coop, booklet_title, before=""):
    """What the words of a link promised is what its page shows."""
    label = plain(label)
    heading = plain(heading)
    assert response.status_code == 200, (label, response.status_code)
    kind = response["Content-Type"].split(";")[0]
    if label.startswith("Regarder la vidéo"):
        title = label.split(":", 1)[1].strip() if ":" in label else heading
        assert kind == "text/html" and title in page_text(response), (label, title)
    elif label == "Lire ou écouter tout le témoignage":
        person = plain(before).split(",")[0]  # "Name, role" printed above the link
        assert kind == "text/html" and person and person in page_text(response), before
    elif label == "Télécharger la plaquette (PDF)":
        assert kind == "application/pdf" and heading in pdf_text(response.content), heading
    elif label == "Lire votre livret d'accueil":
        assert kind == "text/html"
        assert page_title(response).startswith(f"{booklet_title} – {coop.name}"), page_title(
            response
        )
        assert heading == booklet_title
    elif label == "Le télécharger pour l'imprimer (PDF)":
        assert kind == "application/pdf"
        assert pdf_title(response.content) == f"{booklet_title} – {coop.name}"
        assert "Livret d'accueil" in pdf_text(response.content)
    elif label == "Tout le parcours Culture Coop'":
        assert kind == "text/html" and "parcours" in page_title(response).lower(), label
    elif label == "Les mots de la coop, expliqués simplement":
        assert kind == "text/html" and "glossaire" in page_title(response).lower(), label
    elif label == "Choisir ce que je reçois":
        assert kind == "text/html" and coop.name in page_text(response)
    elif label == "Se désinscrire":
        assert kind == "text/html" and "Se désinscrire" in page_title(response)
        assert coop.name in page_text(response)
    else:
        raise AssertionError(f"a link nobody checks: {label!r}")


def setup_event(kind, coop, users):
    """Switch the automation on, make its event happen to a member by email and a member
    by post; the labels its links must carry."""
    today = timezone.localdate()
    with scopes_disabled():
        setting = run_in_coop(coop, automations.ensure_settings)[kind]
        setting.enabled = True
        if kind == AutomationKind.AG_REMINDER:
            setting.event_date = today + dt.timedelta(days=10)
            setting.days_before = 30
        setting.save()
    by_email = make_members(coop, 1, first_name="Léa")
    by_post = make_members(coop, 1, first_name="Marcel", preferred_channel=Channel.POST)
    members = by_email + by_post
    if kind == AutomationKind.WELCOME:
        programme = make_programme(coop, name="Résidence Les Embruns")
        for member in members:
            reserve(coop, member, programme, signed_on=today - dt.timedelta(days=2))
    elif kind == AutomationKind.DELIVERY_POSTPONED:
        programme = make_programme(coop, expected_delivery_on=today + dt.timedelta(days=90))
        for member in members:
            reserve(coop, member, programme)
        with scopes_disabled():
            run_in_coop(
                coop,
                programme_change_expected_delivery,
                actor=users["admin"],
                programme=programme,
                new_date=today + dt.timedelta(days=200),
                reason="Les intempéries.",
            )
    elif kind == AutomationKind.DELIVERED:
        programme = make_programme(coop, delivered_on=today)
        for member in members:
            reserve(coop, member, programme)
    return members


@pytest.mark.parametrize("kind", AutomationKind.values)
def test_every_link_of_every_automation_leads_where_it_says(
    kind, coop, users, demo_path, smtp_mailers, settings
):
    setup_event(kind, coop, users)
    assert run_in_coop(coop, automations.run_cycle)["automations"] >= 1
    [message] = smtp_mailers.wait_for(1)
    booklet_title = "Livret d'accueil : Accédants"

    html_part = message.get_body(preferencelist=("html",)).get_content()
    parser = Anchors()
    parser.feed(html_part)
    assert parser.links
    checked = set()
    for href, label, heading, before in parser.links:
        check_promise(
            label,
            heading,
            follow(href, settings),
            coop=coop,
            booklet_title=booklet_title,
            before=before,
        )
        checked.add(plain(label).split(":")[0].strip())
    for src in parser.images:
        # Media files are served by the proxy in production: the file must be there.
        path = urlsplit(src).path
        assert src.startswith(settings.SITE_URL) and path.startswith(settings.MEDIA_URL), src
        assert default_storage.exists(path.removeprefix(settings.MEDIA_URL)), src

    text = smtp_mailers.text_of(message)
    text_links = 0
    previous = heading = ""
    for line in text.splitlines():
        if line.startswith("—"):  # a block starts: its title is the next line
            heading = ""
        for url in URL.findall(line):
            label = plain(re.split(r"\s:\s", line, maxsplit=1)[0])
            check_promise(
                label,
                heading,
                follow(url, settings),
                coop=coop,
                booklet_title=booklet_title,
                before=previous,
            )
            text_links += 1
        if line.strip():
            if not heading and not line.startswith("—") and not URL.search(line):
                heading = line
            previous = line
    assert text_links == len({link[0] for link in parser.links})
    assert {"Choisir ce que je reçois", "Se désinscrire"} <= checked
    if kind == AutomationKind.WELCOME:
        assert {"Regarder la vidéo", "Lire votre livret d'accueil"} <= checked
        assert "Le télécharger pour l'imprimer (PDF)" in checked

    # The letter: its QR code leads to what the letter names beside it.
    with scopes_disabled():
        [batch] = LetterBatch.objects.filter(coop=coop)
        with batch.file.open("rb") as handle:
            pdf = handle.read()
    letter_text = pdf_text(pdf)
    [code] = decoded_qr_codes(pdf)
    response = follow(code, settings)
    assert response.status_code == 200
    promised = re.search(r"(?:À regarder|À lire|À découvrir)[^:]*: (.+?) \(", letter_text)
    assert promised, letter_text
    assert promised.group(1) in page_text(response)


def test_the_welcome_booklet_is_the_one_of_the_members_profile(
    coop, users, demo_path, smtp_mailers, settings
):
    """A member the coop knows as a co-owner who reserves again gets the co-owners'
    booklet of their coop; one with no profile, the buyers' one."""
    [owner, newcomer] = setup_event(AutomationKind.WELCOME, coop, users)
    with scopes_disabled():
        MemberProfile.objects.create(
            coop=coop, member=owner, kind="coproprietaire", start_date=dt.date(2020, 1, 1)
        )
        newcomer.preferred_channel = Channel.EMAIL
        newcomer.save()
    run_in_coop(coop, automations.run_cycle)
    messages = {m["To"]: m for m in smtp_mailers.wait_for(2)}
    for member, title in (
        (owner, "Livret d'accueil : Copropriétaires"),
        (newcomer, "Livret d'accueil : Accédants"),
    ):
        parser = Anchors()
        parser.feed(messages[member.email].get_body(preferencelist=("html",)).get_content())
        [(href, _label, heading, _before)] = [
            link for link in parser.links if link[1] == "Lire votre livret d'accueil"
        ]
        assert plain(heading) == title
        response = follow(href, settings)
        assert page_title(response).startswith(f"{title} – {coop.name}")


def test_booklet_pages_answer_for_each_profile_and_404_otherwise(coop, other_coop, demo_path):
    client = Client()
    for slug, title in (
        ("accedants", "Livret d'accueil : Accédants"),
        ("locataires", "Livret d'accueil : Locataires"),
        ("coproprietaires", "Livret d'accueil : Copropriétaires"),
    ):
        response = client.get(f"/c/{coop.slug}/livret-accueil/{slug}/")
        assert response.status_code == 200
        assert page_title(response).startswith(f"{title} – {coop.name}")
        pdf = client.get(f"/c/{coop.slug}/livret-accueil/{slug}.pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf_title(pdf.content) == f"{title} – {coop.name}"
        other = client.get(f"/c/{other_coop.slug}/livret-accueil/{slug}.pdf")
        assert pdf_title(other.content) == f"{title} – {other_coop.name}"
    assert client.get(f"/c/{coop.slug}/livret-accueil/inconnus/").status_code == 404
    assert client.get(f"/c/{coop.slug}/livret-accueil/inconnus.pdf").status_code == 404


def test_every_link_of_the_monthly_bulletin_and_its_letter_leads_where_it_says(
    coop, demo_path, smtp_mailers, settings
):
    from coopculture.campaigns import bulletin
    from coopculture.members.models import Purpose

    today = timezone.localdate()
    with scopes_disabled():
        row = run_in_coop(coop, bulletin.ensure_settings)
        row.enabled, row.day_of_month = True, min(today.day, 28)
        row.save()
    make_members(coop, 1, purpose=Purpose.BULLETIN)
    make_members(coop, 1, purpose=Purpose.BULLETIN, preferred_channel=Channel.POST)
    assert run_in_coop(coop, automations.run_cycle)["bulletins"] == 1
    [message] = smtp_mailers.wait_for(1)
    parser = Anchors()
    parser.feed(message.get_body(preferencelist=("html",)).get_content())
    labels = set()
    for href, label, heading, before in parser.links:
        check_promise(
            label, heading, follow(href, settings), coop=coop, booklet_title="", before=before
        )
        labels.add(plain(label).split(":")[0].strip())
    assert {"Tout le parcours Culture Coop'", "Les mots de la coop, expliqués simplement"} <= labels
    text = smtp_mailers.text_of(message)
    assert len(URL.findall(text)) == len({link[0] for link in parser.links})
    for url in URL.findall(text):
        assert follow(url, settings).status_code == 200, url
    with scopes_disabled():
        [batch] = LetterBatch.objects.filter(coop=coop)
        with batch.file.open("rb") as handle:
            pdf = handle.read()
    [code] = decoded_qr_codes(pdf)
    promised = re.search(r"(?:À regarder|À lire|À découvrir)[^:]*: (.+?) \(", pdf_text(pdf))
    assert promised and promised.group(1) in page_text(follow(code, settings))
