"""One statement straight to asyncpg (the online cast's insert inside a begun unit of work):
in a SAVEPOINT of the unit's transaction, on its connection, one round trip; a refusal
leaves the unit usable and comes out as SQLAlchemy's IntegrityError naming its constraint;
a lost connection as an outage (503), invalidated. A unit that has begun nothing is
refused: a statement of its own is ``core.dbbatch``'s (tests/core/test_dbbatch.py)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.factories.db import probe_table
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


async def test_a_unit_that_began_nothing_is_refused_before_anything_is_sent(engine):
    # a statement of its own is core.dbbatch's (voting.repository.ballot_insert sends it there)
    factory = session_factory(engine)
    async with transaction(factory) as session:
        with pytest.raises(RuntimeError, match="core.dbbatch"):
            await driver_fetchval(session, INSERT, {"k": "a", "n": 1})
        assert not session.in_transaction()
        assert engine.sync_engine.pool.checkedout() == 0
    assert await _count(engine) == 0


async def test_inside_a_begun_unit_a_savepoint_and_the_units_commit(engine):
    factory = session_factory(engine)
    with pytest.raises(RuntimeError, match="the unit fails"):
        async with transaction(factory) as session:
            await session.execute(text("SELECT 1"))  # the unit has begun a transaction
            await driver_fetchval(session, INSERT, {"k": "b", "n": 1})
            with pytest.raises(IntegrityError) as refused:
                await driver_fetchval(session, INSERT, {"k": "b", "n": 1})
            assert violated_constraint(refused.value) == "uq_driver_probe_k"
            assert "'b'" not in str(refused.value)  # parameters are never in the message
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
