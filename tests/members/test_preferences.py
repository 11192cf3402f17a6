"""The member's preferences page and own export, reached by a signed link without signing in."""

import re
from types import SimpleNamespace

import pytest
from django_scopes import scopes_disabled

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from coopculture.coops.models import AuditEvent
from coopculture.coops.scoping import coop_scope
from coopculture.members import links, services
from coopculture.members.models import (
    Channel,
    ConsentRecord,
    ConsentSource,
    LegalBasis,
    Member,
    Purpose,
)
from tests.members.factories import make_member, make_programme, prove, reserve

pytestmark = pytest.mark.django_db


def url_for(member, name: str = "preferences", token: str | None = None) -> str:
    from django.urls import reverse

    return reverse(
        f"members_public:{name}",
        kwargs={"coop_slug": member.coop.slug, "token": token or links.preferences_token(member)},
    )


def answers(**overrides) -> dict:
    """A full form submission: the channel and an answer per purpose."""
    data = {
        "preferred_channel": Channel.EMAIL,
        "consent_bulletin": "yes",
        "consent_coop_news": "no",
        "consent_sessions": "yes",
        "consent_ag_electronic": "no",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def ledger(member) -> list[ConsentRecord]:
    with scopes_disabled():
        return list(ConsentRecord.objects.filter(member=member).order_by("id"))


def reload(member) -> Member:
    with scopes_disabled():
        return Member.objects.get(pk=member.pk)


# --- Links ---------------------------------------------------------------------------------


def test_a_token_leads_back_to_its_member_only_in_its_coop(coop, other_coop):
    """The token names the coop and the member; under another coop it is worth nothing."""
    member = make_member(coop)
    token = links.preferences_token(member)
    assert str(member.public_id) not in token
    with coop_scope(coop):
        assert links.member_from_token(coop, token) == member
    with coop_scope(other_coop):
        assert links.member_from_token(other_coop, token) is None
    with coop_scope(coop):
        assert links.member_from_token(coop, token[:-2]) is None
        assert links.member_from_token(coop, "n'importe-quoi") is None


def test_the_link_is_absolute_and_short_enough_to_print(coop, settings):
    settings.SITE_URL = "https://culture-coop.example.org/"
    member = make_member(coop)
    url = links.preferences_url(member)
    assert url.startswith("https://culture-coop.example.org/c/coop-a/mes-donnees/")
    assert url.endswith("/")
    assert len(links.preferences_token(member)) < 90


def test_a_token_signed_for_something_else_is_refused(coop):
    """Same secret key, other salt (another kind of link): refused."""
    member = make_member(coop)
    value = links.preferences_token(member).rsplit(":", 2)[0]
    forged = signing.TimestampSigner(salt="another.purpose").sign(value)
    with coop_scope(coop):
        assert links.member_from_token(coop, forged) is None


# --- The page ------------------------------------------------------------------------------


def test_the_link_opens_the_page_without_signing_in(client, coop):
    """Anonymous visitor with the link: the page greets the member by first name only."""
    member = make_member(coop, first_name="Josiane", last_name="Le Goff")
    prove(client, member)
    response = client.get(url_for(member))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Josiane" in html
    assert "Le Goff" not in html
    assert coop.name in html
    assert html.count("<h1") == 1
    assert 'name="csrfmiddlewaretoken"' in html


def test_the_page_reveals_no_contact_details(client, coop):
    """A leaked link shows the first name and the coop, not the email, phone or address."""
    member = make_member(
        coop,
        email="josiane.legoff@example.org",
        phone="01 99 42 42 42",
        postal_address="7 rue des Lavandières\n99300 Vald'Orme-sur-Lys",
        external_ref="VO-4242",
        accessibility_notes="Malvoyante",
    )
    prove(client, member)
    html = client.get(url_for(member)).content.decode()
    for secret in (
        "josiane.legoff",
        "01 99 42 42 42",
        "0199424242",
        "Lavandières",
        "VO-4242",
        "Malvoyante",
        member.last_name,
        str(member.public_id),
    ):
        assert secret not in html, secret


def test_the_pages_are_private(client, coop):
    """Not cached, not indexed, and no Referer carrying the token anywhere: none at all
    from the exports and the invalid-link page, only the site's origin from the form's
    page (under "no-referrer" the form's POST would carry `Origin: null`, which Django's
    CSRF protection refuses)."""
    member = make_member(coop)
    prove(client, member)
    expected = {
        "preferences": "strict-origin",
        "export": "no-referrer",
        "export-json": "no-referrer",
    }
    for name, policy in expected.items():
        response = client.get(url_for(member, name))
        assert response.status_code == 200, name
        assert "no-store" in response.headers["Cache-Control"], name
        assert "noindex" in response.headers["X-Robots-Tag"], name
        assert response.headers["Referrer-Policy"] == policy, name
    invalid = client.get(url_for(member, token="abc"))
    assert invalid.status_code == 404
    assert "no-store" in invalid.headers["Cache-Control"]
    assert "noindex" in invalid.headers["X-Robots-Tag"]
    assert invalid.headers["Referrer-Policy"] == "no-referrer"


def test_channels_offered_follow_the_contact_details(client, coop):
    """Email only with an email address; phone and SMS only with a phone number."""
    without = make_member(coop, email="", phone="", preferred_channel=Channel.POST)
    prove(client, without)
    html = client.get(url_for(without)).content.decode()
    values = set(re.findall(r'name="preferred_channel" value="(\w+)"', html))
    assert values == {Channel.POST}
    complete = make_member(coop)
    prove(client, complete)
    html = client.get(url_for(complete)).content.decode()
    values = set(re.findall(r'name="preferred_channel" value="(\w+)"', html))
    assert values == {Channel.EMAIL, Channel.POST, Channel.PHONE, Channel.SMS}


def test_purposes_are_yes_no_questions_with_nothing_ticked_in_advance(client, coop):
    """Each purpose is a group of two radios in a fieldset; none is checked for a member
    never asked."""
    member = make_member(coop)
    prove(client, member)
    html = client.get(url_for(member)).content.decode()
    for purpose in Purpose.values:
        radios = re.findall(rf'<input type="radio" name="consent_{purpose}"[^>]*>', html)
        assert len(radios) == 2, purpose
        assert not any("checked" in radio for radio in radios), purpose
    assert 'type="checkbox"' not in html
    assert html.count("<fieldset") == 1 + len(Purpose.values)
    assert html.count("<legend") == 1 + len(Purpose.values)


def test_email_notices_of_the_ag_are_not_offered_without_an_email(client, coop):
    member = make_member(coop, email="", preferred_channel=Channel.POST)
    prove(client, member)
    html = client.get(url_for(member)).content.decode()
    assert 'name="consent_ag_electronic"' not in html
    assert 'name="consent_bulletin"' in html


def test_changed_consents_are_added_to_the_ledger_as_web_form_consents(client, coop):
    """Each answer that changes what is in force adds a row: web form, consent, no staff."""
    member = make_member(coop)
    prove(client, member)
    with coop_scope(coop):
        services.consent_record(
            coop=coop,
            member=member,
            purpose=Purpose.COOP_NEWS,
            granted=True,
            source=ConsentSource.IMPORT,
            legal_basis=LegalBasis.LEGITIMATE_INTEREST,
        )
    url = url_for(member)
    response = client.post(url, answers(consent_ag_electronic=None))
    assert response.status_code == 302
    assert response.headers["Location"] == url

    rows = ledger(member)[1:]
    assert {(r.purpose, r.granted) for r in rows} == {
        (Purpose.BULLETIN, True),
        (Purpose.COOP_NEWS, False),
        (Purpose.SESSIONS, True),
    }
    for row in rows:
        assert row.source == ConsentSource.WEB_FORM
        assert row.legal_basis == LegalBasis.CONSENT
        assert row.recorded_by is None
        assert row.note
    # Unanswered purposes record nothing.
    assert not any(r.purpose == Purpose.AG_ELECTRONIC for r in rows)
    assert reload(member).last_contact_at > member.last_contact_at


def test_the_confirmation_shows_on_the_same_page_with_the_answers_in_force(client, coop):
    member = make_member(coop)
    prove(client, member)
    url = url_for(member)
    response = client.post(url, answers(consent_ag_electronic="yes"), follow=True)
    assert response.redirect_chain == [(url, 302)]
    html = response.content.decode()
    assert 'class="message message--success"' in html
    checked = re.findall(
        r'<input type="radio" name="(consent_\w+)" value="(\w+)"[^>]*checked', html
    )
    assert sorted(checked) == sorted(
        [
            ("consent_ag_electronic", "yes"),
            ("consent_bulletin", "yes"),
            ("consent_coop_news", "no"),
            ("consent_sessions", "yes"),
        ]
    )


def test_submitting_the_same_answers_again_records_nothing(client, coop):
    member = make_member(coop)
    prove(client, member)
    url = url_for(member)
    client.post(url, answers())
    before = len(ledger(member))
    with scopes_disabled():
        audits = AuditEvent.objects.filter(coop=coop).count()
    response = client.post(url, answers(), follow=True)
    assert len(ledger(member)) == before == 4
    with scopes_disabled():
        assert AuditEvent.objects.filter(coop=coop).count() == audits
    assert 'class="message message--info"' in response.content.decode()


def test_the_channel_change_is_saved_and_audited(client, coop):
    member = make_member(coop, preferred_channel=Channel.EMAIL)
    prove(client, member)
    client.post(url_for(member), answers(preferred_channel=Channel.SMS))
    assert reload(member).preferred_channel == Channel.SMS
    with scopes_disabled():
        event = AuditEvent.objects.get(coop=coop, action="members.updated")
    assert event.actor is None
    assert event.data["fields"] == ["preferred_channel"]


def test_a_channel_the_member_cannot_use_is_refused(client, coop):
    """No email address: choosing email is an error, shown in the summary; nothing saved."""
    member = make_member(coop, email="", preferred_channel=Channel.POST)
    prove(client, member)
    response = client.post(url_for(member), answers(preferred_channel=Channel.EMAIL))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert reload(member).preferred_channel == Channel.POST
    assert ledger(member) == []


def test_a_token_of_coop_a_under_coop_b_is_not_found(client, coop, other_coop):
    member = make_member(coop)
    token = links.preferences_token(member)
    for name in ("preferences", "export", "export-json"):
        url = url_for(member, name, token).replace(f"/c/{coop.slug}/", f"/c/{other_coop.slug}/")
        assert client.get(url).status_code == 404, name
    url = url_for(member, token=token).replace(f"/c/{coop.slug}/", f"/c/{other_coop.slug}/")
    assert client.post(url, answers()).status_code == 404
    assert ledger(member) == []


def test_a_tampered_token_is_not_found(client, coop):
    member = make_member(coop)
    token = links.preferences_token(member)
    payload, timestamp, signature = token.split(":")
    tampered = f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}:{timestamp}:{signature}"
    response = client.get(url_for(member, token=tampered))
    assert response.status_code == 404
    assert coop.contact_email in response.content.decode()


def test_an_expired_token_says_so(client, coop, monkeypatch):
    """A link older than its maximum age: 410, with the way to get a new one."""
    member = make_member(coop)
    past = timezone.now().timestamp() - links.MAX_AGE.total_seconds() - 3600
    with monkeypatch.context() as m:
        m.setattr(signing, "time", SimpleNamespace(time=lambda: past))
        token = links.preferences_token(member)
    response = client.get(url_for(member, token=token))
    assert response.status_code == 410
    html = response.content.decode()
    assert coop.contact_email in html
    assert member.first_name not in html
    assert client.post(url_for(member, token=token), answers()).status_code == 410
    assert ledger(member) == []


def test_a_shorter_maximum_age_expires_existing_links(client, coop, monkeypatch):
    member = make_member(coop)
    token = links.preferences_token(member)
    monkeypatch.setattr(links, "MAX_AGE", timezone.timedelta(seconds=-1))
    assert client.get(url_for(member, token=token)).status_code == 410


def test_an_anonymised_members_link_no_longer_works(client, coop):
    member = make_member(coop)
    token = links.preferences_token(member)
    with coop_scope(coop):
        services.member_anonymise(coop=coop, actor=None, member=member)
    for name in ("preferences", "export", "export-json"):
        assert client.get(url_for(member, name, token)).status_code == 404, name


# --- The member's own export -----------------------------------------------------------------


def test_the_json_export_holds_the_members_data_and_is_audited(client, coop):
    member = make_member(coop, email="lea.moreau@example.org")
    prove(client, member)
    reserve(coop, member, make_programme(coop, name="Résidence Les Embruns"))
    client.post(url_for(member), answers())
    response = client.get(url_for(member, "export-json"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.json()
    assert data["member"] == str(member.public_id)
    assert data["members.Member"][0]["email"] == "lea.moreau@example.org"
    assert data["members.Member"][0]["last_name"] == member.last_name
    assert len(data["members.ConsentRecord"]) == 4
    assert len(data["members.Reservation"]) == 1
    with scopes_disabled():
        event = AuditEvent.objects.get(coop=coop, action="members.exported")
    assert event.actor is None
    assert event.data == {"member": str(member.public_id)}


def test_the_readable_export_shows_the_same_data(client, coop):
    member = make_member(coop, email="lea.moreau@example.org")
    prove(client, member)
    reserve(coop, member, make_programme(coop, name="Résidence Les Embruns"), lot_number="B07")
    client.post(url_for(member), answers())
    response = client.get(url_for(member, "export"))
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ("lea.moreau@example.org", member.last_name, "Résidence Les Embruns", "B07"):
        assert shown in html, shown
    assert html.count("<h1") == 1
    with scopes_disabled():
        assert AuditEvent.objects.filter(coop=coop, action="members.exported").count() == 1


def test_the_readable_export_names_no_staff_email(client, coop, users):
    """Who recorded a paper consent appears by name, never by email address."""
    member = make_member(coop)
    prove(client, member)
    with coop_scope(coop):
        services.consent_record(
            coop=coop,
            member=member,
            purpose=Purpose.SESSIONS,
            granted=True,
            source=ConsentSource.PAPER,
            actor=users["animateur"],
        )
    html = client.get(url_for(member, "export")).content.decode()
    assert users["animateur"].email not in html


def test_exports_answer_only_get(client, coop):
    member = make_member(coop)
    prove(client, member)
    assert client.post(url_for(member, "export-json")).status_code == 405
    assert client.post(url_for(member, "export")).status_code == 405


def test_a_coop_that_does_not_convene_by_email_never_asks_about_it(
    client, other_coop, users, client_for
):
    """The purpose exists only where the coop turned the setting on: not on the preferences
    page, not in the staff consent form, not in the list filter."""
    member = make_member(other_coop, email="m@example.org")
    prove(client, member)
    html = client.get(url_for(member)).content.decode()
    assert 'name="consent_ag_electronic"' not in html
    assert 'name="consent_bulletin"' in html

    staff = client_for(users["other_admin"])
    detail = reverse(
        "members_staff:member-detail",
        kwargs={"coop_slug": other_coop.slug, "member_id": member.public_id},
    )
    page = staff.get(detail).content.decode()
    assert 'value="ag_electronic"' not in page
    assert 'value="bulletin"' in page
    listing = staff.get(
        reverse("members_staff:member-list", kwargs={"coop_slug": other_coop.slug})
    ).content.decode()
    assert 'value="ag_electronic"' not in listing
    # Recorded anyway (by hand): refused, nothing is changed.
    response = staff.post(
        reverse(
            "members_staff:member-consent",
            kwargs={"coop_slug": other_coop.slug, "member_id": member.public_id},
        ),
        {"consent-purpose": "ag_electronic", "consent-granted": "yes", "consent-source": "paper"},
    )
    assert response.status_code == 200
    with coop_scope(other_coop):
        assert not ConsentRecord.objects.filter(member=member).exists()
