"""Test settings: the base settings with fast, deterministic components.

DATABASE_URL and REDIS_URL still come from the environment, so the same suite runs
on SQLite (default) and on PostgreSQL + Redis (CI's second pass).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-use-0123456789")
os.environ.setdefault(
    "VAR_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "var", "test"))
)
os.makedirs(os.path.join(os.environ["VAR_DIR"], "static"), exist_ok=True)

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {
    "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    "bulk": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
SITE_URL = os.environ.get("SITE_URL") or "http://127.0.0.1:8000"
CSRF_TRUSTED_ORIGINS = []
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_PROXY_SSL_HEADER = None
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the worker-process test runs db_worker against the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
