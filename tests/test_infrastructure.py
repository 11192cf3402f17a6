"""The optional infrastructure follows the environment: Redis when REDIS_URL is set."""

import asyncio
import os
import uuid

import pytest
from channels.layers import get_channel_layer

from django.conf import settings
from django.core.cache import cache

REDIS = bool(os.environ.get("REDIS_URL"))


def test_the_cache_and_channel_layer_match_the_environment():
    cache_backend = settings.CACHES["default"]["BACKEND"]
    layer_backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if REDIS:
        assert cache_backend == "django.core.cache.backends.redis.RedisCache"
        assert layer_backend == "channels_redis.pubsub.RedisPubSubChannelLayer"
    else:
        assert cache_backend == "django.core.cache.backends.locmem.LocMemCache"
        assert layer_backend == "channels.layers.InMemoryChannelLayer"


def test_the_cache_stores_and_returns_a_value():
    key = f"test:{uuid.uuid4().hex}"
    cache.set(key, {"coop": "coop-a"}, timeout=30)
    assert cache.get(key) == {"coop": "coop-a"}


def test_a_group_message_reaches_its_subscriber():
    """What live screens will rely on: a message sent to a group arrives."""

    async def round_trip():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        group = f"test-{uuid.uuid4().hex[:8]}"
        await layer.group_add(group, channel)
        try:
            await layer.group_send(group, {"type": "tally.update", "yes": 3})
            return await asyncio.wait_for(layer.receive(channel), timeout=5)
        finally:
            await layer.group_discard(group, channel)
            if hasattr(layer, "flush"):
                await layer.flush()

    assert asyncio.run(round_trip()) == {"type": "tally.update", "yes": 3}


@pytest.mark.skipif(not REDIS, reason="runs in CI's PostgreSQL + Redis pass (REDIS_URL set)")
def test_health_reports_redis_cache_as_reachable(client, db):
    assert client.get("/healthz").json()["checks"]["cache"] is True
