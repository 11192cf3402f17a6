"""Settings for every environment, read from environment variables.

Optional infrastructure is switched on by the presence of its configuration
(pretix style): REDIS_URL turns on Redis for the cache and the channel layer,
SMTP_HOST turns on real SMTP delivery.
"""

import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# Demo mode: demo passwords and the demo banner exist only when it is on.
DEMO_MODE = env_bool("DJANGO_DEMO", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or DEMO_MODE:
        SECRET_KEY = "insecure-demo-key-only-for-local-use-" + "x" * 20
    else:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG and DJANGO_DEMO are off.")


def _reachable_address(host: str) -> str:
    """The address others reach a server bound to `host` at: a wildcard bind (0.0.0.0, ::)
    is this machine's outgoing IPv4 address (a UDP connect sends nothing), else loopback."""
    if host not in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 (compared, not bound)
        return f"[{host}]" if ":" in host and not host.startswith("[") else host
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


# The absolute base of every link that leaves the site: emails, QR codes, short links,
# letters. Production sets it (check --deploy warns otherwise: coopculture/core/checks.py);
# the demo and debug servers derive it from the HOST and PORT they listen on (make demo).
if DEBUG or DEMO_MODE:
    SITE_URL = env_str("SITE_URL") or (
        f"http://{_reachable_address(env_str('HOST', '127.0.0.1'))}:{env_int('PORT', 8000)}"
    )
else:
    SITE_URL = env_str("SITE_URL", "")
_site = urlsplit(SITE_URL)
_site_host = _site.hostname and (f"[{_site.hostname}]" if ":" in _site.hostname else _site.hostname)

# Unset, the hosts and the trusted origin follow SITE_URL, so that setting it is enough.
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    list(
        dict.fromkeys(
            (["127.0.0.1", "localhost"] if (DEBUG or DEMO_MODE) else [])
            + ([_site_host] if _site_host else [])
        )
    ),
)
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", [f"{_site.scheme}://{_site.netloc}"] if _site_host else []
)

INSTALLED_APPS = [
    "coopculture.core",
    "coopculture.accounts",
    "coopculture.coops",
    "coopculture.members",
    "coopculture.learning",
    "coopculture.kit",
    "coopculture.campaigns",
    "coopculture.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "coopculture.accounts.middleware.IdleSessionMiddleware",
    "coopculture.accounts.middleware.StaffSignInMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "coopculture.coops.middleware.CoopMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "coopculture" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coopculture.core.context_processors.platform",
                "coopculture.coops.context_processors.coop",
            ],
        },
    },
]
FORM_RENDERER = "coopculture.core.forms.FormRenderer"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'coopculture.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI each request may run in another thread: persistent connections would pile
    # up (Django's docs), so PostgreSQL connections come from psycopg's pool instead.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN", 2),
        "max_size": env_int("DB_POOL_MAX", 20),
        "timeout": 10,
    }
    # Short OLTP queries: JIT compilation costs 10-15 ms per filtered query on the member
    # list and never pays back (docs/benchmarks.md).
    DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and the tick read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer (Redis when REDIS_URL is set) ----------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "coopculture"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "max_connections": 1000}]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background tasks (django.tasks + django-tasks-db) ------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: a password opens an account only through one of its verified addresses (it
    # refuses every other email and password, so the backends below never match an
    # unproven address); the others stay for sessions and code sign-in.
    "coopculture.accounts.backends.VerifiedEmailBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "spaces"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "coopculture.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
# Public signup is closed (accounts.adapter); password1 keeps the password field on the
# staff sign-in form. Members never get one: their account comes from a code request.
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
# No sign-in through an address that was never proven (account pre-hijacking): a code
# sign-in proves the address it was sent to, invitations and operators' accounts come
# verified, and an address added at /compte/email/ is attached only once the code sent to
# it is typed (until then it exists only in the session).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 15 * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
# Six digits: easy to read aloud and to type on a phone keypad (3 tries, rate limited).
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Culture Coop'] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not (DEBUG or DEMO_MODE) else "http"
ACCOUNT_FORMS = {
    "request_login_code": "coopculture.accounts.forms.RequestLoginCodeForm",
    "confirm_login_code": "coopculture.accounts.forms.ConfirmLoginCodeForm",
    "reset_password": "coopculture.accounts.forms.ResetPasswordForm",
}
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "request_login_code": "10/m/ip,3/m/key",
    "reset_password": "10/m/ip,3/m/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "signup": "10/m/ip",
}
# Wrong sign-in codes (accounts.services): past `per_account` in `period` seconds, code
# sign-in closes for that account (its owner gets an email); past `per_ip`, for that client.
LOGIN_CODE_FAILURES = {"per_account": 5, "per_ip": 20, "period": 3600}
MFA_ADAPTER = "coopculture.accounts.adapter.MFAAdapter"
MFA_FORMS = {"activate_totp": "coopculture.accounts.forms.ActivateTOTPForm"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Culture Coop'"

# Session lifetimes (docs/decisions/0004-session-lifetimes.md).
SESSION_COOKIE_AGE = int(timedelta(days=30).total_seconds())
STAFF_IDLE_TIMEOUT = env_int("STAFF_IDLE_TIMEOUT", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

INVITATION_VALIDITY = timedelta(days=env_int("INVITATION_VALIDITY_DAYS", 7))

# --- Mail: Django 6.1 MAILERS; transactional and bulk go through separate mailers ----------
SMTP_HOST = env_str("SMTP_HOST")
if SMTP_HOST:
    _smtp_options = {
        "host": SMTP_HOST,
        "port": env_int("SMTP_PORT", 587),
        "username": env_str("SMTP_USER", ""),
        "password": env_str("SMTP_PASSWORD", ""),
        "use_tls": env_bool("SMTP_TLS", False),
        "timeout": env_int("SMTP_TIMEOUT", 30),
    }
    _mail_backend = {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}
    MAILERS = {
        "default": {**_mail_backend, "OPTIONS": _smtp_options},
        "bulk": {
            **_mail_backend,
            "OPTIONS": {
                **_smtp_options,
                "host": env_str("BULK_SMTP_HOST", SMTP_HOST),
                "port": env_int("BULK_SMTP_PORT", _smtp_options["port"]),
            },
        },
    }
else:
    # Nothing configured: print messages on the console (the demo shows sign-in codes there).
    MAILERS = {
        "default": {"BACKEND": "coopculture.core.mail_backends.ReadableConsoleBackend"},
        "bulk": {"BACKEND": "coopculture.core.mail_backends.ReadableConsoleBackend"},
    }
TRANSACTIONAL_MAILER = "default"
BULK_MAILER = "bulk"
DEFAULT_FROM_EMAIL = env_str(
    "MAIL_FROM", "Culture Coop' <ne-pas-repondre@culture-coop.example.org>"
)
BULK_FROM_EMAIL = env_str("BULK_MAIL_FROM", "Culture Coop' <lettre@culture-coop.example.org>")
# Campaigns (coopculture/campaigns/sending.py, docs/decisions/0011): batch size, how long a
# worker's claim on a batch lasts, how long one task sends, the first retry delay (seconds).
CAMPAIGNS_BATCH_SIZE = env_int("CAMPAIGNS_BATCH_SIZE", 200)
CAMPAIGNS_CLAIM_LEASE = env_int("CAMPAIGNS_CLAIM_LEASE", 300)
CAMPAIGNS_TASK_SECONDS = env_int("CAMPAIGNS_TASK_SECONDS", 30)
CAMPAIGNS_RETRY_BASE = env_int("CAMPAIGNS_RETRY_BASE", 60)
CAMPAIGNS_WEBHOOK_SECRET = env_str("CAMPAIGNS_WEBHOOK_SECRET", "")
CAMPAIGNS_UNSUBSCRIBE_MAILTO = env_str("CAMPAIGNS_UNSUBSCRIBE_MAILTO", "")
CAMPAIGNS_UNSUBSCRIBE_MAX_AGE_DAYS = env_int("CAMPAIGNS_UNSUBSCRIBE_MAX_AGE_DAYS", 730)
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- i18n ----------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "coopculture" / "locale"]

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "coopculture" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Files with personal data (member imports): never served, read through permission checks.
PRIVATE_ROOT = Path(env_str("PRIVATE_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security ------------------------------------------------------------------------------
_secure = not (DEBUG or DEMO_MODE) and env_bool("HTTPS", True)
SESSION_COOKIE_SECURE = _secure
CSRF_COOKIE_SECURE = _secure
SECURE_SSL_REDIRECT = _secure and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _secure else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if _secure else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _secure
SECURE_HSTS_PRELOAD = _secure
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
