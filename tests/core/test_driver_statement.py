"""One statement straight to asyncpg (the online cast's insert): alone on a pooled
connection, one round trip, when the unit has begun nothing; in a SAVEPOINT of the
unit's transaction, on its connection, when it has; a refusal leaves the unit usable and
comes out as SQLAlchemy's IntegrityError naming its constraint; a lost connection as an
outage (503), invalidated."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from tests.factories.db import probe_table
from urna.core import db
from urna.core.db import (
    DriverStatement,
    driver_fetchval,
    is_database_outage,
    session_factory,
    transaction,
    violated_constraint,
)

pytestmark = pytest.mark.postgres_only

INSERT = DriverStatement.of("INSERT INTO driver_probe (k, n) VALUES (:k, :n) RETURNING n + :n")


def test_named_parameters_are_numbered_once_each_and_casts_stay():
    statement = DriverStatement.of("SELECT :a, CAST(:b AS int[]), :a, x::text FROM t")
    assert statement.sql == "SELECT $1, CAST($2 AS int[]), $1, x::text FROM t"
    assert statement.names == ("a", "b")


@pytest.fixture
async def engine(database_url):
    columns = "k text CONSTRAINT uq_driver_probe_k UNIQUE, n int"
    async with probe_table(database_url, "driver_probe", columns) as engine:
        yield engine


async def _count(engine) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT count(*) FROM driver_probe"))


def _log_new_connections(engine) -> list[str]:
    """The statements every connection the pool opens from now on is sent."""
    statements: list[str] = []

    @event.listens_for(engine.sync_engine, "connect")
    def _logged(dbapi_connection, _record):
        dbapi_connection.driver_connection.add_query_logger(
            lambda record: statements.append(record.query)
        )

    return statements


async def test_a_unit_that_began_nothing_sends_the_statement_alone_on_a_pooled_connection(
    engine,
):
    await engine.dispose()  # connections opened from here on are logged
    statements = _log_new_connections(engine)
    pool = engine.sync_engine.pool
    factory = session_factory(engine)
    async with transaction(factory) as session:
        assert await driver_fetchval(session, INSERT, {"k": "a", "n": 2}) == 4
        # durable already: no BEGIN, no COMMIT, no ORM transaction, the connection back
        assert not session.in_transaction()
        assert pool.checkedout() == 0
        with pytest.raises(IntegrityError) as refused:
            await driver_fetchval(session, INSERT, {"k": "a", "n": 3})
        assert pool.checkedout() == 0
        assert violated_constraint(refused.value) == "uq_driver_probe_k"
        assert "'a'" not in str(refused.value)  # parameters are never in the message
        await asyncio.sleep(0)  # asyncpg calls its query loggers soon, not at once
        assert statements == [INSERT.sql, INSERT.sql]  # the refused one too, alone
        assert await session.scalar(text("SELECT count(*) FROM driver_probe")) == 1
    assert await _count(engine) == 1


async def test_a_pooled_connection_lost_under_the_statement_is_replaced(
    engine, database_url, monkeypatch
):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 3600.0)  # the pool hands it out
    await engine.dispose()
    pooled = await engine.raw_connection()
    pid = await pooled.driver_connection.fetchval("SELECT pg_backend_pid()")
    await session_factory(engine)().run_sync(lambda _session: pooled.close())
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    factory = session_factory(engine)
    with pytest.raises(Exception) as lost:
        async with transaction(factory) as session:
            await driver_fetchval(session, INSERT, {"k": "z", "n": 1})
    assert is_database_outage(lost.value)
    assert engine.sync_engine.pool.checkedout() == 0
    async with transaction(factory) as session:  # a new connection, not the dead one
        assert await driver_fetchval(session, INSERT, {"k": "z", "n": 1}) == 2
        assert await session.scalar(text("SELECT pg_backend_pid()")) != pid


async def test_inside_a_begun_unit_a_savepoint_and_the_units_commit(engine):
    factory = session_factory(engine)
    with pytest.raises(RuntimeError):
        async with transaction(factory) as session:
            await session.execute(text("SELECT 1"))  # the unit has begun a transaction
            await driver_fetchval(session, INSERT, {"k": "b", "n": 1})
            with pytest.raises(IntegrityError):
                await driver_fetchval(session, INSERT, {"k": "b", "n": 1})
            # the refusal rolled back to its savepoint: the unit goes on
            assert await session.scalar(text("SELECT count(*) FROM driver_probe")) == 1
            raise RuntimeError("the unit fails after the statement")
    assert await _count(engine) == 0  # rolled back with the unit
    async with transaction(factory) as session:
        await session.execute(text("SELECT 1"))
        await driver_fetchval(session, INSERT, {"k": "c", "n": 1})
    assert await _count(engine) == 1


async def test_a_connection_lost_mid_unit_is_an_outage_and_is_replaced(engine, database_url):
    factory = session_factory(engine)
    async with transaction(factory) as session:
        pid = await session.scalar(text("SELECT pg_backend_pid()"))
        await session.commit()
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        with pytest.raises(Exception) as lost:
            async with transaction(factory) as session:
                assert await session.scalar(text("SELECT pg_backend_pid()")) == pid
                await admin.execute("SELECT pg_terminate_backend($1)", pid)
                await driver_fetchval(session, INSERT, {"k": "d", "n": 1})
        assert is_database_outage(lost.value)
    finally:
        await admin.close()
    async with transaction(factory) as session:  # a new connection, not the dead one
        assert await session.scalar(text("SELECT pg_backend_pid()")) != pid
        assert await driver_fetchval(session, INSERT, {"k": "e", "n": 1}) == 2
