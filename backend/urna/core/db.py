"""Database engine, session factory and the metadata every model shares.

PostgreSQL is the system of record; SQLite (aiosqlite) is the embedded default. The same
code runs on both; the few dialect-specific fast paths check ``is_postgres``.
"""

from __future__ import annotations

import logging
import re
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import BigInteger, Connection, DateTime, Integer, MetaData, event
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import AsyncAdaptedQueuePool, PoolProxiedConnection
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import greenlet_spawn
from sqlmodel import SQLModel

from urna.core.metrics import POOL_CONNECTIONS, POOL_TIMEOUTS, POOL_WAIT

log = logging.getLogger("urna.db")
# What an unreachable database raises: refused or lost connections, timeouts, a server
# shutting down or starting up (asyncpg's errors reach us wrapped as OperationalError).
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    PoolTimeout,  # every pooled connection busy for pool_timeout: overload, try again
    InterfaceError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)
# SQLSTATEs of an outage, not a bug, which asyncpg raises as a bare DBAPIError: 08 a
# connection exception, 57P01-57P03 a server shutting down, crashed or not yet accepting
# connections (the seconds of a restart and its crash recovery), 53300 too many clients.
OUTAGE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def is_database_outage(error: BaseException) -> bool:
    """The database cannot be reached or is restarting: a 503, never a 500."""
    if isinstance(error, DATABASE_ERRORS):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:  # SQLAlchemy saw a disconnect
            return True
        return (getattr(error.orig, "sqlstate", None) or "").startswith(OUTAGE_SQLSTATES)
    return False


NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


# 64-bit ids on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC timestamps on both PostgreSQL and SQLite (which drops tzinfo)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use timezone-aware UTC")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class SQLiteConnection(sqlite3.Connection):
    """A SQLite connection that ends its transaction before it closes.

    A statement cancelled in flight (a request cancelled, a task stopped) still runs to
    its end in aiosqlite's thread, and SQLAlchemy then closes the connection. SQLite
    closes a connection that still has a prepared statement (a cursor the cancellation's
    traceback holds until the garbage collector runs) only in appearance: it keeps its
    transaction, and every other connection's write waits its busy timeout (30 s) for the
    lock. Rolled back first, a closed connection holds no lock, whatever still refers to it.
    """

    def close(self) -> None:
        try:
            if self.in_transaction:
                self.rollback()
        except sqlite3.Error:
            pass  # closed already, or the rollback failed: the close still goes ahead
        finally:
            super().close()


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30, "factory": SQLiteConnection})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - driver hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "savepoint")
        def _sqlite_begin_first(connection, _name):  # pragma: no cover - driver hook
            # pysqlite opens a transaction only before a write: a SAVEPOINT before any write
            # would open one of its own, and releasing it would commit the unit of work
            # so far. Open the unit's transaction first, so a SAVEPOINT nests in it.
            if not connection.connection.driver_connection.in_transaction:
                connection.exec_driver_sql("BEGIN")

        return engine
    # Overflow connections are closed on return; a pool large enough for the steady
    # load avoids reconnecting (and re-introspecting types) under a burst.
    max_overflow = max(2, pool_size // 4)
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=False,
        poolclass=TimedPool,
    )  # fmt: skip
    POOL_CONNECTIONS.labels("size").set(pool_size)
    POOL_CONNECTIONS.labels("overflow").set(max_overflow)
    _ping_after_idle(engine)
    return engine


class TimedPool(AsyncAdaptedQueuePool):
    """The queue pool, timing how long each checkout waited for a free connection (or a
    new one) and counting the checkouts refused after ``pool_timeout``: a pool too small
    for the load makes requests wait here while CPU stays idle, which no CPU reading shows.

    ``_do_get`` is the pool's one place that waits (SQLAlchemy 2.x); a checkout that
    loses a race for an overflow slot retries inside it and is then timed twice."""

    def _do_get(self):
        started = time.perf_counter()
        try:
            return super()._do_get()
        except PoolTimeout:
            POOL_TIMEOUTS.inc()
            raise
        finally:
            POOL_WAIT.observe(time.perf_counter() - started)


# A connection back in the pool for longer than this is checked before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection on checkout, but only after it lay idle a while.

    A connection that died with a database restart is replaced on checkout, not handed
    to a request that would fail on it; a restart takes longer than a second, so every
    connection that lived through one has been idle at least that long. SQLAlchemy's
    ``pool_pre_ping`` does the same at *every* checkout, and on asyncpg its ping is three
    round trips (BEGIN, a query, ROLLBACK): under load, more than the cast's own insert.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_since(_dbapi_connection, record):  # pragma: no cover - driver hook
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _alive(dbapi_connection, record, _proxy):  # pragma: no cover - driver hook
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # new, or back in the pool a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:  # noqa: BLE001 - any failure: the pool takes another
            raise DisconnectionError() from error


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends normally, rolls back when it raises.

    The one owner of commit and rollback for requests (``core.context.DbSession``), jobs
    and commands. Services flush, never commit; a write that may be refused while the
    rest of the unit goes on (a unique conflict that is reported, not raised) runs in a
    SAVEPOINT (``session.begin_nested()``). The cast is the exception: it commits
    explicitly before the receipt is shown."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            try:
                await session.rollback()
            except Exception as error:  # noqa: BLE001
                if not is_database_outage(error):
                    raise
                # the connection died: nothing to undo, say the first error
                log.warning("rollback on a lost database connection")
            raise
        if session.in_transaction():  # a unit that began nothing has nothing to commit
            await session.commit()


def is_postgres(session: AsyncSession) -> bool:
    return session.bind.dialect.name == "postgresql"


# ---- one statement on the driver (PostgreSQL) -----------------------------------------

_NAMED_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True, slots=True)
class DriverStatement:
    """A statement written with ``:name`` parameters (as ``text()`` takes it), numbered
    ``$1``, ``$2``… for asyncpg; a name used twice is one parameter."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, sql: str) -> DriverStatement:
        numbers: dict[str, int] = {}

        def number(match: re.Match[str]) -> str:
            return f"${numbers.setdefault(match.group(1), len(numbers) + 1)}"

        return cls(_NAMED_PARAMETER.sub(number, sql), tuple(numbers))


def _unit_connection(session: Session) -> tuple[Connection, Any]:
    """(SQLAlchemy's connection, the driver's) of a unit of work, run in its greenlet."""
    connection = session.connection()
    return connection, connection.connection.driver_connection


async def driver_connection(session: AsyncSession) -> Any:
    """The driver's connection (asyncpg's) of the session's unit of work, taken from the
    pool if the unit had none yet: one greenlet switch, where ``session.connection()``
    then ``get_raw_connection()`` cost two."""
    return (await session.run_sync(_unit_connection))[1]


async def driver_fetchval(
    session: AsyncSession, statement: DriverStatement, values: Mapping[str, Any]
) -> Any:
    """Run one statement on asyncpg in one round trip, inside the session's begun unit of
    work, and return the first column of its first row. PostgreSQL only.

    The statement runs in a SAVEPOINT on the unit's connection, committed with the unit
    (when the unit holds a connection but has sent nothing on it yet: alone on it, durable
    at once); a refusal leaves the unit as it was. A statement that is a transaction of its
    own goes to ``core.dbbatch``, written with its concurrent neighbours: called in a unit
    that has begun nothing, this is a programming error (``RuntimeError``), nothing sent.

    Errors come out as SQLAlchemy's: ``IntegrityError`` for a constraint (its ``orig``
    names it, see ``violated_constraint``), ``DBAPIError`` for the rest, the connection
    invalidated when it was lost (``is_database_outage``)."""
    if not session.in_transaction():
        raise RuntimeError(
            "driver_fetchval runs inside a begun unit of work; "
            "a statement of its own goes to core.dbbatch"
        )
    args = [values[name] for name in statement.names]
    connection, driver = await session.run_sync(_unit_connection)
    try:
        if not driver.is_in_transaction():  # the unit holds a connection, nothing sent
            return await driver.fetchval(statement.sql, *args)
        async with driver.transaction():  # nested in the unit's: a SAVEPOINT
            return await driver.fetchval(statement.sql, *args)
    except DRIVER_ERRORS as error:
        raise await driver_error(statement, error, driver, connection) from error


DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # a protocol left mid-operation by a lost connection
    OSError,
    TimeoutError,
)


def driver_lost(error: BaseException, driver: Any) -> bool:
    """The driver's connection cannot be used again after this error: it is kept only
    after a plain SQL error, or input refused before it was sent, on a connection still
    open."""
    if driver.is_closed():
        return True
    if isinstance(error, asyncpg.DataError):  # asyncpg could not encode a parameter
        return False
    return not (
        isinstance(error, asyncpg.PostgresError)
        and not (error.sqlstate or "").startswith(OUTAGE_SQLSTATES)
    )


async def driver_error(
    statement: DriverStatement,
    error: BaseException,
    driver: Any,
    connection: Connection | PoolProxiedConnection,
) -> Exception:
    """SQLAlchemy's exception for an error of the driver; a lost connection invalidated
    (the pool replaces it, never hands it out again)."""
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return IntegrityError(statement.sql, None, error, hide_parameters=True)
    lost = driver_lost(error, driver)
    if lost:
        await greenlet_spawn(connection.invalidate)
    return DBAPIError(statement.sql, None, error, hide_parameters=True, connection_invalidated=lost)


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")


def violated_constraint(error: IntegrityError) -> str:
    """Name the unique constraint an IntegrityError broke, on PostgreSQL and SQLite alike.

    PostgreSQL reports the constraint name; SQLite reports ``table.col, table.col`` which
    is mapped to the name our naming convention gives the same constraint.
    """
    orig = getattr(error, "orig", None)
    name = getattr(orig, "constraint_name", None) or getattr(
        getattr(orig, "__cause__", None), "constraint_name", None
    )
    if name:
        return name
    match = _SQLITE_UNIQUE.search(str(orig))
    if match:
        columns = [part.strip() for part in match.group(1).split(",")]
        table = columns[0].split(".")[0]
        return "uq_" + table + "_" + "_".join(col.split(".")[1] for col in columns)
    return ""
