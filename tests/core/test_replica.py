"""With ``URNA_DATABASE_REPLICA_URL`` set, console pages that only read are served from
the replica while every write (logins, the audit of a log search) goes to the primary.
The two databases are told apart by data only one of them holds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from tests.conftest import fresh_database, make_settings
from tests.factories.staff import staff_client
from urna.core.audit import AuditEvent, audit_append
from urna.core.db import create_engine, session_factory, transaction
from urna.main import create_app
from urna.requestlog.models import RequestLog


@pytest.fixture
async def two_databases(tmp_path) -> AsyncIterator[tuple[str, str]]:
    primary, drop_primary = await fresh_database(tmp_path)
    replica, drop_replica = await fresh_database(tmp_path)
    try:
        yield primary, replica
    finally:
        await drop_primary()
        await drop_replica()


async def _put(url: str, marker: str) -> None:
    """An audit event and a request log row that name ``marker``, stored at ``url``."""
    engine = create_engine(url, pool_size=1)
    try:
        async with transaction(session_factory(engine)) as session:
            await audit_append(session=session, actor_id=None, action="test.mark", target=marker)
            now = datetime.now(UTC)
            session.add(
                RequestLog(
                    request_id=uuid.uuid4().hex,
                    arrived_at=now,
                    responded_at=now,
                    duration_us=1,
                    method="GET",
                    url=f"/{marker}",
                    status=200,
                )  # fmt: skip
            )
    finally:
        await engine.dispose()


async def _actions(url: str) -> list[str]:
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            return list(await session.scalars(select(AuditEvent.action)))
    finally:
        await engine.dispose()


async def test_read_only_console_pages_read_the_replica_and_writes_go_to_the_primary(
    two_databases,
):
    primary, replica = two_databases
    mark = uuid.uuid4().hex[:8]
    await _put(primary, f"{mark}-primary")
    await _put(replica, f"{mark}-replica")
    app = create_app(make_settings(primary, database_replica_url=replica, request_log=False))
    async with LifespanManager(app):
        async with await staff_client(app, "admin") as http:  # the login writes: primary
            audit = await http.get("/staff/audit")
            logs = await http.get("/staff/logs", params={"path": f"/{mark}"})
    assert audit.status_code == 200, audit.text
    assert f"{mark}-replica" in audit.text
    assert f"{mark}-primary" not in audit.text
    assert logs.status_code == 200, logs.text
    assert f"/{mark}-replica" in logs.text
    assert f"/{mark}-primary" not in logs.text
    # the search is audited, on the primary only; the replica got no write at all
    assert "requestlog.search" in await _actions(primary)
    assert await _actions(replica) == ["test.mark"]


async def test_without_a_replica_the_same_pages_read_the_primary(app, settings):
    mark = uuid.uuid4().hex[:8]
    await _put(settings.database_url, f"{mark}-primary")
    assert app.state.ctx.replica_db is None
    async with await staff_client(app, "admin") as http:
        audit = await http.get("/staff/audit", params={"target": f"{mark}-primary"})
    assert audit.status_code == 200, audit.text
    assert f"{mark}-primary" in audit.text
