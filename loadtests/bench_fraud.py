"""Benchmark: the fraud scan over 200,000 ballots and 5,000,000 request-log rows.

Not a test. In one run, on a fresh PostgreSQL database created and dropped here:

1. An edition (3 pools, 30 projects) and, generated inside PostgreSQL with
   ``generate_series`` (indexes dropped during the load and rebuilt after, then ANALYZE):
   200,000 ballots with their voters (households of 1-4, keyed hashes, birth orders) and
   choices, and 25 request-log rows per ballot's session (browsing, the clause, the five
   voting steps and what each step loads). Mixed in: 320 ballots from one address with
   65 contacts and old ages (Wrocław), 40 from one computer with the same projects
   (Lublin), 50 from a data-centre network with no page views and a script's pace.
2. The full scan (``fraud.service.scan_full``: facts of every ballot, every group of every
   kind, signals, cases). Goal: under 60 s.
3. 1,000 new ballots (and their 25,000 log rows) written, then the incremental scan
   (``scan_incremental``: the facts of the new ballots and the groups they touch). Goal:
   under 1 s.

Wall-clock seconds, the database's work included, and the CPU seconds of the scan's
PostgreSQL backend (from /proc, when the server runs on this machine) and of this
process. Exits 1 when a goal is missed.
Heavy: run it once, on a quiet machine. ``--scale 0.1`` runs a tenth of the size.

    PYTHONPATH=backend .venv/bin/python loadtests/bench_fraud.py [--scale 1.0]
        [--keep] [--reuse DATABASE [--full-again]] [--statements]

``--keep`` leaves the database (its name is printed); ``--reuse DATABASE`` skips the load and
the full scan of a kept one and runs step 3 again (1,000 more ballots each time; with
``--full-again`` step 2 first);
``--statements`` prints the slowest SQL statements of the incremental scan.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import ipaddress
import os
import secrets
import sys
import time
import uuid
from datetime import timedelta

import asyncpg
from fraud_town import edition_data, load  # beside this script
from procstat import process_cpu  # beside this script
from pydantic import SecretStr
from sqlalchemy import event, select, text

from urna.core import migrate
from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.db import create_engine, session_factory, utcnow
from urna.editions.models import Edition
from urna.fraud import service
from urna.privacy.service import edition_import
from urna.voting.fraud_keys import birth_order_offset

PG = os.environ.get("URNA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
BALLOTS, LOG_PER_BALLOT, NEW_BALLOTS = 200_000, 25, 1_000
GOAL_FULL_SECONDS, GOAL_INCREMENTAL_SECONDS = 60.0, 1.0
DATACENTER = "51.68.10.0/24"
LOG_INDEXES = {
    "ix_request_log_arrived_at": "USING brin (arrived_at)",
    "ix_request_log_ip": "(ip)",
    "ix_request_log_session_hash": "(session_hash)",
}


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(PG + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def settings_for(url: str) -> Settings:
    def key() -> str:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

    return Settings(
        environment="test",
        database_url=url,
        secret_key=key(),
        data_key=key(),
        hmac_key=key(),
        fraud_datacenter_cidrs=[ipaddress.ip_network(DATACENTER)],
    )


class StatementTimes:
    """The time of each SQL statement the engine runs, while ``on``."""

    def __init__(self, engine) -> None:
        self.on = False
        self.times: list[tuple[float, str]] = []
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before)
        event.listen(sync, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_began"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on:
            seconds = time.perf_counter() - conn.info.pop("bench_began")
            self.times.append((seconds, " ".join(statement.split())[:150]))

    def print_slowest(self, count: int = 15) -> None:
        total = sum(seconds for seconds, _ in self.times)
        print(f"  {len(self.times)} statements, {total:.3f} s in the database and round trips")
        for seconds, statement in sorted(self.times, reverse=True)[:count]:
            print(f"    {seconds:7.3f} s  {statement}")


CPU = {"server": 0.0, "client": 0.0}  # of the last timed scan


async def timed_scan(factory, scan, crypto, settings, edition):
    """(seconds, result) of one scan in its own unit of work, the commit included; its
    CPU seconds in the server's backend and in this process go to ``CPU``."""
    async with factory() as session:
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await session.commit()
        server, client = process_cpu(pid), time.process_time()
        began = time.perf_counter()
        result = await scan(session=session, crypto=crypto, settings=settings, edition=edition)
        await session.commit()
        seconds = time.perf_counter() - began
        CPU.update(server=process_cpu(pid) - server, client=time.process_time() - client)
        return seconds, result


def cpu() -> str:
    return f"CPU: server {CPU['server']:.2f} s, this process {CPU['client']:.2f} s"


def summary(result) -> str:
    return (
        f"{result.ballots_scanned:,} ballots scanned, {result.signals} signals, "
        f"{len(result.cases)} cases"
    )


async def bench(
    url: str, scale: float, *, reuse: bool, statements: bool, full_again: bool = False
) -> bool:
    settings = settings_for(url)
    crypto = Crypto(settings)
    engine = create_engine(url, pool_size=2)
    factory = session_factory(engine)
    times = StatementTimes(engine)
    now = utcnow()
    if reuse:
        full = 0.0
        async with factory() as session:
            edition = await session.scalar(select(Edition).where(Edition.slug == "bench-fraud"))
        raw = await asyncpg.connect(url.replace("+asyncpg", ""))
        clause_id = await raw.fetchval("SELECT id FROM policy_document WHERE kind = 'clause'")
        first = await raw.fetchval("SELECT max(id) + 1 FROM ballot")
        # the hmac key the kept database's birth orders were made with
        settings = settings.model_copy(
            update={"hmac_key": SecretStr(await raw.fetchval("SELECT key FROM bench_key"))}
        )
        crypto = Crypto(settings)
        offset = birth_order_offset(crypto, edition.id)
        if full_again:
            full, result = await timed_scan(factory, service.scan_full, crypto, settings, edition)
            print(f"  full scan again: {full:.2f} s ({summary(result)}; {cpu()})")
    else:
        full, edition, raw, clause_id, offset = await populate(
            factory, url, crypto, settings, scale, now
        )
        first = max(int(BALLOTS * scale), 4000) + 1
    await load(
        raw,
        edition_id=edition.id,
        clause_id=clause_id,
        first=first,
        count=NEW_BALLOTS,
        start=now - timedelta(minutes=20),
        offset=offset,
        spacing=1.0,
    )
    await raw.close()
    times.on = statements
    incremental, result = await timed_scan(
        factory, service.scan_incremental, crypto, settings, edition
    )
    times.on = False
    print(
        f"  incremental scan after {NEW_BALLOTS:,} new ballots: {incremental:.3f} s "
        f"({summary(result)}; {cpu()})"
    )
    if statements:
        times.print_slowest()
    await engine.dispose()
    ok = full < GOAL_FULL_SECONDS and incremental < GOAL_INCREMENTAL_SECONDS
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"goals (full < {GOAL_FULL_SECONDS:.0f} s, incremental < "
        f"{GOAL_INCREMENTAL_SECONDS:.0f} s): {'met' if ok else 'MISSED'}"
    )
    return ok


async def populate(factory, url: str, crypto, settings, scale: float, now):
    """The edition, its generated ballots and logs, and the full scan: (seconds of the full
    scan, edition, a raw connection, the clause's id, the birth-order offset)."""
    ballots = max(int(BALLOTS * scale), 4000)
    async with factory() as session:
        edition = await edition_import(session=session, data=edition_data(now))
        clause_id = (
            await session.execute(text("SELECT id FROM policy_document WHERE kind = 'clause'"))
        ).scalar_one()
        await session.commit()
    raw = await asyncpg.connect(url.replace("+asyncpg", ""))
    offset = birth_order_offset(crypto, edition.id)  # birth orders count days from 1900
    start = now - timedelta(days=14)
    spacing = 14 * 86400 / ballots
    print(f"loading {ballots:,} ballots and {ballots * LOG_PER_BALLOT:,} request-log rows")
    began = time.perf_counter()
    for name in LOG_INDEXES:
        await raw.execute(f"DROP INDEX {name}")
    await raw.execute("ALTER TABLE request_log DROP CONSTRAINT pk_request_log")
    await load(
        raw,
        edition_id=edition.id,
        clause_id=clause_id,
        first=1,
        count=ballots,
        start=start,
        offset=offset,
        spacing=spacing,
    )
    await raw.execute(
        "ALTER TABLE request_log ADD CONSTRAINT pk_request_log PRIMARY KEY (request_id, arrived_at)"
    )
    for name, definition in LOG_INDEXES.items():
        await raw.execute(f"CREATE INDEX {name} ON request_log {definition}")
    for table in ("voter", "ballot", "ballot_choice", "request_log"):
        await raw.execute(f"ANALYZE {table}")
    print(f"  loaded in {time.perf_counter() - began:.1f} s")

    full, result = await timed_scan(factory, service.scan_full, crypto, settings, edition)
    print(f"  full scan: {full:.2f} s ({summary(result)}; {cpu()})")
    kinds = await raw.fetch("SELECT kind, count(*) FROM fraud_signal GROUP BY kind ORDER BY 1")
    print("  signals by kind: " + ", ".join(f"{kind} {n}" for kind, n in kinds))
    hmac = settings.hmac_key.get_secret_value()
    await raw.execute("CREATE TABLE bench_key AS SELECT CAST($1 AS text) AS key", hmac)
    return full, edition, raw, clause_id, offset


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the size.")
    parser.add_argument("--keep", action="store_true", help="Leave the database.")
    parser.add_argument("--reuse", metavar="DATABASE", help="A kept database: step 3 only.")
    parser.add_argument("--statements", action="store_true", help="The slowest statements.")
    parser.add_argument("--full-again", action="store_true", help="With --reuse: step 2 too.")
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    name = args.reuse or "urna_bench_fraud_" + uuid.uuid4().hex[:8]
    url = PG.replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    if not args.reuse:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        if not args.reuse:
            migrate.upgrade(url)
        ok = asyncio.run(
            bench(
                url,
                args.scale,
                reuse=bool(args.reuse),
                statements=args.statements,
                full_again=args.full_again,
            )
        )
    finally:
        if args.keep or args.reuse:
            print(f"database kept: {name}")
        else:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
