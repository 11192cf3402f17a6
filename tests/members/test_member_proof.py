"""A link that arrived by email opens no personal data by itself (docs/decisions/0014):
the preferences page and the member's own export ask for a one-time code mailed to the
member's address, or a signed-in member. Campaign mail through a real SMTP server; the
links are the ones found in the received emails."""

import re
import time
from html import unescape

import pytest
from django_scopes import scopes_disabled

from django.test import Client

from coopculture.coops.models import AuditEvent
from coopculture.coops.scoping import coop_scope
from coopculture.members import proof, timeline
from coopculture.members.models import ConsentRecord, Member
from tests.campaigns.c2_factories import forget_prepared_versions
from tests.campaigns.factories import make_members, make_message, make_send, start
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

SECRETS = ("Nom", "@coop-a.test", "3 rue des Lilas", "Rennes", "Prénom")


@pytest.fixture(autouse=True)
def _fresh_worker_cache():
    forget_prepared_versions()


@pytest.fixture
def emailed(coop, smtp_mailers, settings):
    """A campaign received by one member: (member, the member's preferences path)."""
    [member] = make_members(coop, 1)
    start(coop, make_send(coop, make_message(coop)))
    [message] = smtp_mailers.wait_for(1)
    text = smtp_mailers.text_of(message)
    [url] = re.findall(r"https?://\S+/mes-donnees/\S+/", text)
    assert url.startswith(settings.SITE_URL)
    return member, url[len(settings.SITE_URL.rstrip("/")) :]


def code_from(sink, count: int, to: str) -> str:
    message = sink.wait_for(count)[count - 1]
    assert message["To"] == to
    [code] = re.findall(r"^\s+(\d{6})\s*$", sink.text_of(message), flags=re.M)
    return code


def page_of(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def assert_reveals_nothing(html: str, member: Member):
    for secret in (member.first_name, member.last_name, member.email, str(member.public_id)):
        assert secret not in html, secret
    for secret in SECRETS:
        assert secret not in html, secret


def test_the_emailed_link_opens_nothing_personal_until_the_code_is_typed(
    coop, emailed, smtp_mailers
):
    member, path = emailed
    browser = Client()
    for target in (path, path + "donnees/", path + "donnees.json"):
        response = browser.get(target)
        assert response.status_code == 200, target
        assert response.headers["Content-Type"].startswith("text/html"), target
        html = page_of(response)
        assert "Confirmez que c'est bien vous" in html, target
        assert_reveals_nothing(html, member)
        assert "no-store" in response.headers["Cache-Control"]
    assert len(smtp_mailers.messages) == 1  # a GET mails nobody (link scanners)

    asked = browser.post(path, {"proof": "send"})
    assert asked.status_code == 200
    assert "Un code vient d'être envoyé" in page_of(asked)
    assert_reveals_nothing(page_of(asked), member)
    code = code_from(smtp_mailers, 2, member.email)  # the member's address, from the coop

    wrong = browser.post(path, {"proof": "check", "code": "000000" if code != "000000" else "1"})
    assert wrong.status_code == 400
    assert "Ce code n'est pas le bon. Essais restants : 4." in page_of(wrong)
    right = browser.post(path + "donnees/", {"proof": "check", "code": code})
    assert right.status_code == 302 and right["Location"] == path + "donnees/"
    with scopes_disabled():
        actions = list(
            AuditEvent.objects.filter(coop=coop, actor=None)
            .order_by("id")
            .values_list("action", "data")
        )
    expected = {"member": str(member.public_id)}
    assert actions == [
        ("members.access_code_sent", expected),
        ("members.access_proven", expected),
    ]
    with coop_scope(coop):  # and on the member's timeline, for the coop's team
        labels = [e.label for e in timeline.member_timeline(coop=coop, member=member)]
    assert "Code d'accès envoyé au coopérateur" in labels
    assert "Pages personnelles ouvertes avec le code" in labels
    export = page_of(browser.get(path + "donnees/"))
    for shown in (member.last_name, member.email, "3 rue des Lilas"):
        assert shown in export, shown
    data = browser.get(path + "donnees.json").json()
    assert data["members.Member"][0]["email"] == member.email
    assert member.first_name in page_of(browser.get(path))  # the preferences page
    # Another browser with the same link still sees nothing.
    assert_reveals_nothing(page_of(Client().get(path + "donnees/")), member)


def test_a_code_works_once_in_the_browser_that_asked_for_it_with_five_tries(
    coop, emailed, smtp_mailers
):
    member, path = emailed
    browser = Client()
    browser.post(path, {"proof": "send"})
    code = code_from(smtp_mailers, 2, member.email)
    # Someone else who learnt the code (but not the session) gets nothing.
    thief = Client()
    stolen = thief.post(path, {"proof": "check", "code": code})
    assert stolen.status_code == 400
    assert_reveals_nothing(page_of(thief.get(path + "donnees/")), member)
    wrong = "111111" if code != "111111" else "222222"
    for left in (4, 3, 2, 1):
        page = page_of(browser.post(path, {"proof": "check", "code": wrong}))
        assert f"Essais restants : {left}." in page
    used_up = browser.post(path, {"proof": "check", "code": wrong})
    assert "Ce code ne fonctionne plus" in page_of(used_up)
    # Even the right code no longer opens anything: a new one must be asked.
    late = browser.post(path, {"proof": "check", "code": code})
    assert late.status_code == 400
    assert_reveals_nothing(page_of(browser.get(path + "donnees/")), member)


def test_at_most_three_codes_an_hour_per_member(coop, emailed, smtp_mailers):
    _member, path = emailed
    for _n in range(proof.CODES_PER_HOUR):
        Client().post(path, {"proof": "send"})
    smtp_mailers.wait_for(1 + proof.CODES_PER_HOUR)
    refused = Client().post(path, {"proof": "send"})
    assert "Plusieurs codes ont déjà été envoyés" in page_of(refused)
    time.sleep(0.3)
    assert len(smtp_mailers.messages) == 1 + proof.CODES_PER_HOUR


def test_the_proof_runs_out(coop, emailed, smtp_mailers, monkeypatch):
    member, path = emailed
    browser = Client()
    browser.post(path, {"proof": "send"})
    browser.post(path, {"proof": "check", "code": code_from(smtp_mailers, 2, member.email)})
    assert member.last_name in page_of(browser.get(path + "donnees/"))
    later = time.time() + proof.PROOF_TTL.total_seconds() + 1
    monkeypatch.setattr(proof.time, "time", lambda: later)
    assert_reveals_nothing(page_of(browser.get(path + "donnees/")), member)


def test_a_form_posted_without_proof_changes_nothing(coop, emailed):
    member, path = emailed
    with scopes_disabled():
        before = list(ConsentRecord.objects.filter(member=member).values_list("pk", flat=True))
    response = Client().post(
        path, {"preferred_channel": "post", "consent_coop_news": "no", "consent_bulletin": "yes"}
    )
    assert response.status_code == 403
    assert "rien n'a été enregistré" in page_of(response)
    with scopes_disabled():
        assert list(ConsentRecord.objects.filter(member=member).values_list("pk", flat=True)) == (
            before
        )
        assert Member.objects.get(pk=member.pk).preferred_channel == "email"


def test_the_member_signed_in_needs_no_code(coop, emailed, client_for):
    member, path = emailed
    user = make_user(member.email, password=None)
    with scopes_disabled():
        Member.objects.filter(pk=member.pk).update(user=user)
    assert member.last_name in page_of(client_for(user).get(path + "donnees/"))
    # Someone else's account is no proof.
    other = make_user("quelquun@example.org", password=None)
    assert_reveals_nothing(page_of(client_for(other).get(path + "donnees/")), member)


def test_a_member_without_email_is_told_to_contact_the_coop(coop, emailed, smtp_mailers):
    member, path = emailed
    with scopes_disabled():
        Member.objects.filter(pk=member.pk).update(email="")
    page = page_of(Client().post(path, {"proof": "send"}))
    assert "aucune adresse e-mail" in page and coop.contact_email in page
    time.sleep(0.3)
    assert len(smtp_mailers.messages) == 1
