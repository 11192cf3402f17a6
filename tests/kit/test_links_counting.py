"""Visits per link and day: once per visitor, no cookie for counting, no IP anywhere in the
database, no HEAD/prefetch/robot, and an increment that cannot lose a visit."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django_scopes import scopes_disabled

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from coopculture.kit import counting
from coopculture.kit.models import LinkDailyCount
from tests.kit.test_links_redirect import BROWSER, make_link, visit

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
IP_A, IP_B = "203.0.113.77", "198.51.100.203"
AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) TestAgentK1/1.0 Chrome/131.0 Safari/537.36"


def visits(link) -> dict:
    with scopes_disabled():
        return dict(LinkDailyCount.objects.filter(link=link).values_list("day", "visits"))


def today_visits(link) -> int:
    return visits(link).get(timezone.localdate(), 0)


def test_a_visitor_counts_once_per_day_two_visitors_count_twice(coop):
    link = make_link(coop)
    for _ in range(3):
        assert visit(link, ip=IP_A, agent=AGENT).status_code == 302
    assert today_visits(link) == 1
    visit(link, ip=IP_B, agent=AGENT)
    assert today_visits(link) == 2
    # Same address, another browser (a family behind one box): another visitor.
    visit(link, ip=IP_B, agent=BROWSER)
    assert today_visits(link) == 3


def test_the_same_visitor_counts_separately_for_each_link(coop):
    first, second = make_link(coop), make_link(coop, channel="newsletter")
    visit(first, ip=IP_A, agent=AGENT)
    visit(second, ip=IP_A, agent=AGENT)
    assert (today_visits(first), today_visits(second)) == (1, 1)


def test_counting_sets_no_cookie_and_needs_none(coop):
    """A visitor whose browser refuses cookies still counts once: the dedupe is server-side."""
    link = make_link(coop)
    for _ in range(2):
        client = Client()  # a new browser each time, no cookie sent
        response = visit(link, client=client, ip=IP_A, agent=AGENT)
        assert response.status_code == 302
    assert today_visits(link) == 1
    # The only cookie is the session (attribution), which the counting never reads.
    assert set(response.cookies) <= {settings.SESSION_COOKIE_NAME}


@pytest.mark.parametrize(
    "agent",
    [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "WhatsApp/2.23.20.0",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "TelegramBot (like TwitterBot)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
        "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/131.0",
        "",
    ],
)
def test_robots_and_link_previews_are_not_visits_but_still_redirected(coop, agent):
    link = make_link(coop)
    response = visit(link, ip=IP_A, agent=agent)
    assert response.status_code == 302
    assert today_visits(link) == 0
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_head_requests_and_prefetches_are_not_visits(coop):
    link = make_link(coop)
    assert visit(link, method="head", ip=IP_A, agent=AGENT).status_code == 302
    visit(link, ip=IP_A, agent=AGENT, HTTP_SEC_PURPOSE="prefetch")
    visit(link, ip=IP_A, agent=AGENT, HTTP_PURPOSE="prefetch")
    assert today_visits(link) == 0
    visit(link, ip=IP_A, agent=AGENT)  # then the person really opens it
    assert today_visits(link) == 1


def test_a_new_day_counts_the_same_visitor_again(coop):
    link = make_link(coop)
    request = RequestFactory().get("/", REMOTE_ADDR=IP_A, HTTP_USER_AGENT=AGENT)
    monday = dt.datetime(2026, 3, 2, 23, 50, tzinfo=PARIS)
    tuesday = monday + dt.timedelta(minutes=20)
    assert counting.first_visit_today(request, link, now=monday)
    assert not counting.first_visit_today(request, link, now=monday + dt.timedelta(minutes=5))
    assert counting.first_visit_today(request, link, now=tuesday)
    # The salt differs each day, so yesterday's hashes cannot be matched with today's.
    salts = [cache.get(counting.SALT_KEY.format(day=d)) for d in (monday.date(), tuesday.date())]
    assert all(salts) and salts[0] != salts[1]


def test_the_dedupe_key_expires_at_midnight(coop):
    evening = dt.datetime(2026, 3, 2, 23, 0, tzinfo=PARIS)
    assert counting._seconds_to_midnight(evening) == 3600
    morning = dt.datetime(2026, 3, 2, 0, 0, 30, tzinfo=PARIS)
    assert counting._seconds_to_midnight(morning) == 24 * 3600 - 30


def test_no_ip_address_nor_user_agent_is_stored_in_any_table(coop):
    """Every row of every table, as text: neither the address, nor the agent, nor the
    hash used to recognise the visitor."""
    link = make_link(coop)
    for ip in (IP_A, IP_B):
        visit(link, ip=ip, agent=AGENT)
    assert today_visits(link) == 2
    digest = counting.visitor_digest(
        RequestFactory().get("/", REMOTE_ADDR=IP_A, HTTP_USER_AGENT=AGENT),
        link,
        salt=cache.get(counting.SALT_KEY.format(day=timezone.localdate().isoformat())).encode(),
    )
    needles = [IP_A, IP_B, "TestAgentK1", digest]
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (table names from the DB)
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row)
                found += [(table, n) for n in needles if n in text]
    assert found == []
    # ... while the cache does hold the (expiring) hash.
    assert cache.get(counting.SEEN_KEY.format(digest=digest)) == 1


def test_the_increment_is_one_update_and_a_lost_insert_race_still_counts(coop, monkeypatch):
    link = make_link(coop)
    day = timezone.localdate()
    with scopes_disabled():
        counting.count_increment(link=link, day=day)
        counting.count_increment(link=link, day=day)
    assert visits(link)[day] == 2

    # Another request inserts the day's row between our UPDATE (0 rows) and our INSERT.
    other_day = day - dt.timedelta(days=1)
    real_atomic = counting.transaction.atomic

    def atomic_after_a_concurrent_insert(*args, **kwargs):
        LinkDailyCount.objects.create(coop_id=link.coop_id, link=link, day=other_day, visits=1)
        return real_atomic(*args, **kwargs)

    with scopes_disabled():
        monkeypatch.setattr(counting.transaction, "atomic", atomic_after_a_concurrent_insert)
        counting.count_increment(link=link, day=other_day)
        monkeypatch.undo()
    assert visits(link)[other_day] == 2


def test_the_increment_is_a_single_sql_update_with_an_expression(coop, django_assert_num_queries):
    link = make_link(coop)
    day = timezone.localdate()
    with scopes_disabled():
        counting.count_increment(link=link, day=day)
        with django_assert_num_queries(1) as captured:
            counting.count_increment(link=link, day=day)
    sql = captured.captured_queries[0]["sql"]
    assert sql.startswith("UPDATE")
    assert '"visits" = ("kit_linkdailycount"."visits" + 1)' in sql
