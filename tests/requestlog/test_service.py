"""The explorer's queries, trails and CSV export; each read is in the audit log."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.requestlog.factories import row, rows_write
from urna.core.audit import AuditEvent
from urna.core.errors import FormInvalid
from urna.core.moments import GAP
from urna.requestlog import service
from urna.requestlog.redact import redact_url
from urna.requestlog.repository import LogFilters

pytestmark = pytest.mark.flow

START = datetime(2002, 2, 2, 12, tzinfo=UTC)  # a period of its own
WINDOW = dict(since=START, until=START + timedelta(hours=1))


@pytest.fixture(scope="module")
async def sample(app):
    at = START
    rows = [
        row(at, url="/e/x/projects?page=2", ip="203.0.113.7", session_hash="sess-a"),
        row(at + timedelta(seconds=1), url="/missing", status=404, ip="203.0.113.200"),
        row(
            at + timedelta(seconds=2),
            url="/e/x/vote/cast",
            method="POST",
            status=303,
            ip="198.51.100.9",
            session_hash="sess-a",
            user_agent="Mozilla/5.0 Firefox/128.0",
        ),
        row(
            at + timedelta(seconds=3),
            url="/boom",
            status=500,
            ip="2001:db8::5",
            error="RuntimeError: x",
            user_agent="=cmd|' /C calc'!A0",
        ),
        row(at + timedelta(seconds=4), url="/e/x_y%/odd", ip="10.1.2.3", session_hash="sess-b"),
    ]
    return await rows_write(app, rows)


async def search(app, **filters) -> list:
    async with app.state.ctx.db() as session:
        page = await service.logs_search(
            session=session, actor_id=None, filters=LogFilters(**{**WINDOW, **filters}), size=100
        )
    return [r.url for r in page.rows]


async def test_the_path_filter_reads_a_path_as_typed(app):
    at = datetime(2002, 3, 3, 12, tzinfo=UTC)  # a period of its own
    urls = [
        redact_url("/e/łódź/projekty", b"q=zielona+%C5%82%C4%85ka"),
        redact_url("/e/my path/x"),
    ]
    await rows_write(app, [row(at, url=urls[0]), row(at, url=urls[1])])
    since = dict(since=at, until=at + timedelta(seconds=1))
    assert urls[0] == "/e/%C5%82%C3%B3d%C5%BA/projekty?q=zielona%20%C5%82%C4%85ka"
    for typed in ("/e/łódź", "/e/%C5%82%C3%B3d%C5%BA", "/e/%c5%82ódź/projekty?q=zielona łą"):
        assert await search(app, path=typed, **since) == [urls[0]], typed
    assert await search(app, path="/e/my path", **since) == [urls[1]]
    assert await search(app, path="/e/my%20path/", **since) == [urls[1]]


async def test_filters(app, sample):
    assert len(await search(app)) == 5
    assert await search(app, ip="203.0.113.7") == ["/e/x/projects?page=2"]
    assert await search(app, ip="203.0.113.0/24") == ["/missing", "/e/x/projects?page=2"]
    assert await search(app, ip="203.0.113.") == ["/missing", "/e/x/projects?page=2"]
    assert await search(app, ip="2001:db8::/32") == ["/boom"]
    assert await search(app, ip="2001:DB8:") == ["/boom"]  # addresses are kept in lower case
    assert await search(app, session_hash="sess-a") == ["/e/x/vote/cast", "/e/x/projects?page=2"]
    assert await search(app, path="/e/x/") == ["/e/x/vote/cast", "/e/x/projects?page=2"]
    assert await search(app, path="/e/x_y%") == ["/e/x_y%/odd"]  # wildcards are literal
    assert await search(app, status="4xx") == ["/missing"]
    assert await search(app, status="500") == ["/boom"]
    assert await search(app, user_agent="firefox") == ["/e/x/vote/cast"]


async def test_pages_of_results(app, sample):
    async with app.state.ctx.db() as session:
        first = await service.logs_search(
            session=session, actor_id=None, filters=LogFilters(**WINDOW), size=2
        )
        second = await service.logs_search(
            session=session,
            actor_id=None,
            filters=LogFilters(**WINDOW),
            cursor=first.next_cursor,
            size=2,
        )
        third = await service.logs_search(
            session=session,
            actor_id=None,
            filters=LogFilters(**WINDOW),
            cursor=second.next_cursor,
            size=2,
        )
    urls = [r.url for page in (first, second, third) for r in page.rows]
    assert urls == ["/e/x_y%/odd", "/boom", "/e/x/vote/cast", "/missing", "/e/x/projects?page=2"]
    assert third.next_cursor is None


async def test_every_read_is_audited(app, sample):
    async with app.state.ctx.db() as session:
        await service.logs_search(session=session, actor_id=None, filters=LogFilters(ip="10.1."))
        await service.trail_read(
            session=session, actor_id=None, target="session:sess-b", session_hash="sess-b"
        )
        events = (
            (await session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)))
            .scalars()
            .all()
        )
    trail, search_event = events
    assert search_event.action == "requestlog.search"
    assert search_event.details["filters"] == {"ip": "10.1."}
    assert trail.action == "requestlog.trail" and trail.target == "session:sess-b"


async def test_csv_export_is_inert_audited_and_hashed(app, sample):
    async with app.state.ctx.db() as session:
        export = await service.logs_export(
            session=session, actor_id=None, filters=LogFilters(**WINDOW), max_rows=4
        )
        event = (
            await session.execute(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        ).scalar_one()
    assert export.rows == 4 and export.truncated
    assert export.filename.endswith("-newest-4.csv")  # the file says it is not every row
    assert event.action == "requestlog.export"
    assert event.details["rows"] == 4 and event.details["sha256"] == export.sha256
    text = export.content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 4
    boom = next(r for r in table if r["url"] == "/boom")
    assert boom["user_agent"] == "'=cmd|' /C calc'!A0"  # a formula lead is neutralised
    for line in table:
        for value in line.values():
            assert not value.startswith(("=", "+", "-", "@"))


def test_filters_are_checked():
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert service.filters_parse({}, now=now).since == now - timedelta(hours=24)
    assert service.filters_parse({"since": ""}, now=now).since is None
    parsed = service.filters_parse({"since": "2027-05-31 14:00", "status": "5xx"}, now=now)
    assert parsed.since == datetime(2027, 5, 31, 12, tzinfo=UTC) and parsed.status == "5xx"
    winter = service.filters_parse({"since": "15.01.2027 14:00", "until": "2027-01-15T14:00Z"})
    assert (winter.since, winter.until) == (
        datetime(2027, 1, 15, 13, tzinfo=UTC),  # Polish time, as the console shows it
        datetime(2027, 1, 15, 14, tzinfo=UTC),  # an offset typed is kept
    )
    with pytest.raises(FormInvalid) as gap:
        service.period_parse({"since": "28.03.2027 02:00"}, now=now)
    assert gap.value.errors == {"since": GAP}
    with pytest.raises(FormInvalid) as error:
        service.filters_parse({"ip": "10.0.0.0/99", "status": "abc", "until": "soon"}, now=now)
    assert set(error.value.errors) == {"ip", "status", "until"}
