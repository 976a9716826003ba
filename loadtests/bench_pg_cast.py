"""PostgreSQL's own CPU for one cast, next to the floor's durable vote, in one run.

    python loadtests/bench_pg_cast.py [--ballots 2000] [--rounds 2]

A fresh, migrated database with one edition (``bench_cast.scratch_urna``, removed after).
One asyncpg connection sends the online cast's statement (``voting.repository``: voter,
ballot and two choices in one CTE) ``--ballots`` times, each a transaction of its own as
the cast sends it, and the CPU its backend process used is read from ``/proc`` before and
after; then the floor's statement (``../shared/bench/floor_app.py``: one row in a table
with a unique key) the same way in the same database, and the request log's COPY (one row
per request, batches of 100), and the cast as ``core.dbbatch`` sends concurrent casts (16
in one transaction, pipelined). Two variants of the cast, for measurement only, show what
its parts cost: the foreign-key checks off (``session_replication_role = replica``), the
commit not waiting for the WAL flush (``synchronous_commit = off``) and, last, without the
three indexes of ``voter`` that only the fraud scan reads (dropped in the scratch copy).

Serial, one connection: what the statements cost, not what 32 connections' commits
contending on the same cores add (``bench_cast.py`` under wrk shows that)."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtests.bench_cast import scratch_urna  # noqa: E402
from loadtests.procstat import process_cpu  # noqa: E402

FLOOR_TABLE = (
    "CREATE TABLE vote (id bigserial PRIMARY KEY, voter_key text UNIQUE NOT NULL,"
    " projects text, ip inet, at timestamptz DEFAULT now())"
)
FLOOR_INSERT = "INSERT INTO vote(voter_key, projects, ip) VALUES($1, $2, $3)"
BATCH = 16  # casts one worker's batch carries under wrk's 32 connections on 2 workers
FRAUD_INDEXES_DROP = (
    "DROP INDEX ix_voter_fraud_edition_id_address_key, ix_voter_fraud_edition_id_guardian_key,"
    " ix_voter_fraud_edition_id_lookup_key"
)


async def edition_of(db_url: str) -> dict[str, object]:
    """An edition as the tests build it; the ids a ballot of it refers to."""
    from sqlalchemy import text

    from tests.factories.editions import edition_data
    from urna.core.db import create_engine, session_factory
    from urna.privacy import service as privacy

    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        edition = await privacy.edition_import(session=session, data=edition_data())
        await session.commit()
        ids = {"edition": edition.id}
        for name, sql in {
            "clause": "SELECT id FROM policy_document ORDER BY id LIMIT 1",
            "area": "SELECT id FROM area WHERE edition_id = :e ORDER BY id LIMIT 1",
        }.items():
            ids[name] = (await session.execute(text(sql), {"e": edition.id})).scalar()
        ids["choices"] = (
            await session.execute(
                text(
                    "SELECT p.id, p.pool_id FROM project p JOIN pool ON pool.id = p.pool_id"
                    " WHERE pool.edition_id = :e ORDER BY p.id LIMIT 2"
                ),
                {"e": edition.id},
            )
        ).all()
    await engine.dispose()
    return ids


def cast_values(ids: dict[str, object]) -> dict[str, object]:
    """One ballot's parameters: every key new, as a new resident's."""

    def token() -> str:
        return secrets.token_hex(16)

    choices = ids["choices"]
    return {
        "edition_id": ids["edition"], "identity_key": token(), "contact_key": token(),
        "contact_slot": 0, "pesel_key": token(), "identity_enc": secrets.token_bytes(120),
        "guardian_role": None, "clause_id": ids["clause"], "submitted_at": datetime.now(UTC),
        "address_key": token(), "guardian_key": None, "lookup_key": token(),
        "birth_order": None, "channel": "online", "receipt_hash": token(),
        "request_id": token(), "ip": "10.1.2.3", "user_agent": "Mozilla/5.0",
        "session_hash": token(), "area_id": ids["area"], "age_band": "25-34",
        "project_ids": [project for project, _ in choices],
        "pool_ids": [pool for _, pool in choices],
    }  # fmt: skip


async def per_statement(connection, pid: int, statement: str, rows: list[list]) -> float:
    """Backend CPU µs per statement, each its own transaction."""
    started = process_cpu(pid)
    for args in rows:
        await connection.execute(statement, *args)
    return 1e6 * (process_cpu(pid) - started) / len(rows)


async def per_batched_statement(
    connection, pid: int, statement: str, rows: list[list], size: int
) -> float:
    """Backend CPU µs per statement sent as ``core.dbbatch`` sends concurrent casts:
    ``size`` of them in one transaction, pipelined (``executemany``)."""
    started = process_cpu(pid)
    for start in range(0, len(rows), size):
        async with connection.transaction():
            await connection.executemany(statement, rows[start : start + size])
    return 1e6 * (process_cpu(pid) - started) / len(rows)


async def measure(db_url: str, ballots: int, rounds: int) -> None:
    from urna.voting.repository import _CAST_DRIVER as CAST

    ids = await edition_of(db_url)
    connection = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        pid = await connection.fetchval("SELECT pg_backend_pid()")
        await connection.execute(FLOOR_TABLE)

        def casts(n: int) -> list[list]:
            return [[values[name] for name in CAST.names] for values in
                    (cast_values(ids) for _ in range(n))]  # fmt: skip

        def votes(n: int) -> list[list]:
            return [[secrets.token_hex(12), "1,2,3", "10.1.2.3"] for _ in range(n)]

        await per_statement(connection, pid, CAST.sql, casts(300))  # warm the caches
        await per_statement(connection, pid, FLOOR_INSERT, votes(300))
        figures: dict[str, list[float]] = {}
        for _ in range(rounds):
            for label, setting in (
                ("cast", None),
                ("cast, foreign-key checks off", "session_replication_role = replica"),
                ("cast, no wait for the WAL flush", "synchronous_commit = off"),
            ):
                if setting:
                    await connection.execute(f"SET {setting}")
                figures.setdefault(label, []).append(
                    await per_statement(connection, pid, CAST.sql, casts(ballots))
                )
                if setting:
                    await connection.execute(f"RESET {setting.split(' = ')[0]}")
            figures.setdefault(f"cast, {BATCH} a transaction (core.dbbatch)", []).append(
                await per_batched_statement(connection, pid, CAST.sql, casts(ballots), BATCH)
            )
            figures.setdefault("floor vote", []).append(
                await per_statement(connection, pid, FLOOR_INSERT, votes(ballots))
            )
            figures.setdefault("request log row (COPY, 100 a batch)", []).append(
                await log_rows(connection, pid, ballots)
            )
        # last, as it changes the scratch schema: what the fraud scan's three indexes cost
        await connection.execute(FRAUD_INDEXES_DROP)
        figures["cast, without voter's fraud-key indexes"] = [
            await per_statement(connection, pid, CAST.sql, casts(ballots)) for _ in range(rounds)
        ]
    finally:
        await connection.close()
    floor = min(figures["floor vote"])
    print(f"{'PostgreSQL backend CPU per statement':<44}{'best µs':>10}{'/ floor':>10}")
    for label, values in figures.items():
        best = min(values)
        ratio = best / floor if floor else float("nan")  # too few ballots for /proc ticks
        print(f"{label:<44}{best:>10.0f}{ratio:>10.2f}")


async def log_rows(connection, pid: int, count: int) -> float:
    from urna.requestlog.models import COLUMNS

    started = process_cpu(pid)
    for start in range(0, count, 100):
        now = datetime.now(UTC)
        rows = [
            (secrets.token_hex(16), now, now + timedelta(milliseconds=3), 3000,
             f"10.2.{i % 250}.{start % 250}", None, "POST", "/e/x/vote/cast", 303, None,
             None, "Mozilla/5.0", secrets.token_hex(16))
            for i in range(min(100, count - start))
        ]  # fmt: skip
        await connection.copy_records_to_table("request_log", records=rows, columns=COLUMNS)
    return 1e6 * (process_cpu(pid) - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    with scratch_urna("pgcast") as (_env, db_url, _tag):
        asyncio.run(measure(db_url, options.ballots, options.rounds))


if __name__ == "__main__":
    main()
