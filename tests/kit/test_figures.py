"""Channel figures per link, channel and ISO week, checked against known data."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django_scopes import scopes_disabled

from django.urls import reverse
from django.utils import timezone

from coopculture.kit import figures
from coopculture.kit.models import LinkDailyCount
from coopculture.learning.models import EventKind, LearningEvent
from tests.kit.test_links_redirect import make_link
from tests.learning.factories import make_module

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 26)  # a Thursday, ISO week 48
THIS_MONDAY = dt.date(2026, 11, 23)
LAST_MONDAY = dt.date(2026, 11, 16)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def event(coop, module, kind, channel, when):
    import uuid

    with scopes_disabled():
        e = LearningEvent.objects.create(
            coop=coop, learner_key=uuid.uuid4(), kind=kind, module=module, channel=channel
        )
        LearningEvent.objects.filter(pk=e.pk).update(created_at=when)


@pytest.fixture
def world(coop, other_coop):
    module = make_module()
    flyer = make_link(coop, channel="flyer", label="Flyer")
    poster = make_link(coop, channel="affiche", label="Affiche agence")
    flyer2 = make_link(coop, channel="flyer", label="Flyer bis")
    theirs = make_link(other_coop, channel="flyer", label="Flyer de B")
    with scopes_disabled():
        for link, day, n in [
            (flyer, THIS_MONDAY, 5),
            (flyer, TODAY, 2),
            (flyer, LAST_MONDAY + dt.timedelta(days=6), 3),  # Sunday of week 47
            (poster, LAST_MONDAY, 4),
            (flyer2, TODAY, 1),
            (flyer, TODAY - dt.timedelta(weeks=9), 100),  # out of the 8 weeks
            (theirs, TODAY, 50),
        ]:
            LinkDailyCount.objects.create(coop=link.coop, link=link, day=day, visits=n)
    for kind, channel, when in [
        (EventKind.MODULE_STARTED, f"link:{flyer.code}", at(THIS_MONDAY)),
        (EventKind.MODULE_STARTED, f"link:{flyer.code}", at(TODAY)),
        (EventKind.MODULE_COMPLETED, f"link:{flyer.code}", at(TODAY)),
        (EventKind.MODULE_STARTED, f"link:{poster.code}", at(LAST_MONDAY)),
        (EventKind.ACTIVITY_DONE, f"link:{poster.code}", at(LAST_MONDAY)),  # not counted
        (EventKind.MODULE_STARTED, "", at(TODAY)),  # no link
        (EventKind.MODULE_STARTED, f"link:{theirs.code}", at(TODAY)),  # B's link, in A
        (EventKind.MODULE_STARTED, "link:inconnu", at(TODAY)),
    ]:
        event(coop, module, kind, channel, when)
    event(other_coop, module, EventKind.MODULE_STARTED, f"link:{theirs.code}", at(TODAY))
    return {"flyer": flyer, "poster": poster, "flyer2": flyer2}


def counts(c):
    return (c.visits, c.started, c.completed)


def test_figures_per_link_channel_and_week_in_three_queries(coop, world, django_assert_num_queries):
    with scopes_disabled(), django_assert_num_queries(3):
        data = figures.channel_figures(coop=coop, weeks=8, today=TODAY)
    assert len(data.weeks) == 8
    assert data.weeks[-1].start == THIS_MONDAY
    assert data.weeks[-1].iso == (2026, 48)
    links = {row.label: row for row in data.links}
    assert set(links) == {"Flyer", "Affiche agence", "Flyer bis"}
    assert counts(links["Flyer"].weeks[THIS_MONDAY]) == (7, 2, 1)
    assert counts(links["Flyer"].weeks[LAST_MONDAY]) == (3, 0, 0)
    assert counts(links["Flyer"].total) == (10, 2, 1)
    assert counts(links["Affiche agence"].weeks[LAST_MONDAY]) == (4, 1, 0)
    channels = {row.channel: row for row in data.channels}
    assert list(channels) == ["flyer", "affiche"]  # in the order of the channels
    assert counts(channels["flyer"].weeks[THIS_MONDAY]) == (8, 2, 1)
    assert counts(channels["flyer"].total) == (11, 2, 1)
    assert counts(channels["affiche"].total) == (4, 1, 0)
    assert counts(data.total) == (15, 3, 1)


def test_a_longer_period_reaches_older_weeks(coop, world):
    with scopes_disabled():
        data = figures.channel_figures(coop=coop, weeks=12, today=TODAY)
    assert counts(data.total) == (115, 3, 1)


def test_the_query_count_does_not_grow_with_links_or_events(coop, world, django_assert_num_queries):
    for n in range(10):
        make_link(coop, channel="site", label=f"Site {n}")
    with scopes_disabled(), django_assert_num_queries(3):
        figures.channel_figures(coop=coop, weeks=26, today=TODAY)


def test_the_figures_page_shows_the_table_and_the_charts(
    coop, world, users, client_for, monkeypatch
):
    monkeypatch.setattr(figures.timezone, "localdate", lambda *a: TODAY)
    html = (
        client_for(users["animateur"])
        .get(reverse("kit_links:figures", kwargs={"coop_slug": coop.slug}))
        .content.decode()
    )
    # Accessible table: caption, column and row headers.
    assert html.count("<caption>") == 2
    assert '<th scope="col" class="numeric">Visites</th>' in html
    assert '<th scope="rowgroup"' in html
    table = html[html.index('id="per-channel"') :]
    row = table[table.index("Semaine 48, 2026") :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'<td class="numeric">(\d+)</td>', row) == ["8", "2", "1"]
    foot = html[html.index("<tfoot>") : html.index("</tfoot>")]
    assert re.findall(r'<td class="numeric">(\d+)</td>', foot) == ["15", "3", "1"]
    assert "Flyer de B" not in html
    # Three SVG charts drawn on the server, each with a text alternative.
    svgs = re.findall(r"<svg xmlns=.*?</svg>", html, re.S)
    assert len(svgs) == 3
    for svg in svgs:
        root = ET.fromstring(svg)  # noqa: S314 (our own output)
        assert root.get("role") == "img"
        labelled = root.get("aria-labelledby").split()
        ids = {el.get("id") for el in root.iter() if el.get("id")}
        assert set(labelled) <= ids
    assert "<script" not in html.split("</header>")[1]


def test_the_chart_bars_add_up_to_the_weekly_totals(coop, world):
    with scopes_disabled():
        data = figures.channel_figures(coop=coop, weeks=8, today=TODAY)
    svg = figures.chart_svg(data, metric="visits", title="Visites", chart_id="c")
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    svg_ns = "{http://www.w3.org/2000/svg}"
    titles = [r.find(f"{svg_ns}title").text for r in root.iter(f"{svg_ns}rect")]
    assert sorted(titles) == [
        "Affiche, Semaine 47, 2026\u00a0: 4",
        "Flyer, Semaine 47, 2026\u00a0: 3",
        "Flyer, Semaine 48, 2026\u00a0: 8",
    ]


def test_an_unknown_period_falls_back_to_eight_weeks(coop, users, client_for):
    url = reverse("kit_links:figures", kwargs={"coop_slug": coop.slug})
    client = client_for(users["admin"])
    for value in ("abc", "3", "9999"):
        html = client.get(url, {"semaines": value}).content.decode()
        assert '<option value="8" selected>' in html
    assert '<option value="26" selected>' in client.get(url, {"semaines": "26"}).content.decode()
