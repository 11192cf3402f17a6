"""Deployment checks (`manage.py check --deploy`): the settings a production site cannot do
without that Django's own checks do not look at. Each one would otherwise fall back, without
a word, to a value that only works on the demo machine."""

import ipaddress
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.http.request import validate_host
from django.utils.module_loading import import_string

# Mail backends that keep or print messages instead of delivering them.
NON_DELIVERING_BACKENDS = (
    "coopculture.core.mail_backends.ReadableConsoleBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)
# RFC 2606 and RFC 6761: domains no one receives mail from (receivers reject it).
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "invalid", "localhost", "test")


def is_loopback(host: str) -> bool:
    """localhost (and *.localhost), 127.0.0.0/8, ::1, or a wildcard (0.0.0.0, ::)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def is_reserved_domain(domain: str) -> bool:
    domain = domain.rstrip(".").lower()
    return (
        any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS)
        or domain.rpartition(".")[2] in RESERVED_TLDS
    )


def check_site_url(app_configs=None, **kwargs):
    """SITE_URL is the base of every link that leaves the site (emails, QR codes, short
    links, letters): set, https, a public host, and one the site answers to."""
    site_url = settings.SITE_URL or ""
    if not site_url:
        return [
            checks.Warning(
                "SITE_URL is not set: links in emails, QR codes, short links and letters "
                "have no address to point to.",
                hint="Set SITE_URL to the site's public address, e.g. "
                "SITE_URL=https://culture-coop.example.org",
                id="deploy.W001",
            )
        ]
    parts = urlsplit(site_url)
    warnings = []
    if parts.scheme != "https" or not parts.hostname:
        warnings.append(
            checks.Warning(
                f"SITE_URL ({site_url}) is not an https:// address: printed QR codes and "
                "emailed links would send members to an insecure or broken address.",
                hint="Set SITE_URL=https://<public host name>, as the site is served.",
                id="deploy.W002",
            )
        )
    if parts.hostname and is_loopback(parts.hostname):
        warnings.append(
            checks.Warning(
                f"SITE_URL ({site_url}) points to this machine's loopback address: no member "
                "can open its links or scan its QR codes.",
                hint="Set SITE_URL to the public host name members reach the site at.",
                id="deploy.W003",
            )
        )
    elif parts.hostname:
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        if not validate_host(host, settings.ALLOWED_HOSTS):
            warnings.append(
                checks.Warning(
                    f"SITE_URL's host ({host}) is not in ALLOWED_HOSTS: every link and QR "
                    "code would land on a 400 Bad Request page.",
                    hint="Add it to ALLOWED_HOSTS, or leave ALLOWED_HOSTS unset (it then "
                    "follows SITE_URL).",
                    id="deploy.W004",
                )
            )
    return warnings


def check_mail(app_configs=None, **kwargs):
    """Mail really leaves: SMTP configured, senders on a domain that can send."""
    warnings = []
    silent = [
        alias
        for alias in dict.fromkeys([settings.TRANSACTIONAL_MAILER, settings.BULK_MAILER])
        if any(
            issubclass(import_string(settings.MAILERS[alias]["BACKEND"]), import_string(path))
            for path in NON_DELIVERING_BACKENDS
        )
    ]
    if silent:
        names = " and ".join(repr(alias) for alias in silent)
        warnings.append(
            checks.Warning(
                f"No SMTP host is set: the {names} mailer{'s' if len(silent) > 1 else ''} "
                "print or keep mail instead of sending it, so sign-in codes, invitations and "
                "campaigns never reach anyone.",
                hint="Set SMTP_HOST (and SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_TLS).",
                id="deploy.W005",
            )
        )
    senders = {
        "MAIL_FROM (DEFAULT_FROM_EMAIL)": settings.DEFAULT_FROM_EMAIL,
        "BULK_MAIL_FROM (BULK_FROM_EMAIL)": settings.BULK_FROM_EMAIL,
    }
    if settings.SERVER_EMAIL != settings.DEFAULT_FROM_EMAIL:  # else it follows MAIL_FROM
        senders["SERVER_EMAIL"] = settings.SERVER_EMAIL
    for name, sender in senders.items():
        address = parseaddr(sender)[1]
        domain = address.rpartition("@")[2] if "@" in address else ""
        if domain and not is_reserved_domain(domain):
            continue
        problem = (
            "on a reserved domain (example.org, .test, …): receiving servers reject mail from it"
            if domain
            else "not an email address"
        )
        warnings.append(
            checks.Warning(
                f"{name} is {sender!r}, {problem}.",
                hint=f"Set {name.split()[0]} to an address on the domain your SMTP server "
                "sends for.",
                id="deploy.W006",
            )
        )
    return warnings


# Backends that live inside one process: several processes each get their own.
PROCESS_LOCAL_BACKENDS = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "channels.layers.InMemoryChannelLayer",
)


def check_shared_state(app_configs=None, **kwargs):
    """Production runs several processes (README): what they share must be shared."""
    local = [
        f"{name} ({backend})"
        for name, backend in (
            ("the cache", settings.CACHES["default"]["BACKEND"]),
            (
                "the channel layer",
                getattr(settings, "CHANNEL_LAYERS", {}).get("default", {}).get("BACKEND", ""),
            ),
        )
        if backend in PROCESS_LOCAL_BACKENDS
    ]
    if not local:
        return []
    return [
        checks.Warning(
            f"REDIS_URL is not set: {' and '.join(local)} live inside each process, so with "
            "several web processes the sign-in rate limits are counted per process and live "
            "updates reach only the viewers of one process.",
            hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0).",
            id="deploy.W007",
        )
    ]
