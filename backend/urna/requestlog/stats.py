"""Statistics made from the request logs: aggregates only.

No address, session or user-agent string leaves this module: pages are paths, browsers
and systems are ua-parser families, and every group with fewer than ``min_group``
requests or visitors is folded into "other", so a rare page, browser or error cannot
point at one person. Charts are geometry for inline SVG (no script).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession
from ua_parser import parse as ua_parse

from urna.core.charts import BarChart, Measure, bar_chart
from urna.core.i18n import LOCAL_ZONE
from urna.requestlog import repository

OTHER = "other"
UNKNOWN = "unknown"
TOP = 15


@dataclass(frozen=True)
class Group:
    label: str
    requests: int
    visitors: int
    status: int | None = None
    folded: bool = False  # the "other" row


@dataclass(frozen=True)
class Bucket:
    start: datetime
    requests: int
    sessions: int


@dataclass(frozen=True)
class Column:
    start: datetime  # the page writes it in Polish time
    x: float
    y: float
    height: float
    requests: int
    sessions: int


@dataclass(frozen=True)
class SeriesChart:
    columns: list[Column]
    column_width: float
    sessions_points: str
    width: float
    height: float
    max_value: int
    unit: str


@dataclass
class LogStats:
    since: datetime
    until: datetime
    min_group: int
    unit: str
    pages: list[Group] = field(default_factory=list)
    browsers: list[Group] = field(default_factory=list)
    systems: list[Group] = field(default_factory=list)
    errors: list[Group] = field(default_factory=list)
    series: list[Bucket] = field(default_factory=list)


def groups_fold(
    groups: Iterable[Group], *, min_group: int, top: int = TOP, key=None
) -> list[Group]:
    """Largest first; groups below ``min_group`` (requests or visitors) and those past
    the ``top`` shown are added up into one "other" row."""
    ordered = sorted(groups, key=key or (lambda g: (-g.visitors, -g.requests, g.label)))
    shown: list[Group] = []
    other_requests = other_visitors = 0
    for group in ordered:
        if group.requests >= min_group and group.visitors >= min_group and len(shown) < top:
            shown.append(group)
        else:
            other_requests += group.requests
            other_visitors += group.visitors
    if other_requests:
        # visitors of "other" can be counted twice across its groups: an upper bound
        shown.append(Group(OTHER, other_requests, other_visitors, folded=True))
    return shown


@lru_cache(maxsize=20_000)
def ua_families(user_agent: str | None) -> tuple[str, str]:
    if not user_agent:
        return UNKNOWN, UNKNOWN
    result = ua_parse(user_agent)
    browser = result.user_agent.family if result.user_agent else UNKNOWN
    system = result.os.family if result.os else UNKNOWN
    return browser or UNKNOWN, system or UNKNOWN


def _families(rows: Iterable[tuple[str | None, int, int]]) -> tuple[list[Group], list[Group]]:
    browsers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    systems: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for user_agent, requests, visitors in rows:
        browser, system = ua_families(user_agent)
        # a visitor keeps one user agent, so visitors per family add up
        for table, name in ((browsers, browser), (systems, system)):
            table[name][0] += requests
            table[name][1] += visitors
    return (
        [Group(name, r, v) for name, (r, v) in browsers.items()],
        [Group(name, r, v) for name, (r, v) in systems.items()],
    )


def series_unit(since: datetime, until: datetime) -> str:
    return "hour" if until - since <= timedelta(days=3) else "day"


def _bucket_start(value: object, unit: str) -> datetime:
    """A bucket's start as ``repository.series_count`` gives it: an hour in UTC, a day at
    its Polish midnight (never in the spring's skipped hour)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC if unit == "hour" else LOCAL_ZONE)
    return moment.astimezone(UTC)


async def stats_compute(
    *, session: AsyncSession, since: datetime, until: datetime, min_group: int
) -> LogStats:
    unit = series_unit(since, until)
    stats = LogStats(since=since, until=until, min_group=min_group, unit=unit)
    pages = await repository.pages_count(session, since, until)
    stats.pages = groups_fold((Group(p, r, v) for p, r, v in pages), min_group=min_group)
    browsers, systems = _families(await repository.user_agents_count(session, since, until))
    stats.browsers = groups_fold(browsers, min_group=min_group)
    stats.systems = groups_fold(systems, min_group=min_group)
    errors = await repository.errors_count(session, since, until)
    stats.errors = groups_fold(
        (Group(p, r, v, status=s) for p, s, r, v in errors),
        min_group=min_group,
        key=lambda g: (-g.requests, g.label),
    )
    stats.series = [
        Bucket(_bucket_start(start, unit), requests, sessions)
        for start, requests, sessions in await repository.series_count(
            session, since, until, unit=unit
        )
    ]
    return stats


# ---- chart geometry -----------------------------------------------------------------

SERIES_WIDTH, SERIES_HEIGHT = 720, 200


def groups_chart(groups: list[Group], *, by: str = "visitors") -> BarChart:
    """One bar per group, by visitors (or requests); the "other" row marked folded."""
    return bar_chart([Measure(g.label, getattr(g, by), g.folded) for g in groups])


def series_chart(series: list[Bucket], *, unit: str) -> SeriesChart:
    top = max((b.requests for b in series), default=0) or 1
    step = SERIES_WIDTH / max(1, len(series))
    columns, points = [], []
    for i, bucket in enumerate(series):
        height = round(SERIES_HEIGHT * bucket.requests / top, 1)
        x = round(i * step, 1)
        columns.append(
            Column(
                bucket.start, x, SERIES_HEIGHT - height, height, bucket.requests, bucket.sessions
            )
        )
        sy = round(SERIES_HEIGHT - SERIES_HEIGHT * bucket.sessions / top, 1)
        points.append(f"{round(x + step / 2, 1)},{sy}")
    return SeriesChart(
        columns=columns,
        column_width=round(max(1.0, step * 0.8), 1),
        sessions_points=" ".join(points),
        width=SERIES_WIDTH,
        height=SERIES_HEIGHT,
        max_value=top if series else 0,
        unit=unit,
    )
