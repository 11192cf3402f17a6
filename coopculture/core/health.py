"""Reachability of the services the platform needs (used by /healthz)."""

import logging
import uuid

from django.core.cache import cache
from django.db import connection, transaction
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

logger = logging.getLogger(__name__)


def check_database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def check_cache() -> bool:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    ok = cache.get(key) == "ok"
    cache.delete(key)
    return ok


def check_task_queue() -> bool:
    """The queue's storage answers (the database backend's table; in-process backends
    need nothing)."""
    from django_tasks_db.backend import DatabaseBackend

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, DatabaseBackend):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.order_by().values("pk")[:1].exists()
    return True


CHECKS = {"database": check_database, "cache": check_cache, "tasks": check_task_queue}


def service_status() -> dict[str, bool]:
    status = {}
    for name, check in CHECKS.items():
        try:
            # A savepoint each: on PostgreSQL a failed query would poison what follows.
            with transaction.atomic():
                status[name] = bool(check())
        except Exception:
            logger.exception("Health check %s failed", name)
            status[name] = False
    return status
