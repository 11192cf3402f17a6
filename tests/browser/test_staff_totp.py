"""Coop administrators sign in with their password and a TOTP code, in a real browser.

An administrator without TOTP is sent to set it up before any back-office page (reading
the secret shown on the page, as an authenticator app would); from then on the sign-in
asks for the code after the password. Runs with JavaScript off: plain forms.
"""

from urllib.parse import urlsplit

from allauth.mfa.models import Authenticator

from tests.browser.conftest import current_totp_code, goto, login, screenshot
from tests.conftest import PASSWORD


def path_of(url: str) -> str:
    return urlsplit(url).path


def _password_form(page, live_server, email: str, next_path: str) -> None:
    page.goto(f"{live_server.url}/compte/login/?next={next_path}")
    form = page.locator("form[action='/compte/login/']")
    form.locator("input[name='login']").fill(email)
    form.locator("input[name='password']").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type='submit']").click()


def test_an_admin_sets_up_totp_then_signs_in_with_it(page_no_js, live_server, users):
    page = page_no_js
    admin = users["admin"]

    # Password only: the back office first asks for the authenticator app (password again).
    _password_form(page, live_server, admin.email, "/gestion/coop-a/")
    assert path_of(page.url) == "/compte/reauthenticate/", page.url
    assert "vérification en deux étapes" in page.locator(".messages").inner_text()
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='password']").fill(PASSWORD)
    with page.expect_navigation():
        form.locator("button[type='submit']").first.click()
    assert path_of(page.url) == "/compte/2fa/totp/activate/", page.url
    secret = page.locator("#authenticator_secret").input_value()
    assert len(secret) >= 16
    form = page.locator("form:has(input[name='code'])")
    form.locator("input[name='code']").fill(current_totp_code(secret))
    with page.expect_navigation():
        form.locator("button[type='submit']").first.click()
    assert Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists()
    goto(page, "/gestion/coop-a/")
    screenshot(page, "totp-dashboard-after-setup")

    # Signed out, the password alone stops at the TOTP step; the code opens the back office.
    page.context.clear_cookies()
    _password_form(page, live_server, admin.email, "/gestion/coop-a/")
    assert path_of(page.url) == "/compte/2fa/authenticate/", page.url
    code = current_totp_code(secret)
    form = page.locator("form:has(input[name='code'])")
    form.locator("input[name='code']").fill("000000" if code != "000000" else "111111")
    with page.expect_navigation():
        form.locator("button[type='submit']:not([form])").first.click()
    assert path_of(page.url) == "/compte/2fa/authenticate/"
    assert "Code incorrect" in page.locator("form:has(input[name='code'])").inner_text()
    form = page.locator("form:has(input[name='code'])")
    form.locator("input[name='code']").fill(current_totp_code(secret))
    with page.expect_navigation():
        form.locator("button[type='submit']:not([form])").first.click()
    assert path_of(page.url) == "/gestion/coop-a/", page.url


def test_the_login_helper_gives_the_totp_step(page_no_js, live_server, users):
    """tests.browser.conftest.login signs an administrator in through both steps."""
    login(page_no_js, live_server, users["admin"].email, PASSWORD)
    goto(page_no_js, "/gestion/coop-a/")
