"""Benchmark: Łódź 2022 imported into PostgreSQL, results computed from the database.

Not a test. In one run, on a fresh PostgreSQL database created and dropped here:

1. ``edition_import_pabulib`` of Poland_Lodz_2022.pb (90,494 ballots, 160 projects):
   parse, rows, COPY, commit. Goal: under 10 s.
2. ``results_compute`` with the file's rule (greedy, 100-vote threshold): the tally's
   GROUP BY, the allocation, turnout; best of 5. Against pabutools 1.2.3
   ``greedy_utilitarian_welfare(sat_class=Cost_Sat)`` on the projects above the threshold,
   measured once in the same run. Goal: at least 100x faster.
3. The pool switched to ``equal_shares`` without completion (``mes_completion = 'none'``,
   updated in the database) and ``results_compute`` again: distinct approval sets from the
   database, one run of MES; best of 3. Against pabutools' plain ``method_of_equal_shares``
   once. Goal: at least 20x faster.
4. The pool switched to add one stopping at the first exhaustive outcome + completion by
   votes (pabutools' variant) and computed again; best of 3. Against pabutools' MES with the
   same completion (``voter_budget_increment=1`` then greedy, on the grouped profile, as
   ``tests/results/pabutools_bridge.py``), once. Goal: at least 50x faster.

Times are wall clock: Urna's include the database's work, which CPU time of this process
would miss. pabutools' parse is not counted (Urna's compute reads an imported edition).
Both libraries must choose the same projects. Exits 1 when a goal is missed.

    PYTHONPATH=backend .venv/bin/python loadtests/bench_results_db.py [--file PATH.pb]
        [--only import] [--profile FILE.prof]

``--only import`` runs step 1 alone (no pabutools); ``--profile`` writes cProfile's figures
of the import (this process only: the database's own work shows as time waited). The import
also prints the CPU time of this process and of its PostgreSQL backend (from ``/proc``: the
database must run on this machine), figures less disturbed by a busy machine than the wall
clock.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
from pabutools.election import Cost_Sat, Instance, parse_pabulib
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from procstat import process_cpu  # beside this script
from sqlalchemy import text, update

from urna.core import migrate
from urna.core.db import create_engine, session_factory, transaction
from urna.editions.models import Pool
from urna.results.importer import edition_import_pabulib
from urna.results.pabulib import rule_settings
from urna.results.service import results_compute

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("URNA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
GOAL_IMPORT_SECONDS = 10.0
GOAL_GREEDY_RATIO = 100.0
GOAL_MES_RATIO = 20.0
GOAL_ADD1_RATIO = 50.0


def default_file() -> Path:
    directory = os.environ.get("URNA_PABULIB_DIR") or ROOT / ".." / "shared/data/pabulib"
    return Path(directory) / "Poland_Lodz_2022.pb"


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(PG + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def report(label: str, seconds: float) -> None:
    print(f"  {label:<44} {seconds:8.3f} s")


def timed(label: str, action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    report(label, seconds)
    return result, seconds


async def best_of(runs: int, label: str, action: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await action()
        times.append(time.perf_counter() - start)
    report(f"{label} (best of {runs})", min(times))
    print(f"  {'':<44} runs: {', '.join(f'{t:.3f}' for t in times)}")
    return result, min(times)


async def run_urna(
    path: Path, url: str, *, only_import: bool = False, profile: Path | None = None
) -> dict[str, tuple[set[str], float]]:
    """Import, then compute with greedy and with equal shares: label -> (funded, seconds)."""
    engine = create_engine(url, pool_size=2)
    figures: dict[str, tuple[set[str], float]] = {}
    try:
        profiler = cProfile.Profile() if profile else None
        cpu_start, start = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        async with transaction(session_factory(engine)) as session:
            backend = await session.scalar(text("SELECT pg_backend_pid()"))
            backend_start = process_cpu(backend)
            summary = await edition_import_pabulib(session=session, path=path)
        backend_seconds = process_cpu(backend) - backend_start
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        seconds = time.perf_counter() - start
        report(f"import ({summary.ballots} ballots, {summary.choices} choices)", seconds)
        report("  of which CPU time of this process", time.process_time() - cpu_start)
        report("  CPU time of the PostgreSQL backend", backend_seconds)
        figures["import"] = (set(), seconds)
        if only_import:
            return figures
        edition = summary.edition

        async def compute() -> set[str]:
            async with session_factory(engine)() as session:
                payload = await results_compute(session=session, edition=edition)
            [pool] = payload.pools
            return set(pool.funded)

        async def pool_set(**values: str) -> None:
            async with session_factory(engine)() as session:
                await session.execute(
                    update(Pool).where(Pool.edition_id == edition.id).values(**values)
                )
                await session.commit()

        figures["greedy"] = await best_of(5, "results_compute, greedy", compute)
        await pool_set(rule="equal_shares", mes_completion="none")
        figures["mes"] = await best_of(3, "results_compute, plain MES", compute)
        await pool_set(mes_completion="add1_utilitarian", mes_add1_stop="exhaustive")
        figures["add1"] = await best_of(3, "results_compute, MES + add one + by votes", compute)
    finally:
        await engine.dispose()
    return figures


def run_pabutools(path: Path) -> dict[str, tuple[set[str], float]]:
    instance, profile = parse_pabulib(str(path))
    threshold = rule_settings(instance.meta).min_score or 0
    eligible = Instance(
        [p for p in instance if profile.approval_score(p) >= threshold],
        budget_limit=instance.budget_limit,
    )
    greedy, greedy_seconds = timed(
        "greedy_utilitarian_welfare",
        lambda: greedy_utilitarian_welfare(eligible, profile, sat_class=Cost_Sat),
    )
    grouped, _ = timed("as_multiprofile (not counted)", profile.as_multiprofile)
    mes, mes_seconds = timed(
        "plain MES",
        lambda: method_of_equal_shares(instance, grouped, sat_class=Cost_Sat),
    )
    mes_params = {"sat_class": Cost_Sat, "voter_budget_increment": 1}
    add1, add1_seconds = timed(
        "MES + add one + greedy completion",
        lambda: completion_by_rule_combination(
            instance,
            grouped,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [mes_params, {"sat_class": Cost_Sat}],
        ),
    )
    return {
        "greedy": ({p.name for p in greedy}, greedy_seconds),
        "mes": ({p.name for p in mes}, mes_seconds),
        "add1": ({p.name for p in add1}, add1_seconds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=default_file())
    parser.add_argument("--only", choices=["import"], help="run only this step")
    parser.add_argument("--profile", type=Path, help="cProfile the import into this file")
    args = parser.parse_args()
    path = args.file
    if not path.is_file():
        sys.exit(f"no such file: {path} (set URNA_PABULIB_DIR or pass --file)")
    print(f"file: {path}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    name = "urna_bench_results_" + uuid.uuid4().hex[:12]
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
        migrate.upgrade(url)
        print(f"Urna on PostgreSQL (database {name})")
        only_import = args.only == "import"
        ours = asyncio.run(run_urna(path, url, only_import=only_import, profile=args.profile))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    import_seconds = ours["import"][1]
    checks = [
        (
            f"import {import_seconds:.2f} s",
            f"< {GOAL_IMPORT_SECONDS:.0f} s",
            import_seconds < GOAL_IMPORT_SECONDS,
        )
    ]
    if not only_import:
        checks += compare_pabutools(path, ours)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("goals")
    for figure, goal, met in checks:
        print(f"  {'ok    ' if met else 'MISSED'} {figure} (goal {goal})")
    return 0 if all(met for _, _, met in checks) else 1


def compare_pabutools(
    path: Path, ours: dict[str, tuple[set[str], float]]
) -> list[tuple[str, str, bool]]:
    print("pabutools 1.2.3 (parse not counted)")
    theirs = run_pabutools(path)
    checks = []
    print("ratios: pabutools time / Urna time from the database (wall clock)")
    for key, label, goal in (
        ("greedy", "greedy", GOAL_GREEDY_RATIO),
        ("mes", "plain MES", GOAL_MES_RATIO),
        ("add1", "MES + add one + greedy completion", GOAL_ADD1_RATIO),
    ):
        ratio = theirs[key][1] / ours[key][1]
        print(f"  {label:<36} {theirs[key][1]:8.3f} s / {ours[key][1]:7.3f} s = {ratio:7.1f}x")
        checks.append((f"{label} {ratio:.1f}x", f">= {goal:.0f}x", ratio >= goal))
        same = theirs[key][0] == ours[key][0]
        checks.append((f"{label}: same projects funded", "same", same))
    return checks


if __name__ == "__main__":
    sys.exit(main())
