"""One statement from many concurrent requests, written together (PostgreSQL only).

Under load a worker has many casts in flight, each one statement that would be a
transaction of its own: each pays a round trip, a transaction and a commit that waits for
the WAL, and thirty-odd backends committing at once contend for the same cores (the
database's CPU per ballot doubled under load, docs/performance.md). ``StatementBatch``
takes the statements that arrive while the previous batch is on its way and sends them as
one transaction (asyncpg's ``executemany``: pipelined, atomic). Each caller's ``await``
returns only once that transaction has committed, so an answer still means durable.

When the database refuses one of them (a UNIQUE key: the same person twice, a contact's
slot taken; or a deadlock with another worker's batch), the batch is rolled back and each
statement is sent again alone, as it would have been without batching: every caller gets
its own write or its own refusal, never a neighbour's (the fallback is logged at debug
level with the refusal's SQLSTATE). A lost connection or an outage fails every caller of
the batch (a 503 each, nothing acknowledged); the pool replaces the connection.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from urna.core.db import DRIVER_ERRORS, DriverStatement, driver_error, driver_lost
from urna.core.metrics import DB_BATCH

log = logging.getLogger("urna.db")

# The most statements one transaction carries: more than a worker has requests in flight.
BATCH_LIMIT = 64
# Batches on their way at once, per process and statement: one fills while one commits.
WRITERS = 2

# What the database (or asyncpg, before sending) refuses of a statement's values; whether
# the connection survived is ``driver_lost``'s to say.
REFUSALS = (asyncpg.PostgresError, asyncpg.DataError)

Waiting = tuple[list[Any], "asyncio.Future[None]"]


class StatementBatch:
    """One statement (its result not read), batched for one engine in one event loop."""

    def __init__(
        self, engine: AsyncEngine, statement: DriverStatement, loop: asyncio.AbstractEventLoop
    ) -> None:
        self.engine = engine
        self.loop = loop
        self.statement = statement
        self._waiting: list[Waiting] = []
        self._writers = 0
        self._tasks: set[asyncio.Task[None]] = set()  # kept: the loop holds tasks weakly

    async def run(self, values: dict[str, Any]) -> None:
        """Send the statement with these values; durable when this returns. Errors as
        ``core.db.driver_fetchval`` raises them: ``IntegrityError`` naming the constraint,
        ``DBAPIError`` (an outage when the connection was lost)."""
        future: asyncio.Future[None] = self.loop.create_future()
        self._waiting.append(([values[name] for name in self.statement.names], future))
        if self._writers < WRITERS:
            self._writers += 1
            task = self.loop.create_task(self._write())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await future

    async def _write(self) -> None:
        batch: list[Waiting] = []
        try:
            await asyncio.sleep(0)  # the requests of this loop turn join the first batch
            while self._waiting:
                # a caller cancelled before its batch left is not sent
                batch = [item for item in self._waiting[:BATCH_LIMIT] if not item[1].done()]
                del self._waiting[:BATCH_LIMIT]
                if batch:
                    await self._send(batch)
        except BaseException as error:  # never leave a caller waiting for ever
            for _args, future in batch + self._waiting:
                _fail(future, error)
            self._waiting.clear()
            raise
        finally:
            self._writers -= 1

    async def _send(self, batch: list[Waiting]) -> None:
        DB_BATCH.observe(len(batch))
        try:
            pooled = await self.engine.raw_connection()
        except Exception as error:  # noqa: BLE001 - the pool's refusal is every caller's
            for _args, future in batch:
                _fail(future, error)
            return
        driver = pooled.driver_connection
        try:
            if len(batch) == 1 or not await self._together(driver, batch):
                await self._alone(driver, pooled, batch)
        except DRIVER_ERRORS as error:
            failure = await driver_error(self.statement, error, driver, pooled)
            for _args, future in batch:
                _fail(future, failure)
        finally:
            await greenlet_spawn(pooled.close)

    async def _together(self, driver: Any, batch: list[Waiting]) -> bool:
        """One transaction for the whole batch; False when the database refused one of its
        statements (the transaction rolled back, the connection still good)."""
        try:
            async with driver.transaction():
                await driver.executemany(self.statement.sql, [args for args, _ in batch])
        except REFUSALS as error:
            if driver_lost(error, driver):
                raise
            # the SQLSTATE alone: the database's message names the values (a key's detail)
            log.debug(
                "a batch of %d refused (%s): each statement sent alone",
                len(batch),
                getattr(error, "sqlstate", None) or type(error).__name__,
            )
            return False
        for _args, future in batch:
            if not future.done():
                future.set_result(None)
        return True

    async def _alone(self, driver: Any, pooled: Any, batch: list[Waiting]) -> None:
        """Each statement a transaction of its own, each caller its own answer."""
        for args, future in batch:
            try:
                await driver.execute(self.statement.sql, *args)
            except REFUSALS as error:
                if driver_lost(error, driver):
                    raise
                _fail(future, await driver_error(self.statement, error, driver, pooled))
            else:
                if not future.done():
                    future.set_result(None)


def _fail(future: asyncio.Future[None], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


_BATCHES: weakref.WeakKeyDictionary[Any, dict[str, StatementBatch]] = weakref.WeakKeyDictionary()


def statement_batch(engine: AsyncEngine, statement: DriverStatement) -> StatementBatch:
    """The batch of this statement for this engine in the running event loop (a batch
    belongs to the loop that made it: its writers are that loop's tasks)."""
    loop = asyncio.get_running_loop()
    batches = _BATCHES.setdefault(engine.sync_engine, {})
    batch = batches.get(statement.sql)
    if batch is None or batch.loop is not loop:
        batch = batches[statement.sql] = StatementBatch(engine, statement, loop)
    return batch
