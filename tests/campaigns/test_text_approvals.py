"""Automations and the bulletin reach members only with approved texts (docs/decisions/0014):
an editor's change is pending, members keep getting the last approved text until an admin
approves exactly what they reviewed; the race (an edit after the admin loaded the page) is
replayed. Real SMTP behind the bulk mailer."""

import datetime as dt
import re
from html import unescape

import pytest
from django_scopes import scopes_disabled

from django.utils import timezone

from coopculture.campaigns import automations, bulletin
from coopculture.members.models import Purpose
from tests.campaigns.c2_factories import run_in_coop
from tests.campaigns.factories import make_members
from tests.members.factories import make_programme, reserve

pytestmark = pytest.mark.django_db

BASE = "/gestion/coop-a/envois/"
PENDING = "Modifications en attente d'approbation"


def text_of(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def review_of(client, url) -> str:
    page = client.get(url).content.decode()
    return re.search(r'<input type="hidden" name="review" value="([^"]*)"', page).group(1)


def welcome_text(subject: str, body: str, *, enabled: bool) -> dict:
    data = {
        "text-subject": subject,
        "text-preheader": "",
        "text-body": body,
        "text-video": "ma-coop-c-est-quoi:1",
    }
    if enabled:
        data["setting-enabled"] = "on"
    return data


def a_reservation(coop, programme, first_name: str):
    [member] = make_members(coop, 1, first_name=first_name)
    reserve(coop, member, programme, signed_on=timezone.localdate() - dt.timedelta(days=1))
    return member


def test_an_editors_change_to_an_automation_waits_for_an_admins_approval(
    coop, users, client_for, demo_path, smtp_mailers
):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    url = BASE + "automatismes/welcome/"
    approved = welcome_text(
        "Bienvenue {first_name}", "Bonjour {first_name},\n\nTexte approuvé.", enabled=True
    )
    assert admin.post(url, approved).status_code == 302  # the admin's save approves it
    changed = welcome_text(
        "Offre spéciale", "Bonjour {first_name},\n\nTexte non approuvé.", enabled=True
    )
    saved = editor.post(url, changed, follow=True)
    assert "Les coopérateurs continuent de recevoir le texte approuvé" in text_of(saved)
    page = text_of(editor.get(url))
    assert PENDING in page and "Un administrateur de la coop doit les approuver." in page
    assert 'name="review"' not in editor.get(url).content.decode()  # no approve button

    programme = make_programme(coop, name="Les Embruns")
    first = a_reservation(coop, programme, "Léa")
    run_in_coop(coop, automations.run_cycle)
    [message] = smtp_mailers.wait_for(1)
    assert message["To"] == first.email and message["Subject"] == "Bienvenue Léa"
    assert "Texte approuvé." in smtp_mailers.text_of(message)

    # The admin loads the page; the editor changes the text again meanwhile.
    shown = review_of(admin, url)
    again = welcome_text("Autre", "Bonjour {first_name},\n\nTexte changé en douce.", enabled=True)
    editor.post(url, again)
    refused = admin.post(url, {"action": "approve", "review": shown}, follow=True)
    assert "Le texte a changé après l'affichage de cette page" in text_of(refused)
    assert "rien n'a été approuvé" in text_of(refused)
    second = a_reservation(coop, programme, "Paul")
    run_in_coop(coop, automations.run_cycle)
    message = smtp_mailers.wait_for(2)[1]
    assert message["To"] == second.email
    assert "Texte approuvé." in smtp_mailers.text_of(message)

    # Approved as reviewed: the next member gets exactly that.
    done = admin.post(url, {"action": "approve", "review": review_of(admin, url)}, follow=True)
    assert "Approuvé : les coopérateurs reçoivent ce texte désormais." in text_of(done)
    assert PENDING not in text_of(admin.get(url))
    third = a_reservation(coop, programme, "Inès")
    run_in_coop(coop, automations.run_cycle)
    message = smtp_mailers.wait_for(3)[2]
    assert message["To"] == third.email and message["Subject"] == "Autre"
    assert "Texte changé en douce." in smtp_mailers.text_of(message)
    # Editors cannot approve.
    editor.post(url, welcome_text("Encore", "Encore.", enabled=False))
    assert editor.post(url, {"action": "approve", "review": "x"}).status_code == 403


def bulletin_today(coop):
    today = timezone.localdate()
    day = min(today.day, 28)
    with scopes_disabled():
        row = run_in_coop(coop, bulletin.ensure_settings)
        row.enabled, row.day_of_month = True, day
        row.save()
    return timezone.make_aware(dt.datetime.combine(today.replace(day=day), dt.time(10)))


def news(title: str, body: str) -> dict:
    return {
        "form": "news",
        "news-title": title,
        "news-body": body,
        "news-link_url": "",
        "news-link_label": "",
    }


def test_the_bulletins_news_and_text_by_an_editor_leave_only_once_approved(
    coop, users, client_for, demo_path, smtp_mailers
):
    editor = client_for(users["editor"])
    url = BASE + "bulletin/"
    now = bulletin_today(coop)
    make_members(coop, 1, purpose=Purpose.BULLETIN)
    editor.post(url, news("Fête des voisins", "Rendez-vous dans le jardin partagé."))
    editor.post(
        url,
        {
            "form": "text",
            "text-subject": "Sujet non approuvé",
            "text-preheader": "",
            "text-body": "Texte non approuvé.",
        },
    )
    assert PENDING in text_of(editor.get(url))
    run_in_coop(coop, bulletin.schedule_bulletin, now=now)
    [message] = smtp_mailers.wait_for(1)
    text = smtp_mailers.text_of(message)
    assert message["Subject"] == "Les nouvelles de votre coop"  # the approved default text
    assert "non approuvé" not in text and "Fête des voisins" not in text


def test_the_bulletin_leaves_with_the_news_the_admin_approved(
    coop, users, client_for, demo_path, smtp_mailers
):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    url = BASE + "bulletin/"
    now = bulletin_today(coop)
    make_members(coop, 1, purpose=Purpose.BULLETIN)
    editor.post(url, news("Fête des voisins", "Rendez-vous dans le jardin partagé."))
    shown = review_of(admin, url)
    editor.post(url, news("Fête des voisins", "Rendez-vous au parking, avec vos clés."))
    refused = admin.post(url, {"form": "approve", "review": shown}, follow=True)
    assert "Le texte a changé après l'affichage de cette page" in text_of(refused)
    assert PENDING in text_of(refused)
    admin.post(url, {"form": "approve", "review": review_of(admin, url)})
    assert PENDING not in text_of(admin.get(url))
    run_in_coop(coop, bulletin.schedule_bulletin, now=now)
    [message] = smtp_mailers.wait_for(1)
    assert "Rendez-vous au parking, avec vos clés." in smtp_mailers.text_of(message)


def test_an_admins_own_news_needs_no_second_step(coop, users, client_for, demo_path, smtp_mailers):
    admin = client_for(users["admin"])
    now = bulletin_today(coop)
    make_members(coop, 1, purpose=Purpose.BULLETIN)
    admin.post(BASE + "bulletin/", news("Assemblée", "Le 12 juin, à la salle des fêtes."))
    assert PENDING not in text_of(admin.get(BASE + "bulletin/"))
    run_in_coop(coop, bulletin.schedule_bulletin, now=now)
    [message] = smtp_mailers.wait_for(1)
    assert "Le 12 juin, à la salle des fêtes." in smtp_mailers.text_of(message)
