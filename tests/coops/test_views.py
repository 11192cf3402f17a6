"""The back office pages, as a coop administrator uses them."""

import pytest
from django_scopes import scopes_disabled

from coopculture.coops.models import AuditEvent, Coop, Invitation
from tests.coops.test_branding import image_file

pytestmark = pytest.mark.django_db


def settings_data(coop: Coop, **changes) -> dict:
    data = {
        "name": coop.name,
        "legal_form": coop.legal_form,
        "activities": coop.activities,
        "main_colour": coop.main_colour,
        "contact_email": coop.contact_email,
        "contact_phone": "",
        "postal_address": "",
        "website": "",
        "retention_years": coop.retention_years,
    }
    if coop.tracks_ag_email_consent:  # a checkbox: sent only when ticked
        data["tracks_ag_email_consent"] = "on"
    data.update(changes)
    return data


def test_an_admin_saves_the_profile_with_a_logo(coop, users, client_for):
    client = client_for(users["admin"])
    data = settings_data(coop, contact_phone="01 99 00 00 01", logo=image_file())
    response = client.post("/gestion/coop-a/coop/", data, follow=True)
    assert response.status_code == 200
    coop.refresh_from_db()
    assert coop.contact_phone == "01 99 00 00 01"
    assert coop.logo.name.startswith(f"coops/{coop.uuid}/logo-")
    with scopes_disabled():
        event = AuditEvent.objects.get(coop=coop, action="coop.settings_changed")
    assert set(event.data["fields"]) == {"contact_phone", "logo"}
    assert "enregistr" in response.content.decode()  # « Les réglages ... sont enregistrés »


def test_bad_input_is_explained_in_french_and_changes_nothing(coop, users, client_for):
    client = client_for(users["admin"])
    data = settings_data(coop, name="Nouveau nom", main_colour="vert", contact_email="pas-un-mail")
    response = client.post("/gestion/coop-a/coop/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="error-summary"' in body
    assert 'href="#id_main_colour"' in body and 'href="#id_contact_email"' in body
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_main_colour_helptext id_main_colour_error"' in body
    assert "Saisissez" in body or "saisir" in body.lower()  # a French message
    coop.refresh_from_db()
    assert coop.name == "Coop A"


def test_a_light_colour_is_accepted_and_shown_darkened(coop, users, client_for):
    client = client_for(users["admin"])
    client.post("/gestion/coop-a/coop/", settings_data(coop, main_colour="#FFD700"))
    coop.refresh_from_db()
    assert coop.main_colour == "#FFD700"
    page = client.get("/gestion/coop-a/coop/").content.decode()
    assert coop.safe_colour in page
    assert f"--coop-colour: {coop.safe_colour};" in client.get("/c/coop-a/").content.decode()


def test_a_fake_image_logo_is_refused(coop, users, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(users["admin"])
    data = settings_data(coop, logo=SimpleUploadedFile("logo.png", b"not an image"))
    response = client.post("/gestion/coop-a/coop/", data)
    assert 'href="#id_logo"' in response.content.decode()
    coop.refresh_from_db()
    assert not coop.logo


def test_inviting_with_a_bad_address_shows_the_error_summary(coop, users, client_for):
    client = client_for(users["admin"])
    response = client.post(
        "/gestion/coop-a/equipe/", {"email": "pas-une-adresse", "role": "editor"}
    )
    body = response.content.decode()
    assert 'href="#id_email"' in body
    with scopes_disabled():
        assert not Invitation.objects.exists()


def test_the_activity_log_reads_in_french(
    coop, users, client_for, django_capture_on_commit_callbacks
):
    client = client_for(users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/gestion/coop-a/equipe/", {"email": "nouveau@example.org", "role": "animateur"}
        )
    body = client.get("/gestion/coop-a/journal/").content.decode()
    assert "Invitation envoyée" in body
    assert "nouveau@example.org" in body
    assert "team.invited" not in body


# --- The dashboard: what is done, live figures, per coop ------------------------------------


def dashboard_world(coop, n: int):
    """`n` of everything the dashboard counts, in `coop`: members (one by post), a tracked
    flyer link with visits, learners, emails delivered."""
    import uuid

    from coopculture.campaigns.models import Recipient, RecipientState
    from coopculture.kit.models import LinkDailyCount
    from coopculture.learning.models import EventKind, LearningEvent
    from tests.campaigns.factories import make_members, make_send
    from tests.kit.test_links_redirect import make_link
    from tests.learning.factories import make_module

    members = make_members(coop, n)
    make_members(coop, 1, preferred_channel="post")
    link = make_link(coop, channel="flyer", label=f"Flyer {uuid.uuid4().hex[:4]}")
    send = make_send(coop)
    module = make_module()
    with scopes_disabled():
        import datetime as dt

        for i in range(n):
            LinkDailyCount.objects.create(
                coop=coop, link=link, day=dt.date(2026, 1, 1) + dt.timedelta(days=i), visits=2
            )
            LearningEvent.objects.create(
                coop=coop, learner_key=uuid.uuid4(), kind=EventKind.MODULE_STARTED, module=module
            )
        Recipient.objects.bulk_create(
            [
                Recipient(
                    coop=coop,
                    send=send,
                    member=member,
                    email=member.email,
                    state=RecipientState.SENT,
                    idempotency_key=uuid.uuid4().hex,
                )
                for member in members
            ]
        )


def stat(page: str, label: str) -> str:
    import re

    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", page)
    assert match, label
    return match.group(1)


def test_the_dashboard_shows_what_is_done_and_live_figures_of_its_own_coop_only(
    coop, other_coop, users, client_for
):
    dashboard_world(coop, 3)
    dashboard_world(other_coop, 7)  # never counted in coop A's figures
    page = client_for(users["admin"]).get(f"/gestion/{coop.slug}/").content.decode()
    assert "Prochainement" not in page and "À venir" not in page
    assert stat(page, "Coopérateurs") == "4"
    assert stat(page, "Préfèrent les courriers par la poste") == "1"
    assert stat(page, "Apprenants") == "3"
    assert stat(page, "Modules commencés") == "3"
    assert stat(page, "Visites en tout") == "6"
    assert stat(page, "Visites : Flyer") == "6"
    assert stat(page, "E-mails remis") == "3"
    for path in ("membres/import/", "kit/", "envois/", "liens/chiffres/"):
        assert f'href="/gestion/{coop.slug}/{path}' in page, path
    # An animateur sees the figures, not the links to pages the role cannot open.
    page = client_for(users["animateur"]).get(f"/gestion/{coop.slug}/").content.decode()
    assert stat(page, "E-mails remis") == "3"
    assert f'href="/gestion/{coop.slug}/envois/' not in page
    assert f'href="/gestion/{coop.slug}/membres/import/' not in page
