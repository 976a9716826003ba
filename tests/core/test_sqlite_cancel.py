"""A write cancelled while SQLite runs it (a request cancelled, a task stopped) leaves no
lock behind: the driver's thread finishes the statement anyway and SQLAlchemy closes the
connection, and a connection closed while a cursor of it is still alive (held by the
cancellation's traceback until the garbage collector runs) kept its transaction open, so
every other write waited its 30 s busy timeout."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sqlite3

import pytest
from sqlalchemy import text

from urna.core.db import create_engine

pytestmark = pytest.mark.flow


def write_at_once(path) -> None:
    connection = sqlite3.connect(path, timeout=2)
    try:
        connection.execute("INSERT INTO note VALUES (2)")
        connection.commit()
    finally:
        connection.close()


async def test_a_write_cancelled_in_the_driver_leaves_the_database_unlocked(tmp_path):
    path = tmp_path / "cancel.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE note (n INTEGER)"))
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the write lock: the INSERT below waits for it

    async def write() -> None:  # a batch, as the request log writes it
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO note VALUES (:n)"), [{"n": 1}, {"n": 3}])

    gc.disable()  # the cancelled cursor's cycle stays, as between two collections
    try:
        task = asyncio.create_task(write())
        await asyncio.sleep(0.3)  # the INSERT is waiting in the driver's thread
        task.cancel()
        blocker.execute("ROLLBACK")  # the INSERT now runs, after its caller has gone
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.to_thread(write_at_once, path)  # not "database is locked"
    finally:
        gc.enable()
        blocker.close()
        await engine.dispose()
    check = sqlite3.connect(path)
    try:
        assert check.execute("SELECT n FROM note").fetchall() == [(2,)]  # the batch undone
    finally:
        check.close()
