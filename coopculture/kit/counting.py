"""Counting visits through tracked links: one per visitor, link and day, and nothing else.

docs/decisions/0009-counting-visits.md explains the choice. In short:
- no cookie, no identifier given to the browser: the visit itself is the only input;
- a visitor is recognised for the rest of the day by a keyed hash (HMAC-SHA256) of the IP
  address, the user agent and the link, under a random salt drawn each day and kept only
  in the cache. The hash lives in the cache until midnight, then both it and the salt
  expire: yesterday's hashes cannot be recomputed, even by us;
- the database holds a counter per link and day (LinkDailyCount), nothing about anyone;
- HEAD requests, prefetches and robots (search engines, link previews of messaging apps
  and social networks) are not visits.
"""

import datetime as dt
import hashlib
import hmac
import re
import secrets

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from coopculture.kit.models import LinkDailyCount, TrackedLink

SALT_KEY = "kit:visit-salt:{day}"
SEEN_KEY = "kit:visit-seen:{digest}"

# User agents that fetch a link without a person behind them: crawlers, link previews
# (messaging apps and social networks unfurl every link they see), monitoring, scripts.
BOT_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|facebookexternalhit|facebookcatalog|meta-external"
    r"|embedly|quora link|outbrain|pinterest|whatsapp|telegram|skypeuripreview|discord"
    r"|slack|vkshare|w3c_validator|redditbot|applebot|bingpreview|yandex|baidu|duckduck"
    r"|mastodon|pleroma|akkoma|misskey|bluesky|cardyb|iframely|linkedin|google-read-aloud"
    r"|lighthouse|pagespeed|gtmetrix|pingdom|uptime|monitor|headless|phantomjs|python-|curl/"
    r"|wget/|httpie|go-http-client|java/|okhttp|libwww|scrapy|axios|node-fetch|aiohttp",
    re.IGNORECASE,
)


def is_countable(request) -> bool:
    """A person opening the link in a browser: not a HEAD, a prefetch or a robot."""
    if request.method != "GET":
        return False
    purpose = (
        request.headers.get("Sec-Purpose", "")
        or request.headers.get("Purpose", "")
        or request.headers.get("X-Moz", "")
    ).lower()
    if "prefetch" in purpose or "prerender" in purpose:
        return False
    agent = request.headers.get("User-Agent", "")
    if not agent.strip():
        return False
    return not BOT_AGENT.search(agent)


def _seconds_to_midnight(now: dt.datetime) -> int:
    tomorrow = (now + dt.timedelta(days=1)).date()
    midnight = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time.min), now.tzinfo)
    return max(1, int((midnight - now).total_seconds()))


def _daily_salt(day: dt.date, ttl: int) -> bytes:
    key = SALT_KEY.format(day=day.isoformat())
    # add() is atomic: when two requests race, both read back the one that won.
    cache.add(key, secrets.token_hex(32), timeout=ttl + 60)
    salt = cache.get(key)
    if salt is None:  # the cache lost it (restart): a new salt, at worst a visitor twice
        salt = secrets.token_hex(32)
        cache.set(key, salt, timeout=ttl + 60)
    return salt.encode("ascii")


def visitor_digest(request, link: TrackedLink, *, salt: bytes) -> str:
    ip = request.META.get("REMOTE_ADDR", "")
    agent = request.headers.get("User-Agent", "")
    message = f"{ip}\n{agent}\n{link.pk}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()


def first_visit_today(request, link: TrackedLink, *, now: dt.datetime | None = None) -> bool:
    """True the first time today this visitor opens this link (remembered in the cache)."""
    now = timezone.localtime(now)
    ttl = _seconds_to_midnight(now)
    digest = visitor_digest(request, link, salt=_daily_salt(now.date(), ttl))
    return cache.add(SEEN_KEY.format(digest=digest), 1, timeout=ttl)


def count_increment(*, link: TrackedLink, day: dt.date) -> None:
    """visits = visits + 1 for (link, day), in one UPDATE; the day's first visit inserts
    the row, and a concurrent first visit that lost the race falls back to the UPDATE."""
    updated = LinkDailyCount.objects.filter(link=link, day=day).update(visits=F("visits") + 1)
    if updated:
        return
    try:
        with transaction.atomic():
            LinkDailyCount.objects.create(coop_id=link.coop_id, link=link, day=day, visits=1)
    except IntegrityError:
        LinkDailyCount.objects.filter(link=link, day=day).update(visits=F("visits") + 1)


def visit_record(request, link: TrackedLink) -> bool:
    """Count this request as a visit of `link` if it is a person's first today."""
    if not is_countable(request):
        return False
    now = timezone.localtime()
    if not first_visit_today(request, link, now=now):
        return False
    count_increment(link=link, day=now.date())
    return True
