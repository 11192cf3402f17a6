"""Shared fixtures. Two coops always exist (isolation is tested against the other one).

Fixtures create data with scopes disabled; the code under test runs scoped, as in
production (the coop middleware and coop_task open the scope).
"""

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from allauth.account.models import EmailAddress
from django_scopes import scopes_disabled

from django.contrib.auth import get_user_model
from django.test import Client

from coopculture.coops.models import Coop, Membership, Role

PASSWORD = "un-mot-de-passe-solide-42"

HARFBUZZ_SUBSET = (
    "libharfbuzz-subset.so.0",
    "libharfbuzz-subset.0.dylib",
    "libharfbuzz-subset-0.dll",
)


def pytest_configure(config):
    """Without HarfBuzz's subsetting library WeasyPrint warns at import (an error here:
    filterwarnings = error), and a dozen modules would fail to collect: say why, once."""
    import ctypes

    for name in HARFBUZZ_SUBSET:
        try:
            ctypes.CDLL(name)
            return
        except OSError:
            continue
    raise pytest.UsageError(
        "libharfbuzz-subset0 manque / is missing (WeasyPrint needs it for the PDFs).\n"
        "Lancez / run `make install` as root, or: sudo bin/system-packages"
    )


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and sessions live in the cache: every test starts clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def make_user(email: str, *, password: str | None = PASSWORD, **fields):
    user = get_user_model().objects.create_user(email=email, password=password, **fields)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


def make_coop(slug: str, **fields) -> Coop:
    defaults = {
        "name": slug.replace("-", " ").title(),
        "legal_form": "scp",
        "activities": ["accession_vefa"],
        "contact_email": f"contact@{slug}.example.org",
    }
    defaults.update(fields)
    with scopes_disabled():
        return Coop.objects.create(slug=slug, **defaults)


def add_member(coop: Coop, user, role: str) -> Membership:
    with scopes_disabled():
        return Membership.objects.create(coop=coop, user=user, role=role)


@pytest.fixture
def coop(db):
    # Coop A convenes its general assembly by email where members agree (a coop setting).
    return make_coop(
        "coop-a",
        name="Coop A",
        activities=["accession_vefa", "psla"],
        tracks_ag_email_consent=True,
    )


@pytest.fixture
def other_coop(db):
    return make_coop("coop-b", name="Coop B", activities=["gestion_locative", "syndic"])


@pytest.fixture
def users(coop, other_coop):
    """One user per actor of the role matrix, for `coop`; plus an admin of `other_coop`."""
    actors = {
        "federation": make_user("federation@example.org", is_federation_staff=True),
        "admin": make_user("admin@coop-a.example.org"),
        "editor": make_user("editor@coop-a.example.org"),
        "animateur": make_user("animateur@coop-a.example.org"),
        "member": make_user("member@example.org", password=None),
        "other_admin": make_user("admin@coop-b.example.org"),
    }
    add_member(coop, actors["admin"], Role.ADMIN)
    add_member(coop, actors["editor"], Role.EDITOR)
    add_member(coop, actors["animateur"], Role.ANIMATEUR)
    add_member(other_coop, actors["other_admin"], Role.ADMIN)
    return actors


def record_full_sign_in(client: Client, user) -> None:
    """Make a force_login session stand for a completed sign-in: the steps allauth records
    when someone signs in with their password and their TOTP code. Staff pages require
    them (accounts.middleware.StaffSignInMiddleware); the sign-in journeys themselves go
    through the real pages (tests/test_auth_journeys.py)."""
    import time

    now = time.time()
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def signed_in_client(user) -> Client:
    """A test client with a session of `user` that staff pages accept."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    record_full_sign_in(client, user)
    return client


@pytest.fixture
def client_for():
    def build(user=None) -> Client:
        return Client() if user is None else signed_in_client(user)

    return build


# --- A real SMTP server --------------------------------------------------------------------


@dataclass
class SMTPSink:
    """What an aiosmtpd server received, parsed as email messages."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.received.set()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"expected {count} email(s), got {len(self.messages)}"
        return self.messages

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    port = free_port()
    sink = SMTPSink(host="127.0.0.1", port=port)
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_mailers(settings, smtp_sink):
    """Send this test's mail through real SMTP to the local aiosmtpd server."""
    options = {"host": smtp_sink.host, "port": smtp_sink.port, "timeout": 10}
    backend = "django.core.mail.backends.smtp.EmailBackend"
    settings.MAILERS = {
        "default": {"BACKEND": backend, "OPTIONS": options},
        "bulk": {"BACKEND": backend, "OPTIONS": options},
    }
    return smtp_sink
