"""`check --deploy` warns about what a production site cannot do without: a public https
SITE_URL the site answers to, a mail server, senders on a domain that can send."""

import os
import re
import secrets
import shlex
import subprocess
import sys

import pytest

from coopculture.core.checks import check_mail, check_shared_state, check_site_url
from tests.processes import ROOT

SMTP = {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {"host": "smtp"}}
CONSOLE = {"BACKEND": "coopculture.core.mail_backends.ReadableConsoleBackend"}
REDIS_CACHE = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://r"}
REDIS_LAYER = {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"}


def ids(messages) -> list[str]:
    return [message.id for message in messages]


@pytest.fixture
def production(settings):
    settings.SITE_URL = "https://culture-coop.example.org"
    settings.ALLOWED_HOSTS = ["culture-coop.example.org"]
    settings.MAILERS = {"default": SMTP, "bulk": SMTP}
    settings.DEFAULT_FROM_EMAIL = "Culture Coop' <ne-pas-repondre@culture-coop.fr>"
    settings.SERVER_EMAIL = settings.DEFAULT_FROM_EMAIL
    settings.BULK_FROM_EMAIL = "Culture Coop' <lettre@culture-coop.fr>"
    settings.CACHES = {"default": REDIS_CACHE}
    settings.CHANNEL_LAYERS = {"default": REDIS_LAYER}
    return settings


def test_a_complete_production_configuration_passes(production):
    assert check_site_url() == []
    assert check_mail() == []
    assert check_shared_state() == []


def test_an_unset_site_url_is_reported(production):
    production.SITE_URL = ""

    [warning] = check_site_url()

    assert warning.id == "deploy.W001"
    assert "SITE_URL is not set" in warning.msg
    assert "SITE_URL=https://" in warning.hint


@pytest.mark.parametrize(
    "site_url",
    ["http://culture-coop.example.org", "culture-coop.example.org", "https://", "ftp://x.org"],
)
def test_a_site_url_that_is_not_https_is_reported(production, site_url):
    production.SITE_URL = site_url

    assert "deploy.W002" in ids(check_site_url())


@pytest.mark.parametrize(
    "site_url",
    [
        "https://127.0.0.1:8000",
        "https://127.0.1.1",
        "https://localhost",
        "https://LOCALHOST.:8443/",
        "https://app.localhost",
        "https://[::1]:8000",
        "https://0.0.0.0:8000",
    ],
)
def test_a_loopback_site_url_is_reported(production, site_url):
    production.SITE_URL = site_url
    production.ALLOWED_HOSTS = ["*"]

    assert ids(check_site_url()) == ["deploy.W003"]


def test_the_demo_default_is_reported_twice_over(production):
    production.SITE_URL = "http://127.0.0.1:8000"

    assert ids(check_site_url()) == ["deploy.W002", "deploy.W003"]


def test_a_site_url_whose_host_the_site_refuses_is_reported(production):
    production.ALLOWED_HOSTS = ["www.culture-coop.example.org"]

    [warning] = check_site_url()

    assert warning.id == "deploy.W004"
    assert "culture-coop.example.org" in warning.msg


def test_a_site_url_under_an_allowed_wildcard_domain_passes(production):
    production.ALLOWED_HOSTS = [".example.org"]

    assert check_site_url() == []


@pytest.mark.parametrize("mailer", ["default", "bulk"])
def test_a_mailer_that_does_not_send_is_reported(production, mailer):
    production.MAILERS = {
        **production.MAILERS,
        mailer: {"BACKEND": "django.core.mail.backends.console.EmailBackend"},
    }

    [warning] = check_mail()

    assert warning.id == "deploy.W005"
    assert f"the {mailer!r} mailer print" in warning.msg
    assert "SMTP_HOST" in warning.hint


def test_no_smtp_host_at_all_is_one_warning(production):
    production.MAILERS = {"default": CONSOLE, "bulk": CONSOLE}

    [warning] = check_mail()

    assert warning.id == "deploy.W005"
    assert "No SMTP host is set: the 'default' and 'bulk' mailers" in warning.msg


@pytest.mark.parametrize(
    ("setting", "variable"),
    [("DEFAULT_FROM_EMAIL", "MAIL_FROM"), ("BULK_FROM_EMAIL", "BULK_MAIL_FROM")],
)
@pytest.mark.parametrize(
    "sender",
    [
        "Culture Coop' <ne-pas-repondre@culture-coop.example.org>",
        "lettre@example.com",
        "lettre@coop.test",
        "lettre@localhost",
        "pas-une-adresse",
    ],
)
def test_a_sender_on_a_reserved_domain_is_reported(production, setting, variable, sender):
    setattr(production, setting, sender)
    production.SERVER_EMAIL = "erreurs@culture-coop.fr"

    [warning] = check_mail()

    assert warning.id == "deploy.W006"
    assert warning.msg.startswith(f"{variable} ")
    assert variable in warning.hint


def test_server_email_is_checked_when_it_is_set_on_its_own(production):
    production.SERVER_EMAIL = "erreurs@culture-coop.example.org"

    [warning] = check_mail()

    assert warning.id == "deploy.W006"
    assert warning.msg.startswith("SERVER_EMAIL ")


def test_per_process_cache_and_channel_layer_are_reported(production):
    production.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    production.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

    [warning] = check_shared_state()

    assert warning.id == "deploy.W007"
    assert "the cache (django.core.cache.backends.locmem.LocMemCache) and the channel layer" in (
        warning.msg
    )
    assert "REDIS_URL" in warning.hint


# --- The real command, with production settings (config.settings.base) --------------------


def check_deploy(**variables: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SMTP_", "SITE_", "MAIL_", "BULK_"))
        and k not in {"DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "SERVER_EMAIL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        SECRET_KEY=secrets.token_urlsafe(50),
        PYTHONWARNINGS="ignore",
    )
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_fails_on_a_production_configuration_left_at_its_defaults():
    result = check_deploy(ALLOWED_HOSTS="culture-coop.example.org")

    assert result.returncode == 1
    for check_id in ("deploy.W001", "deploy.W005", "deploy.W006", "deploy.W007"):
        assert f"({check_id})" in result.stderr


def ci_check_deploy_variables() -> dict[str, str]:
    """The variables .ci/run's step h sets for `check --deploy`, read from .ci/run itself."""
    script = (ROOT / ".ci" / "run").read_text()
    command = script[script.index('step "check --deploy') :]
    command = command[command.index("\nenv ") : command.index("check --deploy --fail-level")]
    words = shlex.split(command.replace("\\\n", " "))
    return dict(
        word.split("=", 1) for word in words if re.fullmatch(r"[A-Z_]+=.*", word, flags=re.S)
    )


def test_check_deploy_passes_with_what_ci_sets():
    variables = ci_check_deploy_variables()
    assert variables["SITE_URL"].startswith("https://")
    variables.pop("SECRET_KEY")  # "$secret_key" in .ci/run: a fresh one here too

    result = check_deploy(**variables)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
