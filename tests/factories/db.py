"""A scratch table in the test database, for tests of the database layer itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from urna.core.db import create_engine


@asynccontextmanager
async def probe_table(database_url: str, name: str, columns: str) -> AsyncIterator[AsyncEngine]:
    """An engine (a pool of 2) with table ``name`` made anew from ``columns``; dropped after."""
    engine = create_engine(database_url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
        await conn.execute(text(f"CREATE TABLE {name} ({columns})"))
    try:
        yield engine
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP TABLE {name}"))
        await engine.dispose()
