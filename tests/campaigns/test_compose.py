"""Writing, previewing, testing, approving and scheduling a campaign in the back office
(c2), with a real SMTP server behind the bulk mailer."""

import datetime as dt
import re
from html import unescape

import pytest
from django_scopes import scopes_disabled

from django.utils import timezone

from coopculture.campaigns import automations
from coopculture.campaigns.models import Recipient, RecipientState, Send, SendStatus
from coopculture.members.models import Channel
from tests.campaigns.c2_factories import run_in_coop
from tests.campaigns.factories import make_members
from tests.members.factories import make_programme, reserve

pytestmark = pytest.mark.django_db


def base(coop) -> str:
    return f"/gestion/{coop.slug}/envois/"


def write_campaign(client, coop) -> Send:
    response = client.post(
        base(coop) + "nouvelle/",
        {
            "name": "Visite de chantier",
            "purpose": "coop_news",
            "subject": "{first_name}, venez visiter le chantier",
            "preheader": "Samedi matin, avec un café",
            "body": "Bonjour {first_name},\n\nLe chantier ouvre ses portes samedi.",
            "video": "ma-coop-c-est-quoi:1",
            "testimonial": "du-chantier-aux-cles:1",
            "leaflet": "du-chantier-aux-cles:4",
            "next_module": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        send = Send.objects.get(coop=coop, name="Visite de chantier")
    assert response["Location"] == base(coop) + f"{send.public_id}/destinataires/"
    return send


def reviewed(client, url) -> dict:
    """The approval page's own frozen review: the version's id and the review hash it
    posts back with the admin's choice."""
    page = client.get(url).content.decode()
    return {
        name: re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page).group(1)
        for name in ("version", "review")
    }


def test_editor_writes_a_campaign_with_mooc_blocks_and_chooses_its_recipients(
    coop, users, client_for, demo_path
):
    editor = client_for(users["editor"])
    send = write_campaign(editor, coop)
    with scopes_disabled():
        assert send.status == SendStatus.DRAFT
        assert send.created_by == users["editor"]
        assert send.message.blocks == [
            {"type": "video", "module": "ma-coop-c-est-quoi", "position": 1},
            {"type": "testimonial", "module": "du-chantier-aux-cles", "position": 1},
            {"type": "leaflet", "module": "du-chantier-aux-cles", "position": 4},
            {"type": "next_module"},
        ]
    programme = make_programme(coop, name="Les Embruns")
    in_programme = make_members(coop, 3)
    by_post = make_members(coop, 1, preferred_channel=Channel.POST)
    make_members(coop, 2, consent=False)
    for member in in_programme + by_post:
        reserve(coop, member, programme)
    make_members(coop, 4)  # elsewhere

    url = base(coop) + f"{send.public_id}/destinataires/"
    page = editor.get(url).content.decode()
    assert "10 coopérateurs correspondent" in page  # everyone, before choosing
    # "Count" shows the figures for the filters without saving them.
    counted = editor.post(url, {"programme": str(programme.public_id), "action": "count"})
    text = " ".join(unescape(counted.content.decode()).split())
    assert "4 coopérateurs correspondent" in text
    assert "Opération : Les Embruns" in text  # (split() turned the no-break space into one)
    with scopes_disabled():
        send.refresh_from_db()
        assert send.segment == {}
    saved = editor.post(url, {"programme": str(programme.public_id), "action": "save"})
    assert saved.status_code == 302
    with scopes_disabled():
        send.refresh_from_db()
        assert send.segment == {"programme": str(programme.public_id)}
    detail = " ".join(editor.get(base(coop) + f"{send.public_id}/").content.decode().split())
    assert "4 coopérateurs parmi les destinataires" in detail


def test_the_preview_is_the_real_email_for_a_sample_member(
    coop, other_coop, users, client_for, demo_path
):
    editor = client_for(users["editor"])
    send = write_campaign(editor, coop)
    [_first, paul] = make_members(coop, 2)
    with scopes_disabled():
        Send.objects.filter(pk=send.pk).update(segment={})
    page = editor.get(base(coop) + f"{send.public_id}/apercu/?membre={paul.public_id}")
    html = page.content.decode()
    frame_url = unescape(re.search(r'<iframe[^>]* sandbox src="([^"]*)"', html).group(1))
    assert frame_url == base(coop) + f"{send.public_id}/apercu/courriel/?membre={paul.public_id}"
    frame = editor.get(frame_url)
    email = frame.content.decode()
    assert f"Bonjour {paul.first_name}," in email
    assert 'style="' in email  # the inlined HTML, as sent
    assert "Une coopérative Hlm en 3 minutes" in email
    assert "Ma check-list du jour de livraison" in email  # the leaflet
    assert "Votre prochain module" in email
    # Its own policy: inline styles yes, scripts no, framed by our pages only.
    policy = frame["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy and "script-src" not in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert client_for(users["other_admin"]).get(frame_url).status_code == 404
    assert f"{paul.first_name}, venez visiter le chantier" in unescape(html)  # the subject
    assert "<pre>" in html and "Le chantier ouvre ses portes samedi." in html  # plain text


def test_a_test_send_goes_to_the_staff_member_only_and_not_in_the_ledger(
    coop, users, client_for, demo_path, smtp_mailers
):
    editor = client_for(users["editor"])
    send = write_campaign(editor, coop)
    make_members(coop, 3)
    response = editor.post(base(coop) + f"{send.public_id}/test/")
    assert response.status_code == 302
    [message] = smtp_mailers.wait_for(1)
    assert message["To"] == "editor@coop-a.example.org"
    assert message["Subject"].startswith("[Test] ")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Le chantier ouvre ses portes samedi." in smtp_mailers.text_of(message)
    with scopes_disabled():
        assert not Recipient.objects.filter(coop=coop).exists()
        send.refresh_from_db()
        assert send.status == SendStatus.DRAFT


def test_only_an_admin_approves_then_it_leaves_once(
    coop, users, client_for, demo_path, smtp_mailers, django_capture_on_commit_callbacks
):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    send = write_campaign(editor, coop)
    members = make_members(coop, 3)
    assert editor.post(base(coop) + f"{send.public_id}/soumettre/").status_code == 302
    with scopes_disabled():
        send.refresh_from_db()
        assert send.status == SendStatus.AWAITING_APPROVAL
    # Editing is closed while it awaits approval.
    assert editor.get(base(coop) + f"{send.public_id}/texte/").status_code == 302
    # An editor cannot approve, not even someone else's campaign.
    approve = base(coop) + f"{send.public_id}/approbation/"
    assert editor.get(approve).status_code == 403
    assert editor.post(approve, {"when": "now"}).status_code == 403
    # The admin sees the count and the preview, then sends it now.
    page = " ".join(unescape(admin.get(approve).content.decode()).split())
    assert "3 coopérateurs parmi les destinataires" in page
    assert "/apercu/courriel/" in page and "Écrit par editor@coop-a.example.org" in page
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(approve, {"when": "now", **reviewed(admin, approve)}).status_code == 302
    messages = smtp_mailers.wait_for(3)
    assert sorted(m["To"] for m in messages) == sorted(m.email for m in members)
    with scopes_disabled():
        send.refresh_from_db()
        assert send.approved_by == users["admin"]
        assert send.status == SendStatus.DONE
        assert send.version is not None
    # A second approval does nothing: it is no longer awaiting approval.
    admin.post(approve, {"when": "now"})
    assert len(smtp_mailers.messages) == 3
    detail = " ".join(admin.get(base(coop) + f"{send.public_id}/").content.decode().split())
    assert "Remis" in detail


def test_a_scheduled_campaign_leaves_at_its_time_through_the_tick(
    coop, users, client_for, demo_path, smtp_mailers
):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    send = write_campaign(editor, coop)
    make_members(coop, 2)
    editor.post(base(coop) + f"{send.public_id}/soumettre/")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    approve = base(coop) + f"{send.public_id}/approbation/"
    when = {"when": "later", "date": tomorrow.isoformat(), "time": "08:30"}
    response = admin.post(approve, {**when, **reviewed(admin, approve)})
    assert response.status_code == 302
    with scopes_disabled():
        send.refresh_from_db()
        assert send.status == SendStatus.SCHEDULED
        assert timezone.localtime(send.scheduled_at).hour == 8
    assert run_in_coop(coop, automations.run_cycle)["scheduled"] == 0
    assert smtp_mailers.messages == []
    later = timezone.now() + dt.timedelta(days=2)
    assert run_in_coop(coop, automations.run_cycle, now=later)["scheduled"] == 1
    assert len(smtp_mailers.wait_for(2)) == 2
    assert run_in_coop(coop, automations.run_cycle, now=later)["scheduled"] == 0


def test_a_past_moment_is_refused(coop, users, client_for, demo_path):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    send = write_campaign(editor, coop)
    editor.post(base(coop) + f"{send.public_id}/soumettre/")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = admin.post(
        base(coop) + f"{send.public_id}/approbation/",
        {"when": "later", "date": yesterday.isoformat(), "time": "08:30"},
    )
    assert response.status_code == 200
    assert "Ce moment est déjà passé." in response.content.decode()
    with scopes_disabled():
        send.refresh_from_db()
        assert send.status == SendStatus.AWAITING_APPROVAL


def test_back_to_draft_lets_the_editor_change_it_again(coop, users, client_for, demo_path):
    editor = client_for(users["editor"])
    send = write_campaign(editor, coop)
    editor.post(base(coop) + f"{send.public_id}/soumettre/")
    editor.post(base(coop) + f"{send.public_id}/brouillon/")
    with scopes_disabled():
        send.refresh_from_db()
        assert send.status == SendStatus.DRAFT
    assert editor.get(base(coop) + f"{send.public_id}/texte/").status_code == 200


def test_the_editor_edits_an_automation_text_but_only_an_admin_switches_it_on(
    coop, users, client_for, demo_path
):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    url = base(coop) + "automatismes/welcome/"
    page = editor.get(url).content.decode()
    assert "Bienvenue chez vous" in unescape(page)
    assert "Seul un administrateur de la coop peut activer" in unescape(page)
    data = {
        "setting-enabled": "on",
        "text-subject": "Bienvenue, {first_name} !",
        "text-preheader": "",
        "text-body": "Bonjour {first_name},\n\nBienvenue à {coop}.",
        "text-video": "ma-coop-c-est-quoi:1",
    }
    assert editor.post(url, data).status_code == 302
    with scopes_disabled():
        setting = run_in_coop(coop, automations.ensure_settings)["welcome"]
        assert setting.message.subject == "Bienvenue, {first_name} !"
        assert setting.enabled is False  # the editor's switch was ignored (disabled field)
    assert admin.post(url, data).status_code == 302
    with scopes_disabled():
        setting.refresh_from_db()
        assert setting.enabled is True
    assert client_for(users["animateur"]).get(url).status_code == 403
    assert editor.get(base(coop) + "automatismes/nimporte/").status_code == 404


def test_the_send_list_shows_figures_without_test_sends(coop, users, client_for, demo_path):
    editor = client_for(users["editor"])
    send = write_campaign(editor, coop)
    page = editor.get(base(coop)).content.decode()
    assert send.name in page
    assert "Écrire un envoi" in unescape(page)


def test_letter_members_are_counted_apart(coop, users, client_for, demo_path):
    editor = client_for(users["editor"])
    send = write_campaign(editor, coop)
    make_members(coop, 2)
    make_members(coop, 1, preferred_channel=Channel.POST)
    make_members(coop, 1, email="")
    page = " ".join(editor.get(base(coop) + f"{send.public_id}/").content.decode().split())
    assert "<dt>E-mails</dt><dd>2</dd>" in page.replace("> <", "><")
    assert "<dt>Courriers à imprimer</dt><dd>1</dd>" in page.replace("> <", "><")
    with scopes_disabled():
        assert not Recipient.objects.filter(state=RecipientState.LETTER).exists()
