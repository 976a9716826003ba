"""Pooled connections are checked only after lying idle (PostgreSQL): the cast path pays
no ping under load, and a connection that died meanwhile (a database restart) is replaced
on checkout instead of failing the request that gets it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text

from urna.core import db as core_db
from urna.core.db import create_engine

pytestmark = pytest.mark.postgres_only


async def test_a_connection_killed_while_idle_is_replaced(database_url, monkeypatch):
    monkeypatch.setattr(core_db, "PING_AFTER_IDLE_SECONDS", 0.2)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as conn:  # back a moment ago: no ping, the same one
            assert await conn.scalar(text("SELECT pg_backend_pid()")) == pid
        admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        await admin.close()
        await asyncio.sleep(0.3)  # idle longer than the threshold: checked, found dead
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
            assert await conn.scalar(text("SELECT pg_backend_pid()")) != pid
    finally:
        await engine.dispose()
