"""Live turnout for the office and the verification team while voting is open: counted
ballots per hour, day, area and channel (local time). Counts only, no identities; staff
see every group, however small (the public turnout suppresses small ones)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.charts import BarChart, Measure, bar_chart
from urna.core.i18n import LOCAL_ZONE
from urna.editions import repository as editions_repository
from urna.editions.models import Edition
from urna.results import repository as results_repository
from urna.verification import charts

RECENT_HOURS = 48  # the hourly chart shows the last two days with ballots


@dataclass(frozen=True)
class Turnout:
    total: int
    by_hour: list[tuple[str, int]]
    by_day: list[tuple[str, int]]
    by_area: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]
    hours_chart: charts.Columns
    days_chart: charts.Columns
    area_bars: BarChart  # drawn as the request-log statistics draw theirs
    channel_bars: BarChart


def _bars(rows: list[tuple[str, int]]) -> BarChart:
    return bar_chart([Measure(label, count) for label, count in rows])


def _hourly(hours: dict[datetime, int]) -> list[tuple[str, int]]:
    """Every hour (local time, with its zone: the night the clocks go back has two hours
    from 02:00, CEST then CET) of the last ``RECENT_HOURS`` up to the latest ballot."""
    if not hours:
        return []
    last = max(hours)
    first = max(min(hours), last - timedelta(hours=RECENT_HOURS - 1))
    steps = int((last - first) / timedelta(hours=1)) + 1
    moments = (first + timedelta(hours=i) for i in range(steps))
    return [
        (moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:00 %Z"), hours.get(moment, 0))
        for moment in moments
    ]


async def turnout_live(*, session: AsyncSession, edition: Edition) -> Turnout:
    hours = {
        (hour if hour.tzinfo else hour.replace(tzinfo=UTC)).astimezone(UTC): count
        for hour, count in await results_repository.turnout_by_hour(session, edition.id)
    }
    days: dict[str, int] = defaultdict(int)
    for hour, count in hours.items():
        days[hour.astimezone(LOCAL_ZONE).date().isoformat()] += count
    by_hour = _hourly(hours)
    areas = {a.id: a.name for a in await editions_repository.areas_of(session, edition.id)}
    by_area = sorted(
        (
            (areas.get(key, "—"), count)
            for key, count in await results_repository.turnout_rows(session, edition.id, "area_id")
        ),
        key=lambda row: (-row[1], row[0]),
    )
    by_channel = sorted(
        (str(key), count)
        for key, count in await results_repository.turnout_rows(session, edition.id, "channel")
    )
    return Turnout(
        total=sum(count for _, count in by_channel),
        by_hour=by_hour,
        by_day=sorted(days.items()),
        by_area=by_area,
        by_channel=by_channel,
        hours_chart=charts.columns(by_hour),
        days_chart=charts.columns(sorted(days.items())),
        area_bars=_bars(by_area),
        channel_bars=_bars(by_channel),
    )
