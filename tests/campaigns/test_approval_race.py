"""The admin approves one frozen version (docs/decisions/0014): the race where an editor
changes the campaign between the admin's review and the click is replayed; what leaves is
exactly what was approved. Real SMTP behind the bulk mailer."""

from html import unescape

import pytest
from django_scopes import scopes_disabled

from coopculture.campaigns.models import Send, SendStatus
from tests.campaigns.factories import make_members
from tests.campaigns.test_compose import base, reviewed, write_campaign
from tests.members.factories import make_programme, reserve

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def edit_behind_the_admins_back(editor, coop, send, **changes):
    """Back to draft, change, ask for approval again: all an editor may do."""
    url = base(coop) + f"{send.public_id}/"
    assert editor.post(url + "brouillon/").status_code == 302
    if "body" in changes:
        data = {
            "name": send.name,
            "purpose": "coop_news",
            "subject": "{first_name}, venez visiter le chantier",
            "preheader": "",
            "body": changes["body"],
        }
        assert editor.post(url + "texte/", data).status_code == 302
    if "programme" in changes:
        segment = {"programme": str(changes["programme"].public_id), "action": "save"}
        assert editor.post(url + "destinataires/", segment).status_code == 302
    assert editor.post(url + "soumettre/").status_code == 302


def status_of(send) -> str:
    with scopes_disabled():
        return Send.objects.get(pk=send.pk).status


def test_a_text_changed_after_the_review_is_not_approved(
    coop, users, client_for, demo_path, smtp_mailers, django_capture_on_commit_callbacks
):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    send = write_campaign(editor, coop)
    members = make_members(coop, 2)
    editor.post(base(coop) + f"{send.public_id}/soumettre/")
    approve = base(coop) + f"{send.public_id}/approbation/"
    shown = reviewed(admin, approve)  # the admin opens the review page...
    assert "Le chantier ouvre ses portes samedi." in text_of(admin.get(approve))
    # ... and meanwhile the editor swaps the text.
    edit_behind_the_admins_back(editor, coop, send, body="Bonjour,\n\nTexte changé en douce.")
    with django_capture_on_commit_callbacks(execute=True):
        refused = admin.post(approve, {"when": "now", **shown})
    assert refused.status_code == 409
    page = text_of(refused)
    assert "Le texte a changé après l'affichage de cette page (version 1, désormais version 2)" in (
        page
    )
    assert "rien n'a été approuvé" in page
    assert "Texte changé en douce." in page  # the new version, to review now
    assert status_of(send) == SendStatus.AWAITING_APPROVAL
    assert smtp_mailers.messages == []
    # The admin reviews the new version and approves it: exactly that leaves.
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(approve, {"when": "now", **reviewed(admin, approve)}).status_code == 302
    received = smtp_mailers.wait_for(2)
    assert sorted(m["To"] for m in received) == sorted(m.email for m in members)
    for message in received:
        text = smtp_mailers.text_of(message)
        assert "Texte changé en douce." in text and "ouvre ses portes" not in text
    with scopes_disabled():
        send.refresh_from_db()
        assert send.version.number == 2 and send.approved_by == users["admin"]


def test_recipients_changed_after_the_review_are_not_approved(
    coop, users, client_for, demo_path, smtp_mailers, django_capture_on_commit_callbacks
):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    send = write_campaign(editor, coop)
    programme = make_programme(coop, name="Les Embruns")
    [buyer] = make_members(coop, 1)
    reserve(coop, buyer, programme)
    make_members(coop, 3)
    url = base(coop) + f"{send.public_id}/"
    editor.post(url + "destinataires/", {"programme": str(programme.public_id), "action": "save"})
    editor.post(url + "soumettre/")
    approve = url + "approbation/"
    shown = reviewed(admin, approve)
    assert "1 coopérateur parmi les destinataires" in text_of(admin.get(approve))
    # Same text, other recipients: everyone.
    assert editor.post(url + "brouillon/").status_code == 302
    assert editor.post(url + "destinataires/", {"action": "save"}).status_code == 302
    assert editor.post(url + "soumettre/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        refused = admin.post(approve, {"when": "now", **shown})
    assert refused.status_code == 409
    assert "La campagne a changé après l'affichage de cette page" in text_of(refused)
    assert "4 coopérateurs parmi les destinataires" in text_of(refused)
    assert smtp_mailers.messages == [] and status_of(send) == SendStatus.AWAITING_APPROVAL


def test_an_approval_that_names_no_version_is_refused(coop, users, client_for, demo_path):
    editor, admin = client_for(users["editor"]), client_for(users["admin"])
    send = write_campaign(editor, coop)
    editor.post(base(coop) + f"{send.public_id}/soumettre/")
    response = admin.post(base(coop) + f"{send.public_id}/approbation/", {"when": "now"})
    assert response.status_code == 409
    assert "rien n'a été approuvé" in text_of(response)
    assert status_of(send) == SendStatus.AWAITING_APPROVAL
