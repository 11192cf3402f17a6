import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_when_everything_is_reachable(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": True, "cache": True, "tasks": True},
    }


def test_healthz_answers_503_when_the_cache_is_unreachable(client, settings):
    """A Redis cache nobody listens to: the platform says it is not ready."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] is False
    assert response.json()["checks"]["database"] is True


def test_healthz_answers_503_when_the_task_table_is_missing(client, settings):
    """The database task backend with its table gone: the queue is not reachable."""
    from django.db import connection

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_tasks_database_dbtaskresult RENAME TO hidden_tasks")
    try:
        response = client.get("/healthz")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE hidden_tasks RENAME TO django_tasks_database_dbtaskresult")
    assert response.status_code == 503
    assert response.json()["checks"]["tasks"] is False
