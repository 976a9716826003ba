"""Concurrent statements written in one transaction (the online cast's insert): every
caller answered only after its write committed; a refused statement refuses only its own
caller, its neighbours in the batch are written; a lost connection fails the batch as an
outage and the next batch gets a new connection; a caller cancelled before its batch
leaves is not written; two workers' batches in a deadlock: the one PostgreSQL aborts is
sent again statement by statement."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.factories.db import probe_table
from urna.core import dbbatch
from urna.core.db import DriverStatement, create_engine, is_database_outage, violated_constraint
from urna.core.dbbatch import statement_batch
from urna.core.metrics import DB_BATCH

pytestmark = pytest.mark.postgres_only

INSERT = DriverStatement.of("INSERT INTO batch_probe (k, n) VALUES (:k, :n)")
SLOW = DriverStatement.of(
    "INSERT INTO batch_probe (k, n) SELECT :k, :n FROM pg_sleep(CAST(:sleep AS float8))"
)
# Written once the advisory lock ``gate`` can be shared: while the test holds it, a batch
# waits there (gate 0, held by nobody, is open).
GATE = 7_405_011
GATED = DriverStatement.of(
    "INSERT INTO batch_probe (k, n)"
    " SELECT :k, :n FROM pg_advisory_xact_lock_shared(CAST(:gate AS bigint))"
)


@pytest.fixture
async def engine(database_url):
    columns = (
        "k text CONSTRAINT uq_batch_probe_k UNIQUE, n int,"
        " tx xid8 DEFAULT pg_current_xact_id()"  # the transaction that wrote it
    )
    async with probe_table(database_url, "batch_probe", columns) as engine:
        yield engine


async def _keys(engine) -> list[str]:
    async with engine.connect() as conn:
        return list(await conn.scalars(text("SELECT k FROM batch_probe ORDER BY k")))


def _batches() -> tuple[float, float]:
    """(batches sent, statements they carried) so far in this process."""
    samples = {s.name: s.value for s in DB_BATCH.collect()[0].samples}
    return samples["urna_db_batch_statements_count"], samples["urna_db_batch_statements_sum"]


async def _run_all(engine, statement, values: list[dict]) -> list[BaseException | None]:
    batch = statement_batch(engine, statement)
    return await asyncio.gather(*(batch.run(v) for v in values), return_exceptions=True)


async def test_concurrent_statements_share_transactions_and_are_durable_when_answered(engine):
    sent, carried = _batches()
    outcomes = await _run_all(engine, INSERT, [{"k": f"k{i:02}", "n": i} for i in range(40)])
    assert outcomes == [None] * 40
    assert await _keys(engine) == [f"k{i:02}" for i in range(40)]  # committed when answered
    async with engine.connect() as conn:
        transactions = await conn.scalar(text("SELECT count(DISTINCT tx) FROM batch_probe"))
    assert transactions <= 2  # 40 requests of one loop turn: a transaction or two, not 40
    batches, statements = _batches()
    assert (batches - sent, statements - carried) == (transactions, 40)


async def test_a_refused_statement_refuses_only_its_caller(engine):
    await _run_all(engine, INSERT, [{"k": "taken", "n": 0}])
    values = [{"k": f"k{i}", "n": i} for i in range(9)]
    values[4] = {"k": "taken", "n": 4}  # a key already written
    values.append({"k": "k1", "n": 99})  # the same key as a neighbour in the same batch
    values.append({"k": "bad", "n": "not a number"})  # refused by the driver before sending
    outcomes = await _run_all(engine, INSERT, values)
    assert isinstance(outcomes[4], IntegrityError)
    assert violated_constraint(outcomes[4]) == "uq_batch_probe_k"
    assert isinstance(outcomes[9], IntegrityError)  # the second k1: the first one won
    assert isinstance(outcomes[10], DBAPIError) and not is_database_outage(outcomes[10])
    assert [o for i, o in enumerate(outcomes) if i not in (4, 9, 10)] == [None] * 8
    assert await _keys(engine) == sorted(["taken"] + [f"k{i}" for i in range(9) if i != 4])
    # the connection was not given up for a refusal: the next batch is written
    assert await _run_all(engine, INSERT, [{"k": "after", "n": 1}]) == [None]


async def test_a_connection_lost_under_a_batch_is_an_outage_for_each_caller(engine, database_url):
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        values = [{"k": f"s{i}", "n": i, "sleep": 2} for i in range(5)]
        writes = asyncio.ensure_future(_run_all(engine, SLOW, values))
        for _ in range(100):  # until the batch's backend runs the statement
            pids = await admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep%'"
                " AND datname = current_database() AND pid <> pg_backend_pid()"
            )
            if pids:
                break
            await asyncio.sleep(0.02)
        for row in pids:
            await admin.execute("SELECT pg_terminate_backend($1)", row["pid"])
        outcomes = await asyncio.wait_for(writes, 10)
    finally:
        await admin.close()
    assert pids and all(is_database_outage(o) for o in outcomes)
    assert await _keys(engine) == []  # nothing acknowledged, nothing written
    assert engine.sync_engine.pool.checkedout() == 0
    assert await _run_all(engine, INSERT, [{"k": "after", "n": 1}]) == [None]


async def test_a_caller_cancelled_before_its_batch_leaves_is_not_written(engine, monkeypatch):
    monkeypatch.setattr(dbbatch, "WRITERS", 1)  # the second batch waits for the first
    batch = statement_batch(engine, SLOW)
    first = asyncio.ensure_future(batch.run({"k": "first", "n": 1, "sleep": 0.5}))
    await asyncio.sleep(0.2)  # the first batch is on its way
    cancelled = asyncio.ensure_future(batch.run({"k": "cancelled", "n": 2, "sleep": 0}))
    kept = asyncio.ensure_future(batch.run({"k": "kept", "n": 3, "sleep": 0}))
    await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.wait_for(asyncio.gather(first, kept), 10)
    assert cancelled.cancelled()
    assert await _keys(engine) == ["first", "kept"]


async def test_each_event_loop_has_its_own_batch(engine):
    here = statement_batch(engine, INSERT)
    assert statement_batch(engine, INSERT) is here
    assert here.loop is asyncio.get_running_loop()
    # a batch is the loop's: a test's next loop, or a worker's, gets another
    elsewhere = asyncio.new_event_loop()
    try:
        stale = dbbatch.StatementBatch(engine, INSERT, elsewhere)
        dbbatch._BATCHES[engine.sync_engine][INSERT.sql] = stale
        fresh = statement_batch(engine, INSERT)
    finally:
        elsewhere.close()
    assert fresh is not stale and fresh.loop is asyncio.get_running_loop()


async def _gate_waiters(admin) -> int:
    """The backends of the test's database waiting at the gate (``GATED``)."""
    return await admin.fetchval(
        "SELECT count(*) FROM pg_locks JOIN pg_database d ON d.oid = pg_locks.database"
        " WHERE locktype = 'advisory' AND objid = $1 AND NOT granted"
        " AND d.datname = current_database()",
        GATE,
    )


async def test_two_workers_batches_holding_each_others_keys_deadlock_and_end_with_each_key_once(
    engine, database_url, caplog
):
    # two pools as two workers would have; each batch writes x and y in another order.
    # The test holds the gate, so each batch writes its first key and then waits; opened,
    # each waits for the key the other holds: PostgreSQL aborts one (a deadlock), which is
    # sent again statement by statement — and refused where the other committed first
    caplog.set_level(logging.DEBUG, logger="urna.db")
    other = create_engine(database_url, pool_size=2)
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await admin.execute("SELECT pg_advisory_lock($1)", GATE)
        first = _run_all(
            engine, GATED, [{"k": "x", "n": 1, "gate": 0}, {"k": "y", "n": 1, "gate": GATE}]
        )
        second = _run_all(
            other, GATED, [{"k": "y", "n": 2, "gate": 0}, {"k": "x", "n": 2, "gate": GATE}]
        )
        writes = asyncio.ensure_future(asyncio.gather(first, second))
        for _ in range(500):  # until both batches wrote their first key and wait at the gate
            if await _gate_waiters(admin) == 2:
                break
            await asyncio.sleep(0.02)
        assert await _gate_waiters(admin) == 2
        await admin.execute("SELECT pg_advisory_unlock($1)", GATE)
        outcomes = await asyncio.wait_for(writes, 15)
    finally:
        await admin.close()
        await other.dispose()
    # (batch size, SQLSTATE) of each batch sent again alone: the one aborted as a deadlock;
    # and the other, if the aborted one's single statements took a key first (UNIQUE)
    refusals = sorted(r.args for r in caplog.records if r.name == "urna.db" and "batch" in r.msg)
    assert refusals in ([(2, "40P01")], [(2, "23505"), (2, "40P01")])
    flat = outcomes[0] + outcomes[1]
    assert sum(o is None for o in flat) == 2
    assert all(isinstance(o, IntegrityError) for o in flat if o is not None)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT k, n FROM batch_probe ORDER BY k"))).all()
    assert [k for k, _ in rows] == ["x", "y"]
    assert {n for _, n in rows} in ({1}, {2}, {1, 2})
