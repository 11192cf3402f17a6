"""Account hardening, end to end through the real allauth views (issue 12, section 2).

- Account pre-hijacking: an address only counts once its owner proved it (adding it,
  signing in with it, being invited at it).
- Sign-in codes cannot be guessed: an account's code sign-in locks after a few wrong codes
  (its owner is told by email), and so does a client trying many.
- Staff powers need the password, and TOTP for coop administrators and the federation,
  decided on every request from the roles held now (as is the staff idle timeout).
"""

import time
from urllib.parse import urlencode, urlparse

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django_scopes import scopes_disabled

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from coopculture.accounts import middleware as idle_middleware
from coopculture.coops.models import Membership, Role
from tests.conftest import PASSWORD, SMTPSink, add_member, make_user
from tests.test_auth_journeys import (
    CODE_LINE,
    DASHBOARD_A,
    RESET_LINK,
    _accept_path,
    _activate_totp,
    _invite,
    _membership,
    addresses,
    body_of,
    code_in,
    password_sign_in,
    request_code,
    signed_in_id,
    totp_code,
)

User = get_user_model()

VICTIM = "victime@example.org"
EMAIL_URL = "/compte/email/"
CONFIRM_CODE_URL = "/compte/login/code/confirm/"
# The French refusals (as the page escapes them).
ACCOUNT_LOCKED = (
    "saisis pour ce compte. Par sécurité, la connexion par code est suspendue jusqu&#x27;à"
)
CLIENT_LOCKED = "saisis depuis votre connexion. Par sécurité, la connexion par code est suspendue"


def _messages_to(sink: SMTPSink, email: str) -> list:
    return [m for m in sink.messages if email in addresses(m["To"])]


def _sign_in_by_code(client: Client, email: str, sink: SMTPSink) -> None:
    before = len(_messages_to(sink, email))
    assert request_code(client, email).status_code == 302
    deadline = time.monotonic() + 10
    while len(_messages_to(sink, email)) <= before and time.monotonic() < deadline:
        time.sleep(0.05)
    response = client.post(CONFIRM_CODE_URL, {"code": code_in(_messages_to(sink, email)[-1])})
    assert response.status_code == 302, body_of(response)


def _attacker(sink: SMTPSink) -> tuple[Client, object]:
    """A member who signed in by code with their own mailbox."""
    client = Client()
    _sign_in_by_code(client, "attaquant@example.org", sink)
    return client, User.objects.get(email="attaquant@example.org")


# --- 1. Account pre-hijacking -----------------------------------------------------------


def test_an_added_address_is_attached_only_once_its_code_is_typed(coop, users, smtp_mailers):
    """Adding an address at /compte/email/ sends a code to that address and attaches
    nothing until the code is typed; with the code (the mailbox owner) it is attached,
    verified."""
    client, _attacker_user = _attacker(smtp_mailers)

    response = client.post(EMAIL_URL, {"action_add": "", "email": VICTIM})

    assert response.status_code == 302
    assert not EmailAddress.objects.filter(email__iexact=VICTIM).exists()
    smtp_mailers.wait_for(2)
    assert len(_messages_to(smtp_mailers, VICTIM)) == 1
    page = client.get(response["Location"])
    assert page.status_code == 200
    # Without the code, the address stays out, whatever is typed.
    client.post(response["Location"], {"code": "000000"})
    assert not EmailAddress.objects.filter(email__iexact=VICTIM).exists()

    # The legitimate case: the owner of both mailboxes types the code.
    owner = Client()
    _sign_in_by_code(owner, "deux.adresses@example.org", smtp_mailers)
    response = owner.post(EMAIL_URL, {"action_add": "", "email": "seconde@example.org"})
    confirm_url = response["Location"]
    response = owner.post(
        confirm_url, {"code": code_in(_messages_to(smtp_mailers, "seconde@example.org")[-1])}
    )
    assert response.status_code == 302
    address = EmailAddress.objects.get(email="seconde@example.org")
    assert address.verified is True
    assert address.user.email == "deux.adresses@example.org"


def test_the_owner_of_an_address_added_elsewhere_gets_their_own_account(coop, users, smtp_mailers):
    """The attack, replayed: an account holds the victim's address unverified (added before
    the fix, or by any other path). The victim's code sign-in opens a fresh account of
    their own, never the attacker's, and the attacker's copy of the address goes."""
    _client, attacker = _attacker(smtp_mailers)
    EmailAddress.objects.create(user=attacker, email=VICTIM, primary=False, verified=False)

    victim = Client()
    _sign_in_by_code(victim, VICTIM, smtp_mailers)

    victim_user = User.objects.get(email=VICTIM)
    assert victim_user.pk != attacker.pk
    assert signed_in_id(victim) == str(victim_user.pk)
    assert EmailAddress.objects.get(email=VICTIM, verified=True).user_id == victim_user.pk
    assert not EmailAddress.objects.filter(user=attacker, email=VICTIM).exists()


def test_an_unverified_main_address_of_a_used_account_opens_nothing(coop, users, smtp_mailers):
    """Even as an account's main address (e.g. made primary while unproven, before the fix),
    an unverified address does not open that account by code, and no code is sent."""
    _client, attacker = _attacker(smtp_mailers)
    EmailAddress.objects.filter(user=attacker).update(primary=False)
    EmailAddress.objects.create(user=attacker, email=VICTIM, primary=True, verified=False)
    User.objects.filter(pk=attacker.pk).update(email=VICTIM)
    count = len(_messages_to(smtp_mailers, VICTIM))

    victim = Client()
    request_code(victim, VICTIM)
    victim.post(CONFIRM_CODE_URL, {"code": "123456"})

    assert signed_in_id(victim) is None
    time.sleep(0.3)
    for message in _messages_to(smtp_mailers, VICTIM)[count:]:
        assert not CODE_LINE.findall(SMTPSink.text_of(message))


def test_a_password_never_signs_in_through_an_unverified_address(coop, users, smtp_mailers):
    """With an unverified address on their account, its holder cannot sign in with it and
    their password, and a password reset for that address sends no link to that account."""
    editor = users["editor"]
    EmailAddress.objects.create(user=editor, email=VICTIM, primary=False, verified=False)

    client = Client()
    response = password_sign_in(client, VICTIM, PASSWORD)
    assert response.status_code == 200
    assert signed_in_id(client) is None
    # Through the verified address, the same password works.
    assert password_sign_in(Client(), editor.email, PASSWORD).status_code == 302

    Client().post(reverse("account_reset_password"), {"email": VICTIM})
    time.sleep(0.3)
    for message in _messages_to(smtp_mailers, VICTIM):
        assert not RESET_LINK.search(SMTPSink.text_of(message))


def test_an_invitation_needs_the_invited_address_verified_on_the_account(
    coop, users, client_for, smtp_mailers
):
    """An invitation to the victim's address cannot be accepted by an account holding that
    address unverified, even as its main address: 403 and no membership; the victim, once
    they proved the address, can."""
    _client, attacker = _attacker(smtp_mailers)
    EmailAddress.objects.create(user=attacker, email=VICTIM, primary=False, verified=False)
    invitation = _invite(coop, users["admin"], VICTIM)
    path = _accept_path(invitation)
    attacker_client = client_for(attacker)

    assert attacker_client.get(path).status_code == 403
    assert attacker_client.post(path).status_code == 403
    # Even with the address as the account's main address.
    User.objects.filter(pk=attacker.pk).update(email=VICTIM)
    attacker.refresh_from_db()
    assert attacker_client.post(path).status_code == 403
    assert _membership(coop, attacker) is None
    User.objects.filter(pk=attacker.pk).update(email="attaquant@example.org")

    victim = Client()
    _sign_in_by_code(victim, VICTIM, smtp_mailers)
    response = victim.post(path)
    assert response.status_code == 302
    victim_user = User.objects.get(email=VICTIM)
    assert _membership(coop, victim_user).role == Role.EDITOR


# --- 2. Sign-in codes cannot be guessed -------------------------------------------------


def test_an_account_locks_code_sign_in_after_five_wrong_codes(coop, users, smtp_mailers):
    """After 5 wrong codes within the hour (over several code requests), code sign-in is
    suspended for the account: the owner gets one email saying so and until when (through
    the transactional mailer), and a new code request is refused with a French message
    saying until when, sending no code."""
    assert settings.LOGIN_CODE_FAILURES["per_account"] == 5
    member = users["member"]
    first = Client()
    request_code(first, member.email)
    for _attempt in range(2):
        first.post(CONFIRM_CODE_URL, {"code": "000001"})
    second = Client()
    request_code(second, member.email)
    for _attempt in range(2):
        second.post(CONFIRM_CODE_URL, {"code": "000001"})
    smtp_mailers.wait_for(2)
    assert not [m for m in smtp_mailers.messages if "suspendue" in str(m["Subject"])]

    second.post(CONFIRM_CODE_URL, {"code": "000001"})  # the fifth

    notice = smtp_mailers.wait_for(3)[-1]
    assert addresses(notice["To"]) == [member.email]
    assert str(notice["Subject"]) == "Connexion par code suspendue sur votre compte"
    assert notice["From"] == settings.DEFAULT_FROM_EMAIL
    text = SMTPSink.text_of(notice)
    assert "plusieurs codes de connexion erronés" in text
    assert "suspendue jusqu'à" in text

    refused = Client().post(reverse("account_request_login_code"), {"email": member.email})
    assert refused.status_code == 200
    assert ACCOUNT_LOCKED in body_of(refused)
    time.sleep(0.3)
    assert len(smtp_mailers.messages) == 3  # no code sent, one notice only
    assert User.objects.get(pk=member.pk).last_login is None


def test_the_right_code_is_refused_while_the_account_is_locked(coop, users, smtp_mailers):
    """A code asked for before the lock, typed right after it engaged, does not sign in:
    the page says until when code sign-in is suspended."""
    member = users["member"]
    waiting = Client()
    request_code(waiting, member.email)
    smtp_mailers.wait_for(1)
    right_code = code_in(_messages_to(smtp_mailers, member.email)[-1])
    guesser = Client()
    request_code(guesser, member.email)
    for _attempt in range(2):
        guesser.post(CONFIRM_CODE_URL, {"code": "000001"})
    guesser = Client()
    request_code(guesser, member.email)
    for _attempt in range(3):
        guesser.post(CONFIRM_CODE_URL, {"code": "000001"})

    response = waiting.post(CONFIRM_CODE_URL, {"code": right_code})

    assert signed_in_id(waiting) is None
    assert response.status_code == 200
    assert ACCOUNT_LOCKED in body_of(response)
    assert User.objects.get(pk=member.pk).last_login is None


def test_one_client_trying_many_accounts_is_locked_out(coop, users, smtp_mailers, settings):
    """Past the per-client limit of wrong codes (spread over several accounts, none of them
    locked), that client can no longer sign in by code, even with a right code; another
    client can."""
    settings.LOGIN_CODE_FAILURES = {**settings.LOGIN_CODE_FAILURES, "per_ip": 4}
    for index in range(2):
        client = Client(REMOTE_ADDR="203.0.113.9")
        request_code(client, f"cible{index}@example.org")
        for _attempt in range(2):
            client.post(CONFIRM_CODE_URL, {"code": "000001"})

    member = users["member"]
    blocked = Client(REMOTE_ADDR="203.0.113.9")
    response = blocked.post(reverse("account_request_login_code"), {"email": member.email})
    assert response.status_code == 200
    assert CLIENT_LOCKED in body_of(response)

    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    _sign_in_by_code(elsewhere, member.email, smtp_mailers)
    assert signed_in_id(elsewhere) == str(member.pk)


# --- 2. Staff powers need the password, and TOTP for administrators ---------------------


def test_an_editor_signed_in_by_code_before_getting_a_role_gets_no_staff_powers(
    coop, users, smtp_mailers
):
    """A member signs in by code, then is given a role: the back office signs them out and
    sends them to the password form, in French (no staff powers from a code session)."""
    user = make_user("promue@example.org")  # a member who also has a password
    client = Client()
    _sign_in_by_code(client, user.email, smtp_mailers)
    add_member(coop, user, Role.EDITOR)

    response = client.get(DASHBOARD_A)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?" + urlencode({"next": DASHBOARD_A})
    assert signed_in_id(client) is None
    page = client.get(response["Location"])
    assert "Les comptes d&#x27;équipe se connectent avec leur adresse e-mail" in body_of(page)
    # With the password, the back office opens.
    assert password_sign_in(client, user.email, PASSWORD, next_url=DASHBOARD_A).status_code == 302
    assert client.get(DASHBOARD_A).status_code == 200


def test_a_code_asked_as_a_member_and_typed_after_getting_a_role_is_refused(
    coop, users, smtp_mailers
):
    """The role arrives between the code request and the code: the code no longer signs in."""
    client = Client()
    request_code(client, "entre.deux@example.org")
    code = code_in(smtp_mailers.wait_for(1)[-1])
    user = User.objects.get(email="entre.deux@example.org")
    add_member(coop, user, Role.ANIMATEUR)

    response = client.post(CONFIRM_CODE_URL, {"code": code})

    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_login")
    assert signed_in_id(client) is None
    page = client.get(response["Location"])
    assert "Les comptes d&#x27;équipe se connectent avec leur adresse e-mail" in body_of(page)


def test_an_admin_without_totp_sets_it_up_before_any_staff_page(coop, users):
    """A coop administrator signed in with the password reaches no back-office page before
    setting up TOTP (French message); once set up, the back office opens; the next sign-in
    asks for the code, and the administrator cannot turn TOTP off."""
    admin = users["admin"]
    client = Client()
    assert password_sign_in(client, admin.email, PASSWORD, next_url=DASHBOARD_A).status_code == 302

    response = client.get(DASHBOARD_A)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password again before adding a second factor.
    response = client.get(response["Location"])
    assert urlparse(response["Location"]).path == reverse("account_reauthenticate")
    page = client.get(response["Location"])
    assert "doivent utiliser la vérification en deux étapes" in body_of(page)
    client.post(response["Location"], {"password": PASSWORD})
    assert client.get(DASHBOARD_A)["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(DASHBOARD_A).status_code == 200

    # TOTP stays on: deactivating it is refused.
    totp = Authenticator.objects.get(user=admin, type=Authenticator.Type.TOTP)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(pk=totp.pk).exists()

    client.post(reverse("account_logout"))
    again = Client()
    response = password_sign_in(again, admin.email, PASSWORD, next_url=DASHBOARD_A)
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_id(again) is None


def test_an_editor_promoted_to_admin_must_give_totp(coop, users, client_for):
    """An editor's password session becomes an administrator's: with TOTP already set up
    but not given in this session, the back office asks to sign in again."""
    editor = users["editor"]
    client = Client()
    password_sign_in(client, editor.email, PASSWORD)
    assert client.get(DASHBOARD_A).status_code == 200
    _activate_totp(client_for(editor), editor)
    with scopes_disabled():
        Membership.objects.filter(coop=coop, user=editor).update(role=Role.ADMIN)

    response = client.get(DASHBOARD_A)

    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_login")
    assert signed_in_id(client) is None
    assert "Votre compte demande désormais la vérification en deux étapes" in body_of(
        client.get(response["Location"])
    )


def test_the_federation_needs_totp_too(coop, users):
    """A federation account signed in with its password only is sent to set up TOTP
    before the federation space."""
    client = Client()
    password_sign_in(client, users["federation"].email, PASSWORD)

    response = client.get("/federation/")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


# --- 3. The staff idle timeout follows the roles held now --------------------------------


def test_a_member_session_that_gains_a_role_gets_the_idle_timeout(coop, users, client_for):
    """A member's session (already used as a member) whose user is then given a role ends
    after STAFF_IDLE_TIMEOUT without a request, like any staff session."""
    member = users["member"]
    client = client_for(member)
    assert client.get(reverse("spaces")).status_code == 200
    add_member(coop, member, Role.ANIMATEUR)
    session = client.session
    session[idle_middleware.SESSION_LAST_SEEN] = int(time.time()) - settings.STAFF_IDLE_TIMEOUT - 60
    session.save()

    response = client.get(DASHBOARD_A)

    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_login")
    assert signed_in_id(client) is None


def test_a_session_idle_since_sign_in_ends_on_its_first_staff_request(
    coop, users, client_for, monkeypatch
):
    """A member session never used since sign-in, whose user then gets a role: idleness
    counts from the sign-in, so past the limit the first staff request signs it out."""
    member = users["member"]
    client = client_for(member)
    add_member(coop, member, Role.EDITOR)
    later = time.time() + settings.STAFF_IDLE_TIMEOUT + 60

    class Clock:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr(idle_middleware, "time", Clock)
    response = client.get(DASHBOARD_A)

    assert response.status_code == 302
    assert signed_in_id(client) is None


@pytest.mark.parametrize("actor", ["editor", "admin", "federation"])
def test_staff_with_a_complete_sign_in_keep_their_pages(actor, coop, users, client_for):
    """The rules refuse nothing to a session that gave what the role needs."""
    url = "/federation/" if actor == "federation" else DASHBOARD_A
    assert client_for(users[actor]).get(url).status_code == 200


def test_operator_accounts_sign_in_through_their_verified_address(db):
    """Accounts an operator created with no address row (before this change) are given a
    verified address by migration 0002 and keep signing in with their password; new
    superusers come with one."""
    import importlib

    from django.apps import apps

    operator = User.objects.create_user(email="exploitation@example.org", password=PASSWORD)
    assert password_sign_in(Client(), operator.email, PASSWORD).status_code == 200  # refused

    migration = importlib.import_module(
        "coopculture.accounts.migrations.0002_verify_operator_addresses"
    )
    migration.verify_operator_addresses(apps, None)

    assert EmailAddress.objects.get(user=operator).verified is True
    client = Client()
    assert password_sign_in(client, operator.email, PASSWORD).status_code == 302
    assert signed_in_id(client) == str(operator.pk)
    root = User.objects.create_superuser(email="racine@example.org", password=PASSWORD)
    assert EmailAddress.objects.get(user=root).verified is True


def test_an_invitation_to_a_verified_secondary_address_asks_to_sign_in(client, coop, users):
    """Invited at an address an account holds verified (not as its main address), the link
    asks to sign in rather than offering to create a second account for it; once signed
    in, that account joins."""
    invited = users["other_admin"]  # in coop B's team, not coop A's
    EmailAddress.objects.create(user=invited, email="pro@example.org", verified=True)
    invitation = _invite(coop, users["admin"], "pro@example.org", role=Role.EDITOR)
    path = _accept_path(invitation)

    page = client.get(path)

    assert page.status_code == 200
    assert 'name="password1"' not in body_of(page)
    assert User.objects.filter(email__iexact="pro@example.org").count() == 0
    password_sign_in(client, invited.email, PASSWORD)
    assert client.post(path).status_code == 302
    assert _membership(coop, invited).role == Role.EDITOR
    with scopes_disabled():
        invitation.refresh_from_db()
    assert invitation.accepted_at is not None
