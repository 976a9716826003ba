"""Retention: kept indefinitely by default; the policy's options cut addresses to /24 or
/48, drop session hashes, or delete, after N days. ``urna logs prune`` applies them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import fresh_database
from tests.requestlog.factories import row, rows_write
from urna.core.db import create_engine, session_factory, transaction
from urna.requestlog import service
from urna.requestlog.models import RequestLog
from urna.requestlog.repository import ip_truncated
from urna.requestlog.writer import LogWriter

pytestmark = pytest.mark.flow

URNA = str(Path(sys.executable).with_name("urna"))
NOW = datetime(2000, 6, 1, tzinfo=UTC)  # before the rows of every other test


async def rows_by_id(factory, ids):
    async with factory() as session:
        result = await session.execute(select(RequestLog).where(RequestLog.request_id.in_(ids)))
        return {r.request_id: r for r in result.scalars()}


def test_ip_truncation():
    assert ip_truncated("203.0.113.77") == "203.0.113.0"
    assert ip_truncated("2001:db8:1234:5678::9") == "2001:db8:1234::"
    assert ip_truncated(None) is None


async def test_default_retention_keeps_everything(app):
    old = NOW - timedelta(days=3000)
    (request_id,) = await rows_write(app, [row(old, session_hash="keep", host="a.example")])
    async with transaction(app.state.ctx.db) as session:
        report = await service.logs_prune(
            session=session,
            keep_days=None,
            truncate_ip_after_days=None,
            drop_session_after_days=None,
            now=NOW,
        )
    assert report == service.PruneReport()
    kept = (await rows_by_id(app.state.ctx.db, [request_id]))[request_id]
    assert kept.ip == "192.0.2.1" and kept.session_hash == "keep"


@pytest.fixture
async def own_log(tmp_path):
    """A database of its own: pruning reaches the whole table, so its report counts only
    this test's rows."""
    url, drop = await fresh_database(tmp_path)
    engine = create_engine(url, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()
        await drop()


async def test_prune_truncates_drops_and_deletes_as_configured_and_is_idempotent(own_log):
    writer = LogWriter(engine=own_log)
    written = [
        row(NOW - timedelta(days=400), ip="203.0.113.77", session_hash="a", host="x.example"),
        row(NOW - timedelta(days=40), ip="2001:db8:1234:5678::9", session_hash="b"),
        row(NOW - timedelta(days=10), ip="198.51.100.3", session_hash="c", host="y.example"),
        row(NOW - timedelta(days=1), ip="198.51.100.4", session_hash="d"),
    ]
    for item in written:
        writer.submit(item)
    assert await writer.flush()
    ids = [item[0] for item in written]
    factory = session_factory(own_log)
    options = dict(keep_days=365, truncate_ip_after_days=30, drop_session_after_days=7)
    async with transaction(factory) as session:
        report = await service.logs_prune(session=session, now=NOW, **options)
    assert report == service.PruneReport(deleted=1, ips_truncated=1, sessions_dropped=2)
    rows = await rows_by_id(factory, ids)
    assert ids[0] not in rows  # older than a year: gone
    assert (rows[ids[1]].ip, rows[ids[1]].host, rows[ids[1]].session_hash) == (
        "2001:db8:1234::",
        "",
        None,
    )
    assert (rows[ids[2]].ip, rows[ids[2]].host, rows[ids[2]].session_hash) == (
        "198.51.100.3",
        "y.example",
        None,
    )
    assert (rows[ids[3]].ip, rows[ids[3]].session_hash) == ("198.51.100.4", "d")
    async with transaction(factory) as session:
        again = await service.logs_prune(session=session, now=NOW, **options)
    assert again == service.PruneReport()


async def test_the_prune_command(tmp_path, settings):
    url, drop = await fresh_database(tmp_path)
    engine = create_engine(url)
    try:
        old = datetime.now(UTC) - timedelta(days=10)
        writer = LogWriter(engine=engine)
        writer.submit(row(old, ip="203.0.113.77", session_hash="old"))
        assert await writer.flush()
        env = {
            **os.environ,
            "URNA_ENVIRONMENT": "test",
            "URNA_DATABASE_URL": url,
            "URNA_SECRET_KEY": settings.secret_key.get_secret_value(),
            "URNA_DATA_KEY": settings.data_key.get_secret_value(),
            "URNA_HMAC_KEY": settings.hmac_key.get_secret_value(),
            "URNA_REQUEST_LOG_DROP_SESSION_AFTER_DAYS": "7",
        }
        done = await asyncio.to_thread(
            subprocess.run,
            [URNA, "logs", "prune", "--truncate-ip-after-days", "5"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "0 deleted, 1 addresses truncated, 1 session hashes dropped" in done.stdout
        async with session_factory(engine)() as session:
            kept = (await session.execute(select(RequestLog))).scalar_one()
        assert (kept.ip, kept.session_hash) == ("203.0.113.0", None)
    finally:
        await engine.dispose()
        await drop()
