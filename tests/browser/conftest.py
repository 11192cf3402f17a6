"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live_server.

- Every test in this folder is marked `browser` (deselect them with `-m "not browser"`).
- No Chromium at /usr/bin/chromium (or no axe-core in node_modules): the tests fail under
  REQUIRE_BROWSER=1, which `make test` and CI set (`make install` brings both, or stops);
  a plain `pytest` skips them, with a loud banner at the end naming the command to run.
- The live server runs the test settings in a thread of this process: it shares the test
  database (hence `transactional_db`), the locmem cache and `django.core.mail.outbox`.
- Never run `playwright install`: the launch uses the system Chromium (STACK-NOTES §6).
- Every test ends with no request in flight: its browser contexts are closed, then the
  live server's running requests are waited for, before the database is flushed (a
  request still running then would meet a blocked or half-flushed database and spoil
  the next test). The live server itself stops only once its requests are done.
"""

import math
import os
import re
import threading
import time
import weakref
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# BROWSER_TESTS_CHROMIUM: only for the test that proves a missing Chromium is loud.
CHROMIUM = Path(os.environ.get("BROWSER_TESTS_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path("/tmp/shots")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# A same-origin address the browser context answers with axe-core (see `new_page`).
AXE_URL_PATH = "/__browser-tests__/axe.min.js"
DEFAULT_VIEWPORT = {"width": 1280, "height": 900}


# --- Marking and prerequisites -------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test of this folder `browser` (before `-m` deselects anything)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


SKIP_REASON = "browser tests need: "
INSTALL_HINT = "run `make install` (as root: it installs them), or `sudo bin/system-packages`"


def _missing_prerequisites() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} not found ({INSTALL_HINT})")
    if not AXE_JS.exists():
        missing.append(f"{AXE_JS} not found (`make install`, or `npm ci`)")
    return missing


def pytest_terminal_summary(terminalreporter):
    """Skipped browser tests are not a quiet 's': say so at the very end, in red."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if SKIP_REASON in str(getattr(report, "longrepr", ""))
    ]
    if not skipped:
        return
    reason = str(skipped[0].longrepr[-1]).removeprefix("Skipped: ")
    terminalreporter.write_sep("!", f"{len(skipped)} BROWSER TESTS SKIPPED", red=True, bold=True)
    terminalreporter.write_line(reason, red=True, bold=True)
    terminalreporter.write_line(
        "`make test` requires them (REQUIRE_BROWSER=1); `make test REQUIRE_BROWSER=0` skips them.",
        red=True,
    )


@pytest.fixture(scope="session")
def _browser_prerequisites():
    missing = _missing_prerequisites()
    if missing:
        reason = SKIP_REASON + "; ".join(missing)
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)


# --- The live server, with its requests in flight counted ----------------------------------

# How long a test's last requests may take to finish before the test fails.
IN_FLIGHT_TIMEOUT = 120
# A request the browser sent just before its context closed may still be in the socket's
# queue: the server must have been idle this long in a row.
QUIET_FOR = 0.2


class RequestsInFlight:
    """Counts the requests the live server is handling, from the WSGI call until the
    response is closed (Django's request_finished, hence closing its database
    connection, runs in that close)."""

    def __init__(self):
        self._count = 0
        self._changed = threading.Condition()
        self._last_change = time.monotonic()

    def _add(self, delta: int) -> None:
        with self._changed:
            self._count += delta
            self._last_change = time.monotonic()
            self._changed.notify_all()

    def wrap(self, application):
        tracker = self

        class TrackedResponse:
            def __init__(self, result):
                self._result = result
                self._closed = False

            def __iter__(self):
                return iter(self._result)

            def close(self):
                if self._closed:
                    return
                self._closed = True
                try:
                    close = getattr(self._result, "close", None)
                    if close is not None:
                        close()
                finally:
                    tracker._add(-1)

        def tracked(environ, start_response):
            tracker._add(+1)
            try:
                return TrackedResponse(application(environ, start_response))
            except BaseException:
                tracker._add(-1)
                raise

        return tracked

    @property
    def count(self) -> int:
        return self._count

    def wait_until_idle(self, timeout: float = IN_FLIGHT_TIMEOUT) -> bool:
        """True once no request has run for QUIET_FOR seconds; False after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                now = time.monotonic()
                quiet = now - self._last_change
                if self._count == 0 and quiet >= QUIET_FOR:
                    return True
                if now >= deadline:
                    return False
                wait = QUIET_FOR - quiet if self._count == 0 else deadline - now
                self._changed.wait(timeout=max(0.01, min(wait, deadline - now)))


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server, its requests counted; stopped only once they are done."""
    httpd = live_server.thread.httpd
    in_flight = RequestsInFlight()
    httpd.set_app(in_flight.wrap(httpd.get_app()))
    live_server.in_flight = in_flight
    yield live_server
    in_flight.wait_until_idle()


@pytest.fixture(autouse=True)
def _no_request_in_flight_after_the_test(request, transactional_db):
    """Runs its teardown after the test's pages and contexts are closed (they are set up
    after it) and before transactional_db flushes the database (set up before it)."""
    yield
    if "live_server" not in request.fixturenames:
        return
    server = request.getfixturevalue("live_server")
    browser = request.getfixturevalue("browser") if "browser" in request.fixturenames else None
    if browser is not None:
        for context in list(browser.contexts):
            context.close()
    if not server.in_flight.wait_until_idle():
        pytest.fail(
            f"{server.in_flight.count} request(s) still running on the live server "
            f"{IN_FLIGHT_TIMEOUT} s after the test ended",
            pytrace=False,
        )


# --- Playwright ----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright(_browser_prerequisites):
    """One Playwright (and one Chromium) for the whole folder, stopped when it is done.

    Package scope rather than session scope: from `sync_playwright().start()` to `stop()`
    Playwright's sync API keeps an asyncio event loop marked as running in the main
    thread. Alive for the whole session, it breaks the tests that run after this folder
    (`asyncio.run()`/`async_to_sync` refuse to start inside a running loop).

    For as long as it runs, Django takes every ORM call of the tests and fixtures for a
    call from async code and raises SynchronousOnlyOperation: the tests are plain
    synchronous code, so DJANGO_ALLOW_ASYNC_UNSAFE is set for that time only.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    p = sync_playwright().start()
    try:
        yield p
    finally:
        p.stop()
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


APP_CSS = "coopculture/css/app.css"


_console_errors: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def console_errors(page) -> list[str]:
    """Console errors and uncaught exceptions of `page` (CSP violations show up here)."""
    return _console_errors.get(page, [])


@pytest.fixture
def new_page(browser, live_server, transactional_db):
    """Build pages in fresh contexts: `new_page(java_script_enabled=False, viewport=...)`.

    The context keeps the app's Content-Security-Policy (no `bypass_csp`): axe-core is
    injected by the tests, not shipped, and `add_script_tag(path=...)` would inline it,
    which `script-src 'self' 'nonce-…'` blocks. Instead the context answers a same-origin
    address with the axe-core file, and axe is loaded from there like any 'self' script.
    So the CSP stays enforced, and a page that breaks it still shows in console_errors.
    """
    contexts = []

    def build(**options):
        options = {
            "locale": "fr-FR",
            "viewport": DEFAULT_VIEWPORT,
            "base_url": live_server.url,
            **options,
        }
        context = browser.new_context(**options)
        contexts.append(context)
        # Generous: on a busy machine (CI beside other work, bin/stress-browser) a page that
        # renders a PDF takes several times longer than on a quiet one.
        context.set_default_timeout(30_000)
        context.set_default_navigation_timeout(60_000)
        context.route(
            re.compile(re.escape(AXE_URL_PATH) + "$"),
            lambda route: route.fulfill(
                path=AXE_JS, content_type="application/javascript; charset=utf-8"
            ),
        )
        page = context.new_page()
        errors: list[str] = []
        _console_errors[page] = errors
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
        return page

    yield build
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def page_no_js(new_page):
    return new_page(java_script_enabled=False)


# --- Helpers -------------------------------------------------------------------------------


def goto(page, path: str, *, status: int = 200):
    """Open `path` on the live server, check the status and that the stylesheet applies."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"{path}: HTTP {response.status}, expected {status}"
    assert_styled(page)
    return response


def assert_styled(page):
    """app.css sets a 1.125rem (18 px) body text: without it, axe's contrast checks are moot."""
    font_size = page.evaluate("() => getComputedStyle(document.body).fontSize")
    assert font_size == "18px", f"app.css does not seem applied on {page.url} ({font_size})"


def screenshot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the current document."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL_PATH)
    return list(
        page.evaluate(
            """async (tags) => (await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
            })).violations""",
            WCAG_TAGS,
        )
    )


def format_violations(violations: list[dict], *, nodes_per_violation: int = 3) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation['impact']}] {violation['help']}"
            f" ({len(violation['nodes'])} element(s)) {violation['helpUrl']}"
        )
        for node in violation["nodes"][:nodes_per_violation]:
            lines.append(f"    target: {' '.join(map(str, node['target']))}")
            lines.append(f"    html:   {node['html'][:300]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"    why:    {summary[:400]}")
    return "\n".join(lines)


def assert_no_axe_violations(page):
    violations = axe_violations(page)
    assert not violations, (
        f"{len(violations)} axe violation(s) on {page.url}:\n{format_violations(violations)}"
    )


def assert_clean(page):
    """No axe violation (WCAG 2.1 A/AA) and no console error on the page."""
    assert_no_axe_violations(page)
    errors = console_errors(page)
    assert not errors, f"console errors on {page.url}:\n" + "\n".join(errors)


TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_secret_for(email: str) -> str | None:
    """The TOTP secret of the account, setting the test one up first when the site will
    ask this account for a TOTP code (coop administrators, the federation)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from allauth.mfa.utils import decrypt

    from coopculture.accounts import selectors
    from coopculture.accounts.models import User

    user = User.objects.get(email__iexact=email)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        if selectors.required_assurance(user) != selectors.TOTP:
            return None
        authenticator = TOTP.activate(user, TEST_TOTP_SECRET).instance
    return decrypt(authenticator.data["secret"])


def current_totp_code(secret: str) -> str:
    """The code an authenticator app shows now (waiting for the next period when this one
    ends in less than 2 seconds, so that it is still valid when it is posted)."""
    from allauth.mfa import app_settings as mfa_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = mfa_settings.TOTP_PERIOD
    if time.time() % period > period - 2:
        time.sleep(period - time.time() % period + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def login(page, live_server, email: str, password: str):
    """Sign in through the real staff form at /compte/login/ (fields `login`, `password`),
    then, for accounts that need it (coop administrators, the federation), the TOTP step
    at /compte/2fa/authenticate/ with the code of the account's authenticator."""
    secret = totp_secret_for(email)
    page.goto(f"{live_server.url}/compte/login/")
    form = page.locator("form[action='/compte/login/']")
    password_field = form.locator("input[name='password']")
    assert password_field.count() == 1, (
        "the staff sign-in form at /compte/login/ has no password field; its fields: "
        + ", ".join(
            form.locator("input:not([type=hidden])").evaluate_all(
                "inputs => inputs.map(i => i.name)"
            )
        )
    )
    form.locator("input[name='login']").fill(email)
    password_field.fill(password)
    with page.expect_navigation():
        form.locator("button[type='submit']").click()
    if "/compte/2fa/authenticate/" in page.url:
        assert secret, f"{email} was asked for a TOTP code but has no authenticator"
        code_form = page.locator("form:has(input[name='code'])")
        code_form.locator("input[name='code']").fill(current_totp_code(secret))
        with page.expect_navigation():
            code_form.locator("button[type='submit']:not([form])").first.click()
    assert "/compte/login/" not in page.url, f"sign-in as {email} failed, still on {page.url}"
    assert "/compte/2fa/" not in page.url, f"sign-in as {email} stopped at {page.url}"


def force_login(page, live_server, user):
    """Give the page's browser context a signed-in session for `user`, without the form.

    For tests about the pages behind the sign-in; the sign-in itself goes through `login`.
    """
    from django.conf import settings

    from tests.conftest import signed_in_client

    client = signed_in_client(user)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": live_server.url}]
    )


def login_code_pattern() -> re.Pattern:
    """The shape of allauth's sign-in codes (ACCOUNT_LOGIN_BY_CODE_FORMAT).

    Mirrors allauth.core.internal.cryptokit.generate_user_code for the configured format
    (the settings ask for 6 digits; allauth's default is 8 letters from
    BCDFGHJKLMNPQRSTVWXZ, dashed: "BCDF-GHJK").
    """
    from allauth.account import app_settings

    fmt = app_settings.LOGIN_BY_CODE_FORMAT
    numeric = fmt.get("numeric", False)
    length = fmt.get("length") or (9 if numeric else 8)
    chars = "0-9" if numeric else "BCDFGHJKLMNPQRSTVWXZ"
    if fmt.get("dashed", True):
        chunk = math.ceil(length / (2 if length <= 8 else 3))
        sizes = [min(chunk, length - start) for start in range(0, length, chunk)]
        body = "-".join(f"[{chars}]{{{size}}}" for size in sizes)
    else:
        body = f"[{chars}]{{{length}}}"
    return re.compile(rf"(?<![\w-]){body}(?![\w-])")


def login_code_from_outbox(email: str) -> str:
    """The code of the last sign-in code message sent to `email` (locmem mail backend)."""
    from django.core import mail

    messages = [m for m in mail.outbox if email in m.to]
    assert messages, f"no email to {email}; outbox: {[(m.to, m.subject) for m in mail.outbox]}"
    body = messages[-1].body
    codes = login_code_pattern().findall(body)
    assert len(codes) == 1, f"expected one sign-in code in the email to {email}:\n{body}"
    return codes[0]
