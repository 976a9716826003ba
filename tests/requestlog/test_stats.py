"""Statistics are aggregates: small groups are folded into "other", nothing identifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.requestlog.factories import row, rows_write
from urna.core.charts import BAR_WIDTH
from urna.requestlog import stats

pytestmark = pytest.mark.flow

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
RARE = "RareBrowser/0.1 (Plan 9 from Bell Labs)"
START = datetime(2001, 3, 1, 10, tzinfo=UTC)  # a period no other test writes to


async def test_statistics_fold_small_groups_and_identify_no_one(app):
    rows = []
    for i in range(6):  # six visitors on Chrome read the catalogue and hit a broken link
        session = f"s-common-{i}"
        ip = f"198.51.100.{i}"
        at = START + timedelta(minutes=i)
        rows += [
            row(
                at, url="/e/demo/projects?pool=CITY", session_hash=session, ip=ip, user_agent=CHROME
            ),
            row(at, url="/e/demo/projects", session_hash=session, ip=ip, user_agent=CHROME),
            row(at, url="/missing", status=404, session_hash=session, ip=ip, user_agent=CHROME),
        ]
    for i in range(5):  # five on Firefox, an hour later
        at = START + timedelta(hours=1, minutes=i)
        rows.append(row(at, url="/", session_hash=f"s-fx-{i}", user_agent=FIREFOX))
    # one visitor, many times: a page only they know, a rare browser, an error only they saw
    for i in range(20):
        at = START + timedelta(minutes=30, seconds=i)
        rows.append(
            row(
                at,
                url="/e/demo/projects/X9",
                session_hash="s-lonely",
                ip="203.0.113.99",
                user_agent=RARE,
            )
        )
    rows.append(row(START, url="/broken", status=500, session_hash="s-lonely", user_agent=RARE))
    rows.append(row(START, url="/static/css/urna.css", session_hash="s-fx-0"))  # no page
    await rows_write(app, rows)

    async with app.state.ctx.db() as session:
        result = await stats.stats_compute(
            session=session, since=START, until=START + timedelta(days=1), min_group=5
        )
    pages = {g.label: g for g in result.pages}
    assert pages["/e/demo/projects"].requests == 12 and pages["/e/demo/projects"].visitors == 6
    assert pages["/"].visitors == 5
    assert "/e/demo/projects/X9" not in pages and "/static/css/urna.css" not in pages
    assert pages[stats.OTHER].folded and pages[stats.OTHER].requests == 20
    browsers = {g.label: g.visitors for g in result.browsers}
    assert browsers == {"Chrome": 6, "Firefox": 5, stats.OTHER: 1}
    systems = {g.label: g.visitors for g in result.systems}
    assert systems == {"Windows": 6, "Linux": 5, stats.OTHER: 1}
    errors = [(g.label, g.status, g.requests) for g in result.errors]
    assert errors == [("/missing", 404, 6), (stats.OTHER, None, 1)]
    assert result.unit == "hour"
    assert [(b.start.hour, b.requests, b.sessions) for b in result.series] == [
        (10, 6 * 3 + 20 + 1 + 1, 6 + 2),
        (11, 5, 5),
    ]
    text = repr(result)
    for identifying in ("198.51.100.", "203.0.113.99", "s-lonely", "s-common", RARE, CHROME):
        assert identifying not in text


async def test_the_threshold_is_a_setting(app):
    at = datetime(2001, 4, 1, tzinfo=UTC)
    await rows_write(app, [row(at, url="/two", session_hash=f"t-{i}") for i in range(2)])
    async with app.state.ctx.db() as session:
        strict = await stats.stats_compute(
            session=session, since=at, until=at + timedelta(hours=1), min_group=5
        )
        loose = await stats.stats_compute(
            session=session, since=at, until=at + timedelta(hours=1), min_group=2
        )
    assert [g.label for g in strict.pages] == [stats.OTHER]
    assert [g.label for g in loose.pages] == ["/two"]


def test_charts_are_geometry_only():
    groups = [
        stats.Group("a", 10, 2),
        stats.Group("b", 5, 4),
        stats.Group("other", 3, 3, folded=True),
    ]
    by_visitors = stats.groups_chart(groups)
    assert [b.width for b in by_visitors.bars] == [BAR_WIDTH / 2, BAR_WIDTH, BAR_WIDTH * 3 / 4]
    assert [b.folded for b in by_visitors.bars] == [False, False, True]
    by_requests = stats.groups_chart(groups, by="requests")
    assert [b.value for b in by_requests.bars] == [10, 5, 3]
    chart = stats.series_chart(
        [stats.Bucket(START, 10, 4), stats.Bucket(START + timedelta(hours=1), 5, 5)], unit="hour"
    )
    assert chart.max_value == 10 and len(chart.columns) == 2
    assert chart.columns[1].height == stats.SERIES_HEIGHT / 2
    assert chart.sessions_points.count(",") == 2
