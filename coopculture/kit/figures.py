"""Channel figures: visits, module starts and completions per link, channel and ISO week.

Three queries whatever the period: the coop's links, their daily counts, and the learning
events attributed to a link (learning.api.source_daily_counts, aggregated by the DB).
Learning events carry the first source of the visitor ("link:<code>"); a code that is not
one of this coop's links (a visitor who came through another coop's link, then browsed
here) is not counted in this coop's figures.
"""

import datetime as dt
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from coopculture.kit.models import Channel, LinkDailyCount, TrackedLink
from coopculture.learning import api as learning_api

SOURCE_PREFIX = "link:"
PERIODS = (4, 8, 12, 26)
DEFAULT_WEEKS = 8
METRICS = ("visits", "started", "completed")

# Distinct colours that all keep 3:1 against white (WCAG 1.4.11, graphics), one per channel.
CHANNEL_COLOURS = {
    Channel.WEBSITE: "#1d5c8c",
    Channel.INTRANET: "#6a1b9a",
    Channel.NEWSLETTER: "#b5400b",
    Channel.MAILING: "#2e7d32",
    Channel.SOCIAL: "#ad1457",
    Channel.FLYER: "#00695c",
    Channel.POSTER: "#5d4037",
    Channel.BOOKLET: "#0d47a1",
    Channel.GENERAL_ASSEMBLY: "#7a5c00",
    Channel.OTHER: "#455a64",
}


@dataclass
class Counts:
    visits: int = 0
    started: int = 0
    completed: int = 0

    def add(self, other: "Counts") -> None:
        self.visits += other.visits
        self.started += other.started
        self.completed += other.completed

    @property
    def empty(self) -> bool:
        return not (self.visits or self.started or self.completed)


@dataclass(frozen=True)
class Week:
    start: dt.date  # the Monday

    @property
    def iso(self) -> tuple[int, int]:
        year, week, _day = self.start.isocalendar()
        return year, week

    @property
    def label(self) -> str:
        year, week = self.iso
        return _("Week %(week)s, %(year)s") % {"week": week, "year": year}

    @property
    def short_label(self) -> str:
        return _("W%(week)s") % {"week": self.iso[1]}

    @property
    def dates(self) -> str:
        end = self.start + dt.timedelta(days=6)
        return _("%(start)s to %(end)s") % {
            "start": date_format(self.start, "j M"),
            "end": date_format(end, "j M"),
        }


@dataclass
class Row:
    """One link or one channel: its counts per week and over the period."""

    key: str
    label: str
    channel: str
    channel_label: str
    colour: str
    link: TrackedLink | None = None
    weeks: dict[dt.date, Counts] = field(default_factory=dict)
    total: Counts = field(default_factory=Counts)
    week_rows_list: list[tuple[Week, Counts]] = field(default_factory=list)  # non-empty weeks

    def week(self, start: dt.date) -> Counts:
        return self.weeks.setdefault(start, Counts())

    def week_rows(self, weeks: list[Week]) -> list[tuple[Week, Counts]]:
        return [(w, self.weeks[w.start]) for w in weeks if not self.weeks[w.start].empty]


@dataclass
class Figures:
    weeks: list[Week]
    links: list[Row]
    channels: list[Row]
    total: Counts

    @property
    def empty(self) -> bool:
        return self.total.empty


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def channel_figures(*, coop, weeks: int = DEFAULT_WEEKS, today: dt.date | None = None) -> Figures:
    today = today or timezone.localdate()
    first = monday(today) - dt.timedelta(weeks=weeks - 1)
    week_list = [Week(first + dt.timedelta(weeks=i)) for i in range(weeks)]
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))

    links = list(TrackedLink.objects.filter(coop=coop).order_by("channel", "label", "pk"))
    channel_labels = dict(Channel.choices)
    by_pk, by_code = {}, {}
    for link in links:
        row = Row(
            key=str(link.public_id),
            label=link.label,
            channel=link.channel,
            channel_label=str(channel_labels.get(link.channel, link.channel)),
            colour=CHANNEL_COLOURS.get(link.channel, "#455a64"),
            link=link,
            weeks={w.start: Counts() for w in week_list},
        )
        by_pk[link.pk] = row
        by_code[link.code] = row

    for link_id, day, visits in LinkDailyCount.objects.filter(
        coop=coop, day__gte=first, day__lte=today
    ).values_list("link_id", "day", "visits"):
        if link_id in by_pk:
            by_pk[link_id].week(monday(day)).visits += visits

    for item in learning_api.source_daily_counts(
        coop=coop, source_prefix=SOURCE_PREFIX, since=since
    ):
        row = by_code.get(item["source"][len(SOURCE_PREFIX) :])
        if row is None or item["day"] is None or item["day"] > today:
            continue
        counts = row.week(monday(item["day"]))
        counts.started += item["started"]
        counts.completed += item["completed"]

    channels: dict[str, Row] = {}
    total = Counts()
    for row in by_pk.values():
        for counts in row.weeks.values():
            row.total.add(counts)
        total.add(row.total)
        channel = channels.setdefault(
            row.channel,
            Row(
                key=row.channel,
                label=row.channel_label,
                channel=row.channel,
                channel_label=row.channel_label,
                colour=row.colour,
                weeks={w.start: Counts() for w in week_list},
            ),
        )
        for start, counts in row.weeks.items():
            channel.week(start).add(counts)
        channel.total.add(row.total)

    for row in [*by_pk.values(), *channels.values()]:
        row.week_rows_list = row.week_rows(week_list)
    order = {value: index for index, value in enumerate(Channel.values)}
    return Figures(
        weeks=week_list,
        links=[row for row in by_pk.values() if not row.total.empty],
        channels=sorted(
            (row for row in channels.values() if not row.total.empty),
            key=lambda row: order.get(row.channel, 99),
        ),
        total=total,
    )


# --- The chart: stacked bars per week, one colour per channel, drawn on the server ----------

WIDTH, HEIGHT = 720, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 16, 40


def _nice_max(value: int) -> int:
    if value <= 4:
        return 4
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def chart_svg(figures: Figures, *, metric: str, title: str, chart_id: str) -> str:
    """An accessible SVG (role="img", <title>, a description pointing to the table)."""
    if metric not in METRICS:
        raise ValueError(metric)
    weeks = figures.weeks
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    totals = [sum(getattr(row.weeks[w.start], metric) for row in figures.channels) for w in weeks]
    top = _nice_max(max(totals, default=0))
    slot = plot_w / max(1, len(weeks))
    bar_w = min(48.0, slot * 0.6)
    desc = _(
        "Stacked bars, one per week, one colour per channel. The figures are in the table "
        "below. Highest week: %(max)s."
    ) % {"max": max(totals, default=0)}
    bar_title = _("%(channel)s, %(week)s: %(value)s")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for i in range(5):
        value = top * i // 4
        y = MARGIN_TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#595959" if i == 0 else "#d9d9d9"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#333">{value}</text>'
        )
    for index, week in enumerate(weeks):
        x = MARGIN_LEFT + slot * index + (slot - bar_w) / 2
        y = MARGIN_TOP + plot_h
        for row in figures.channels:
            value = getattr(row.weeks[week.start], metric)
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            tip = bar_title % {"channel": row.label, "week": week.label, "value": value}
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{row.colour}" stroke="#fff" stroke-width="1">'
                f"<title>{escape(tip)}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 18}" '
            f'text-anchor="middle" font-size="12" fill="#333">{escape(week.short_label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
