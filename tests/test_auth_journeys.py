"""Authentication journeys, end to end through the views (and a real SMTP server for mail).

Members sign in with a code sent by email; staff sign in with a password (and TOTP when
they turned it on), join a coop's team by invitation, and their sessions end when idle.
Nobody signs up through a public form.
"""

import re
import time
from datetime import timedelta
from email.utils import getaddresses, parseaddr
from urllib.parse import urlencode, urlparse

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.models import EmailAddress
from allauth.core.internal.cryptokit import normalize_user_code
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django_scopes import scopes_disabled

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from coopculture.accounts import middleware as idle_middleware
from coopculture.accounts.forms import RequestLoginCodeForm
from coopculture.coops import services as coop_services
from coopculture.coops.models import Invitation, Membership, Role
from tests.conftest import PASSWORD, SMTPSink, make_user

User = get_user_model()

NEW_PASSWORD = "un-autre-mot-de-passe-99"
DASHBOARD_A = "/gestion/coop-a/"
# The sign-in code stands alone on an indented line of the email (login_code_message.txt).
CODE_LINE = re.compile(r"^[ \t]+([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)[ \t\r]*$", re.MULTILINE)
RESET_LINK = re.compile(r"https?://[^\s]+/compte/password/reset/key/[^\s]+/")
INVITATION_LINK = re.compile(r"https?://[^\s]+/invitation/[^\s/]+/")


# --- Helpers ---------------------------------------------------------------------------------


def signed_in_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def fr(message) -> str:
    """A message as the (French-only) site renders it."""
    with translation.override("fr"):
        return str(message)


def body_of(response) -> str:
    return response.content.decode()


def addresses(header) -> list[str]:
    return [address.lower() for _name, address in getaddresses([str(header)])]


def code_in(message) -> str:
    text = SMTPSink.text_of(message)
    codes = CODE_LINE.findall(text)
    assert len(codes) == 1, f"expected one code in the email, found {codes!r}:\n{text}"
    return codes[0]


def request_code(client: Client, email: str):
    return client.post(reverse("account_request_login_code"), {"email": email})


def password_sign_in(client: Client, email: str, password: str, next_url: str | None = None):
    url = reverse("account_login")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return client.post(url, {"login": email, "password": password})


def totp_code(secret: str) -> str:
    """The current code of an authenticator app, computed with allauth's own HOTP.

    allauth accepts only the current period (MFA_TOTP_TOLERANCE is 0): near the end of a
    period, wait for the next one so that the code is still valid when it is posted.
    """
    period = mfa_settings.TOTP_PERIOD
    if time.time() % period > period - 2:
        time.sleep(period - time.time() % period + 0.1)
    counter = int(time.time()) // period
    return format_hotp_value(hotp_value(secret, counter))


def a_wrong_totp_code(secret: str) -> str:
    accepted = {format_hotp_value(hotp_value(secret, c)) for c in yield_hotp_counters_from_time()}
    for candidate in ("000000", "111111", "222222", "333333"):
        if candidate not in accepted:
            return candidate
    raise AssertionError("unreachable")


def assert_transactional_sender(message, envelope) -> None:
    """Account and team mail leaves from the transactional sender, never the bulk one."""
    assert parseaddr(str(message["From"])) == parseaddr(settings.DEFAULT_FROM_EMAIL)
    assert parseaddr(str(message["From"]))[1] != parseaddr(settings.BULK_FROM_EMAIL)[1]
    assert envelope.mail_from == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


# --- 1. Members sign in with a code ------------------------------------------------------------


def test_a_new_member_signs_in_with_a_code_sent_over_smtp(client, coop, smtp_mailers):
    """A new address asking for a code gets an account without a password and exactly one
    email, in French, from the transactional sender, holding the code; typing the code
    signs the member in, records last_login and verifies the address."""
    email = "nouvelle.adherente@example.org"

    response = request_code(client, email)

    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_confirm_login_code")
    user = User.objects.get(email=email)
    assert not user.has_usable_password()
    assert user.last_login is None
    assert signed_in_id(client) is None

    messages = smtp_mailers.wait_for(1)
    assert len(messages) == 1
    message, envelope = messages[0], smtp_mailers.envelopes[0]
    assert addresses(message["To"]) == [email]
    assert envelope.rcpt_tos == [email]
    assert_transactional_sender(message, envelope)
    # In French (these strings are translated in coopculture/locale/fr/LC_MESSAGES/django.po).
    assert str(message["Subject"]) == settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + (
        "Votre code de connexion"
    )
    text = SMTPSink.text_of(message)
    code = code_in(message)
    assert text.startswith("Bonjour,")
    assert "Voici votre code pour vous connecter à Culture Coop'" in text
    assert "L'équipe Culture Coop'" in text

    page = client.get(reverse("account_confirm_login_code"))
    assert page.status_code == 200
    response = client.post(reverse("account_confirm_login_code"), {"code": code})

    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert signed_in_id(client) == str(user.pk)
    user.refresh_from_db()
    assert user.last_login is not None
    assert EmailAddress.objects.get(user=user, email=email).verified is True
    assert client.get(reverse("spaces")).status_code == 200


def test_the_code_has_the_length_the_request_page_announces(client, coop, smtp_mailers):
    """The request page tells members how many characters the code has; the emailed code
    has exactly that many (dashes added for readability aside)."""
    field = RequestLoginCodeForm().fields["email"]
    announced = re.search(r"\d+", fr(field.help_text))
    assert announced, f"no length in the help text {fr(field.help_text)!r}"

    request_code(client, "compte@example.org")

    code = code_in(smtp_mailers.wait_for(1)[0])
    assert len(normalize_user_code(code)) == int(announced.group())


def test_three_wrong_codes_end_the_attempt(client, coop, smtp_mailers):
    """After ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS (3) wrong codes the attempt is over: the
    member is sent back to ask for a new code, and even the right code no longer works."""
    assert settings.ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS == 3
    request_code(client, "distrait@example.org")
    code = code_in(smtp_mailers.wait_for(1)[0])
    wrong = "AAAA-AAAA" if normalize_user_code(code) != "aaaaaaaa" else "EEEE-EEEE"
    confirm_url = reverse("account_confirm_login_code")

    for _attempt in range(2):
        response = client.post(confirm_url, {"code": wrong})
        assert response.status_code == 200
        assert response.context["form"].errors
        assert signed_in_id(client) is None
    response = client.post(confirm_url, {"code": wrong})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_request_login_code")
    assert signed_in_id(client) is None
    followed = client.get(response["Location"])
    error = fr(get_account_adapter().error_messages["too_many_login_attempts"])
    assert escape(error) in body_of(followed)

    response = client.post(confirm_url, {"code": code})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_request_login_code")
    assert signed_in_id(client) is None
    assert User.objects.get(email="distrait@example.org").last_login is None


def test_an_existing_member_gets_a_code_without_a_second_account(client, users, smtp_mailers):
    """A member who already has an account (whatever the case of the address typed) gets a
    code for that account; no second user is created."""
    member = users["member"]
    count = User.objects.count()

    response = request_code(client, "Member@Example.org")

    assert response.status_code == 302
    assert User.objects.count() == count
    assert User.objects.filter(email__iexact=member.email).count() == 1
    message = smtp_mailers.wait_for(1)[0]
    assert len(smtp_mailers.messages) == 1
    assert addresses(message["To"]) == [member.email]
    response = client.post(reverse("account_confirm_login_code"), {"code": code_in(message)})
    assert response.status_code == 302
    assert signed_in_id(client) == str(member.pk)


# --- 3. Staff: password sign-in and password reset -------------------------------------------


def test_staff_sign_in_with_password(client, users):
    """A staff member (an editor: administrators need TOTP too) signs in with email and
    password and reaches their coop's back office; a wrong password is refused with
    allauth's message."""
    admin = users["editor"]
    page = client.get(reverse("account_login"))
    assert page.status_code == 200
    assert 'name="password"' in body_of(page)

    refused = password_sign_in(client, admin.email, "pas-le-bon-mot-de-passe")
    assert refused.status_code == 200
    assert signed_in_id(client) is None
    mismatch = fr(get_account_adapter().error_messages["email_password_mismatch"])
    assert escape(mismatch) in body_of(refused)

    response = password_sign_in(client, admin.email, PASSWORD, next_url=DASHBOARD_A)
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD_A
    assert signed_in_id(client) == str(admin.pk)
    assert client.get(DASHBOARD_A).status_code == 200


def test_staff_reset_their_password_by_email(client, users, smtp_mailers):
    """Asking for a reset sends one email with a link; following it lets the staff member
    choose a new password, which then signs them in while the old one no longer does."""
    admin = users["admin"]

    response = client.post(reverse("account_reset_password"), {"email": admin.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    message = smtp_mailers.wait_for(1)[0]
    assert len(smtp_mailers.messages) == 1
    assert addresses(message["To"]) == [admin.email]
    assert_transactional_sender(message, smtp_mailers.envelopes[0])
    # allauth's own French catalogue translates its subject.
    assert str(message["Subject"]) == (
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + "E-mail de réinitialisation de mot de passe"
    )
    links = RESET_LINK.findall(SMTPSink.text_of(message))
    assert len(links) == 1

    response = client.get(urlparse(links[0]).path)
    assert response.status_code == 302  # the key moves to the session, out of the URL
    form_url = response["Location"]
    assert form_url.endswith("-set-password/")
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    admin.refresh_from_db()
    assert admin.check_password(NEW_PASSWORD)

    old = Client()
    assert password_sign_in(old, admin.email, PASSWORD).status_code == 200
    assert signed_in_id(old) is None
    new = Client()
    assert password_sign_in(new, admin.email, NEW_PASSWORD).status_code == 302
    assert signed_in_id(new) == str(admin.pk)

    # The link works once.
    again = Client().get(urlparse(links[0]).path)
    assert again.status_code == 200
    assert again.context["token_fail"] is True


def test_a_reset_for_an_unknown_address_reveals_nothing(client, users, smtp_mailers):
    """For an address without an account the page answers exactly as for a known one, no
    account is created, and whatever mail is sent holds no reset link."""
    known = client.post(reverse("account_reset_password"), {"email": users["admin"].email})
    count = User.objects.count()

    unknown = Client().post(reverse("account_reset_password"), {"email": "inconnu@example.org"})

    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert User.objects.count() == count
    assert not User.objects.filter(email="inconnu@example.org").exists()
    smtp_mailers.wait_for(1)
    to_unknown = [m for m in smtp_mailers.messages if "inconnu@example.org" in addresses(m["To"])]
    assert len(to_unknown) <= 1
    for message in to_unknown:
        assert not RESET_LINK.search(SMTPSink.text_of(message))
        assert "/password/reset/key/" not in message.as_string()


# --- 4. TOTP ---------------------------------------------------------------------------------


def _activate_totp(client: Client, user) -> str:
    """Turn TOTP on through allauth.mfa's pages, as the signed-in `user`; return the secret."""
    activate_url = reverse("mfa_activate_totp")
    response = client.get(activate_url)
    # allauth.mfa asks for the password again before changing the second factor.
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_reauthenticate")
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == activate_url

    page = client.get(activate_url)
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in body_of(page)
    response = client.post(activate_url, {"code": a_wrong_totp_code(secret)})
    assert response.status_code == 200
    assert not Authenticator.objects.filter(user=user).exists()
    response = client.post(activate_url, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    return secret


def test_staff_activate_totp(users, client_for):
    """A signed-in staff member turns on an authenticator app: after confirming their
    password, the page shows the secret; a wrong code is refused, the right one activates
    TOTP (and recovery codes)."""
    admin = users["admin"]

    _activate_totp(client_for(admin), admin)

    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.RECOVERY_CODES).exists()


def test_staff_with_totp_need_the_code_to_sign_in(users, client_for):
    """Once TOTP is on, the password alone does not sign a staff member in: they reach the
    second-factor page, not signed in; a wrong code is refused, the right one signs in."""
    admin = users["admin"]
    admin_client = client_for(admin)
    secret = _activate_totp(admin_client, admin)
    admin_client.post(reverse("account_logout"))
    assert signed_in_id(admin_client) is None

    client = Client()
    response = password_sign_in(client, admin.email, PASSWORD, next_url=DASHBOARD_A)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_id(client) is None
    assert client.get(DASHBOARD_A).status_code == 404  # not signed in: no back office

    response = client.post(reverse("mfa_authenticate"), {"code": a_wrong_totp_code(secret)})
    assert response.status_code == 200
    assert escape(fr(get_mfa_adapter().error_messages["incorrect_code"])) in body_of(response)
    assert signed_in_id(client) is None

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == DASHBOARD_A
    assert signed_in_id(client) == str(admin.pk)
    assert client.get(DASHBOARD_A).status_code == 200


def test_a_sign_in_code_never_opens_a_team_account(client, users, client_for, smtp_mailers):
    """A staff member (here an administrator with TOTP) who asks for a sign-in code gets
    the same page as anyone, but the email holds no code: it says that team accounts sign
    in with their password and links to that form. No code typed signs them in."""
    admin = users["admin"]
    _activate_totp(client_for(admin), admin)
    count = len(smtp_mailers.messages)

    response = request_code(client, admin.email)

    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_confirm_login_code")
    message = smtp_mailers.wait_for(count + 1)[-1]
    assert addresses(message["To"]) == [admin.email]
    text = SMTPSink.text_of(message)
    assert not CODE_LINE.findall(text)
    assert "se connectent avec leur mot de passe" in text
    assert reverse("account_login") in text
    for code in ("000000", "123456", "999999"):
        client.post(reverse("account_confirm_login_code"), {"code": code})
    assert signed_in_id(client) is None


# --- 5. Invitations ----------------------------------------------------------------------------


def _invite(coop, admin, email: str, role: str = Role.EDITOR) -> Invitation:
    with scopes_disabled():
        return coop_services.invitation_create(coop=coop, actor=admin, email=email, role=role)


def _accept_path(invitation: Invitation) -> str:
    return reverse("invitation-accept", args=[coop_services.invitation_token(invitation)])


def _membership(coop, user) -> Membership | None:
    with scopes_disabled():
        return Membership.objects.filter(coop=coop, user=user).first()


def test_an_invited_person_creates_their_account_from_the_emailed_link(
    coop, users, client_for, smtp_mailers, django_capture_on_commit_callbacks
):
    """An admin invites from the team page; the invitation email (sent at once, over SMTP)
    holds the link; the link shows the account form; submitting it creates the account and
    the membership with the invited role, signs the person in and opens the back office."""
    admin_client = client_for(users["admin"])
    email = "nouvelle.recrue@example.org"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("staff:team", kwargs={"coop_slug": coop.slug}),
            {"email": email, "role": Role.EDITOR},
        )

    assert response.status_code == 302
    message = smtp_mailers.wait_for(1)[0]
    assert len(smtp_mailers.messages) == 1
    assert addresses(message["To"]) == [email]
    assert_transactional_sender(message, smtp_mailers.envelopes[0])
    assert str(message["Subject"]) == "Invitation à rejoindre l'équipe de Coop A sur Culture Coop'"
    text = SMTPSink.text_of(message)
    assert "Pour accepter, ouvrez ce lien" in text
    links = INVITATION_LINK.findall(text)
    assert len(links) == 1
    path = urlparse(links[0]).path

    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    for field in ("full_name", "password1", "password2"):
        assert f'name="{field}"' in body_of(page)

    response = visitor.post(
        path,
        {"full_name": "Camille Martin", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD_A
    user = User.objects.get(email=email)
    assert user.full_name == "Camille Martin"
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.get(user=user).verified is True
    membership = _membership(coop, user)
    assert membership is not None and membership.role == Role.EDITOR
    assert signed_in_id(visitor) == str(user.pk)
    assert visitor.get(DASHBOARD_A).status_code == 200
    with scopes_disabled():
        assert Invitation.objects.get(email=email).accepted_at is not None


def test_an_expired_invitation_is_gone(client, coop, users):
    """An expired link answers 410 and creates nothing, even when the form is posted."""
    invitation = _invite(coop, users["admin"], "en.retard@example.org")
    with scopes_disabled():
        invitation.expires_at = timezone.now() - timedelta(minutes=1)
        invitation.save(update_fields=["expires_at"])
    path = _accept_path(invitation)

    assert client.get(path).status_code == 410
    response = client.post(
        path, {"full_name": "En Retard", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 410
    assert not User.objects.filter(email="en.retard@example.org").exists()
    assert signed_in_id(client) is None


def test_a_revoked_invitation_is_gone(client, coop, users):
    """A link the coop cancelled answers 410 and creates nothing."""
    invitation = _invite(coop, users["admin"], "annulee@example.org")
    with scopes_disabled():
        coop_services.invitation_revoke(coop=coop, actor=users["admin"], invitation=invitation)
    path = _accept_path(invitation)

    assert client.get(path).status_code == 410
    response = client.post(
        path, {"full_name": "Annulée", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 410
    assert not User.objects.filter(email="annulee@example.org").exists()


def test_a_tampered_invitation_link_is_not_found(client, coop, users):
    """A link whose token was altered (or made up) answers 404."""
    invitation = _invite(coop, users["admin"], "curieux@example.org")
    token = coop_services.invitation_token(invitation)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert client.get(reverse("invitation-accept", args=[tampered])).status_code == 404
    assert client.get(reverse("invitation-accept", args=["nimporte-quoi"])).status_code == 404
    response = client.post(
        reverse("invitation-accept", args=[tampered]),
        {"full_name": "Curieux", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 404
    assert not User.objects.filter(email="curieux@example.org").exists()


def test_an_invitation_opened_with_another_account_is_refused(coop, users, client_for):
    """Signed in as someone else than the invited address: 403, and POST joins nobody."""
    invitation = _invite(coop, users["admin"], "destinataire@example.org")
    intruder = users["other_admin"]
    intruder_client = client_for(intruder)
    path = _accept_path(invitation)

    assert intruder_client.get(path).status_code == 403
    assert intruder_client.post(path).status_code == 403

    assert _membership(coop, intruder) is None
    with scopes_disabled():
        invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_an_invited_existing_account_signs_in_then_accepts(client, coop, users):
    """When the invited address already has an account, the link asks to sign in (with a
    way back to the invitation); once signed in, posting the page joins the team.
    (The invited account has a password and no admin role anywhere: an administrator
    would also be asked for TOTP before the back office.)"""
    invited = make_user("benevole@example.org")
    invitation = _invite(coop, users["admin"], invited.email, role=Role.ANIMATEUR)
    path = _accept_path(invitation)

    page = client.get(path)
    assert page.status_code == 200
    login_url = reverse("account_login") + "?next=" + path
    assert escape(login_url) in body_of(page)
    assert 'name="password1"' not in body_of(page)
    client.post(path, {"full_name": "X", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert _membership(coop, invited) is None
    assert User.objects.filter(email=invited.email).count() == 1

    response = password_sign_in(client, invited.email, PASSWORD, next_url=path)
    assert response.status_code == 302
    assert response["Location"] == path
    assert client.get(path).status_code == 200
    response = client.post(path)

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD_A
    membership = _membership(coop, invited)
    assert membership is not None and membership.role == Role.ANIMATEUR
    assert client.get(DASHBOARD_A).status_code == 200


def test_an_invited_member_without_password_is_asked_to_choose_one(coop, users, client_for):
    """A member (code sign-in, no password) who accepts an invitation joins the team and is
    sent to choose a password for the back office."""
    member = users["member"]
    invitation = _invite(coop, users["admin"], member.email)
    member_client = client_for(member)

    response = member_client.post(_accept_path(invitation))

    assert response.status_code == 302
    assert response["Location"] == reverse("account_set_password")
    assert _membership(coop, member) is not None


# --- 6. Rate limits ----------------------------------------------------------------------------


def test_code_requests_for_one_address_are_rate_limited(client, coop, smtp_mailers):
    """ACCOUNT_RATE_LIMITS allows 3 code requests a minute per address: the next one is
    refused with an error and sends no email. (Each request comes from a fresh session, as
    a pending code sends a browser straight back to the confirmation page.)"""
    assert "3/m/key" in settings.ACCOUNT_RATE_LIMITS["request_login_code"]
    email = "presse@example.org"
    for _request in range(3):
        assert request_code(Client(), email).status_code == 302
    assert len(smtp_mailers.wait_for(3)) == 3

    response = request_code(client, email)

    assert response.status_code in (200, 429)
    if response.status_code == 200:
        error = fr(get_account_adapter().error_messages["too_many_login_attempts"])
        assert escape(error) in body_of(response)
        assert response.context["form"].errors
    time.sleep(0.2)
    assert len(smtp_mailers.messages) == 3
    assert User.objects.filter(email=email).count() == 1


def test_failed_password_sign_ins_are_rate_limited(client, users):
    """After 5 failed sign-ins for an address within 5 minutes, even the right password is
    refused for a while, with allauth's "too many attempts" message."""
    assert "5/5m/key" in settings.ACCOUNT_RATE_LIMITS["login_failed"]
    admin = users["admin"]
    for _attempt in range(5):
        response = password_sign_in(client, admin.email, "mauvais-mot-de-passe")
        assert response.status_code == 200

    response = password_sign_in(client, admin.email, PASSWORD)

    assert response.status_code in (200, 429)
    assert signed_in_id(client) is None
    error = fr(get_account_adapter().error_messages["too_many_login_attempts"])
    assert escape(error) in body_of(response)


# --- 7. Idle staff sessions --------------------------------------------------------------------


def _age_session(client: Client, seconds: int) -> None:
    session = client.session
    session[idle_middleware.SESSION_LAST_SEEN] = int(time.time()) - seconds
    session.save()


def test_an_idle_staff_session_ends(coop, users, client_for):
    """A staff session unused for longer than STAFF_IDLE_TIMEOUT is signed out: the next
    back-office request goes to the sign-in page, with `next` to come back."""
    admin_client = client_for(users["admin"])
    assert admin_client.get(DASHBOARD_A).status_code == 200
    _age_session(admin_client, settings.STAFF_IDLE_TIMEOUT + 60)

    response = admin_client.get(DASHBOARD_A)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?" + urlencode({"next": DASHBOARD_A})
    assert signed_in_id(admin_client) is None
    # The sign-in page says why, in French.
    login_page = admin_client.get(response["Location"])
    assert escape("Votre session a pris fin après une période d'inactivité") in body_of(login_page)
    assert admin_client.get(DASHBOARD_A).status_code == 404


def test_a_staff_session_records_activity_and_expires_with_time(
    coop, users, client_for, monkeypatch
):
    """Each staff request records when it happened; when the clock moves past
    STAFF_IDLE_TIMEOUT without a request, the session ends (no test-made `last_seen`)."""
    admin_client = client_for(users["admin"])
    assert admin_client.get(DASHBOARD_A).status_code == 200
    assert admin_client.get(DASHBOARD_A).status_code == 200
    assert idle_middleware.SESSION_LAST_SEEN in admin_client.session

    later = time.time() + settings.STAFF_IDLE_TIMEOUT + 60

    class Clock:
        @staticmethod
        def time() -> float:
            return later

    monkeypatch.setattr(idle_middleware, "time", Clock)
    response = admin_client.get(DASHBOARD_A)

    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_login")
    assert signed_in_id(admin_client) is None


def test_an_active_staff_session_stays(coop, users, client_for):
    """A staff session used within STAFF_IDLE_TIMEOUT stays signed in."""
    admin_client = client_for(users["admin"])
    assert admin_client.get(DASHBOARD_A).status_code == 200
    _age_session(admin_client, settings.STAFF_IDLE_TIMEOUT - 60)

    assert admin_client.get(DASHBOARD_A).status_code == 200
    assert signed_in_id(admin_client) == str(users["admin"].pk)


def test_a_member_session_does_not_expire_when_idle(coop, users, client_for):
    """Members (no role anywhere) keep the normal session lifetime, however long idle."""
    member_client = client_for(users["member"])
    assert member_client.get(reverse("spaces")).status_code == 200
    _age_session(member_client, settings.STAFF_IDLE_TIMEOUT + 60)

    response = member_client.get(reverse("spaces"))

    assert response.status_code == 200
    assert signed_in_id(member_client) == str(users["member"].pk)


# --- 8. No public signup -------------------------------------------------------------------


def test_public_signup_is_closed(client, coop):
    """The signup page exists only to say it is closed: posting to it creates nobody."""
    count = User.objects.count()

    assert client.get(reverse("account_signup")).status_code == 200
    response = client.post(
        reverse("account_signup"),
        {"email": "intrus@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert User.objects.count() == count
    assert signed_in_id(client) is None
