"""The batched writer: bounded, never in the way of a request, loses nothing it can keep."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from datetime import UTC, datetime

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.requestlog.conftest import client_for
from tests.wait import wait_until
from urna.core import migrate
from urna.core.db import create_engine, session_factory
from urna.main import create_app
from urna.requestlog.dns import HostResolver
from urna.requestlog.models import RequestLog
from urna.requestlog.writer import LogWriter

pytestmark = pytest.mark.flow


def record(n: int = 0, request_id: str | None = None) -> tuple:
    now = datetime.now(UTC)
    return (
        request_id or uuid.uuid4().hex,
        now,
        now,
        120,
        "192.0.2.1",
        None,
        "GET",
        f"/n/{n}",
        200,
        None,
        None,
        "test",
        None,
    )


async def down(*_args, **_kwargs):
    raise ConnectionRefusedError("database is down")


async def urls_of(app, request_ids) -> set[str]:
    async with app.state.ctx.db() as session:
        rows = await session.execute(
            select(RequestLog.url).where(RequestLog.request_id.in_(list(request_ids)))
        )
        return set(rows.scalars())


async def test_a_full_buffer_keeps_the_newest_records_and_counts_the_rest(app):
    writer = LogWriter(engine=app.state.ctx.engine, capacity=10, batch_size=4)
    records = [record(n) for n in range(25)]
    for item in records:
        writer.submit(item)
    assert writer.pending == 10 and writer.dropped == 15
    writer._write = down  # the database goes away
    assert await writer.flush() is False
    assert writer.pending == 10 and writer.failures == 1 and writer.dropped == 15
    writer.submit(record(25))  # one more arrives during the outage: the oldest goes
    assert writer.pending == 10 and writer.dropped == 16
    del writer._write  # the database is back
    assert await writer.flush() is True
    assert writer.pending == 0 and writer.written == 10
    kept = await urls_of(app, [r[0] for r in records] + [])
    assert kept == {f"/n/{n}" for n in range(16, 25)}


async def test_records_that_arrive_during_a_write_wait_for_the_next_round(app):
    """A busy worker's requests keep arriving while a batch is written: the flush writes
    what was pending when it began, not one small batch after every request."""
    writer = LogWriter(engine=app.state.ctx.engine)
    batches: list[int] = []

    async def write_while_requests_arrive(batch) -> None:
        batches.append(len(batch))
        writer.submit(record(100 + len(batches)))  # a request answered meanwhile

    writer._write = write_while_requests_arrive
    for n in range(3):
        writer.submit(record(n))
    assert await writer.flush() is True
    assert batches == [3] and writer.pending == 1 and writer.written == 3
    del writer._write
    await writer.stop()  # at shutdown everything is written, however it arrived
    assert writer.pending == 0 and writer.written == 4


async def test_requests_are_served_while_the_database_refuses_the_logs(log_app):
    writer = log_app.state.request_log
    assert await writer.flush()  # what earlier tests left is written
    failures = writer.failures
    writer._write = down
    try:
        async with client_for(log_app) as http:
            ids = []
            for url in ("/healthz", "/static/css/urna.css", "/no-such-page"):
                response = await http.get(url)
                assert response.status_code in (200, 404)
                ids.append(response.headers["x-request-id"])
        await wait_until(lambda: writer.failures > failures, what="a background write failing")
        assert writer.pending == 3  # nothing lost: all three wait for the database
    finally:
        del writer._write
    assert await writer.flush() is True
    assert len(await urls_of(log_app, ids)) == 3


async def test_a_row_the_database_refuses_does_not_hold_back_the_others(app):
    writer = LogWriter(engine=app.state.ctx.engine)
    first = record(1)
    writer.submit(first)
    await writer.flush()
    # the same row again (as after a lost acknowledgement), with a new one behind it
    writer.submit(first)
    second = record(2)
    writer.submit(second)
    assert await writer.flush() is True
    assert writer.rejected == 1 and writer.written == 2
    assert await urls_of(app, [second[0]]) == {"/n/2"}


async def test_what_is_buffered_is_written_at_shutdown(database_url):
    settings = make_settings(database_url, request_log_interval_seconds=3600)
    application = create_app(settings)
    async with LifespanManager(application):
        async with client_for(application) as http:
            ids = [(await http.get("/healthz")).headers["x-request-id"] for _ in range(5)]
        assert application.state.request_log.pending == 5  # nothing written yet
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            count = await session.scalar(select(func.count()).where(RequestLog.request_id.in_(ids)))
    finally:
        await engine.dispose()
    assert count == 5


async def test_a_write_in_progress_at_shutdown_is_finished_not_cut_off(tmp_path):
    """The app stops while the writer's batch waits for SQLite's write lock, two more
    requests' records behind it: all are written once the lock comes free, and the app is
    down at once after. (The task was cancelled mid-write: its batch was lost, and its
    connection, closed while the statement ran on in the driver's thread, kept the lock
    the final flush then waited its 30 s busy timeout for.)"""
    path = tmp_path / "shutdown.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(migrate.upgrade, url)
    application = create_app(make_settings(url, request_log_interval_seconds=0.05))
    writer = application.state.request_log
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        async with LifespanManager(application):  # 5 s to shut down
            blocker.execute("BEGIN IMMEDIATE")  # another writer, for a moment
            async with client_for(application) as http:
                ids = [(await http.get("/healthz")).headers["x-request-id"] for _ in range(5)]
                await wait_until(lambda: writer.pending == 0, what="the batch on its way")
                assert writer.written == 0  # waiting for the lock
                ids += [(await http.get("/healthz")).headers["x-request-id"] for _ in range(2)]
            asyncio.get_running_loop().call_later(0.5, blocker.execute, "ROLLBACK")
            began = time.monotonic()
        assert time.monotonic() - began < 3
    finally:
        blocker.close()
    assert writer.written == 7 and writer.pending == 0
    check = sqlite3.connect(path)
    try:
        [(count,)] = check.execute(
            f"SELECT count(*) FROM request_log WHERE request_id IN ({','.join('?' * 7)})",  # noqa: S608
            ids,
        ).fetchall()
    finally:
        check.close()
    assert count == 7


async def test_a_write_still_hanging_when_the_grace_ends_is_kept_and_counted(app, caplog):
    writer = LogWriter(engine=app.state.ctx.engine, interval=0.01)

    async def hangs(_batch) -> None:
        await asyncio.Event().wait()  # a database that never answers

    writer._write = hangs
    await writer.start()
    for n in range(3):
        writer.submit(record(n))
    await wait_until(lambda: writer.pending == 0, what="the batch on its way")
    began = time.monotonic()
    await writer.stop(grace_seconds=0.2)
    assert time.monotonic() - began < 2
    assert writer.pending == 3 and writer.written == 0  # cut off, put back: not lost unsaid
    assert "3 records not written at shutdown" in caplog.text


async def test_logging_can_be_switched_off_and_the_request_id_stays(database_url):
    application = create_app(make_settings(database_url, request_log=False))
    async with LifespanManager(application):
        async with client_for(application) as http:
            response = await http.get("/healthz")
    assert len(response.headers["x-request-id"]) == 32
    assert application.state.request_log is None


async def test_reverse_dns_times_out_and_is_cached():
    calls = []

    def slow(ip: str) -> str:
        calls.append(ip)
        time.sleep(0.5)
        return "late.example"

    resolver = HostResolver(lookup=slow, timeout=0.05, cache_size=2)
    try:
        assert await resolver.resolve("192.0.2.9") is None  # too slow: no answer
        assert await resolver.resolve("192.0.2.9") is None  # not asked again at once
        assert calls == ["192.0.2.9"]
        assert resolver.waiting() == ["192.0.2.9"]  # but later (test_hosts)
        resolver.lookup = lambda ip: f"n{ip[-1]}.example"
        assert await resolver.resolve("192.0.2.1") == "n1.example"
        assert await resolver.resolve("192.0.2.2") == "n2.example"
        assert resolver.cached("192.0.2.9") is None  # least recently used went first
    finally:
        resolver.close()
