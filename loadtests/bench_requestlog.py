"""Request-log overhead: catalogue page throughput with logging on and off, one run.

    python loadtests/bench_requestlog.py [--duration 5] [--connections 32] [--workers 2]
                                         [--rounds 5]

Starts, on this machine: the floor service (shared/bench/floor_app.py, its bare request)
and Urna twice on one PostgreSQL + Redis with the demo edition seeded — once with request
logging on (the default: batched COPY, reverse DNS) and once with ``URNA_REQUEST_LOG=false``
— each with 2 uvicorn workers. wrk fetches the catalogue page with a session cookie; the
two servers are measured in alternating rounds (off, on, off, on, ...) so drift on the
machine hits both alike.

Prints requests/s and p95 of each, the overhead (goal: at most 10 %) twice — as lost
throughput (median of the paired rounds) and as CPU time per request of the app
processes plus the PostgreSQL backends of its database (the log's COPY runs there), which
other load on a shared machine disturbs far less — the ratio to the floor's bare request,
and whether every request of the logged rounds reached the request_log table.
``wrk`` must be installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_cast import (  # noqa: E402 - the shared helpers of the cast benchmark
    PG,
    REDIS,
    ROOT,
    SHARED_BENCH,
    create_db,
    drop_db,
    key,
    start,
    stop,
    wait_ready,
    wrk,
)

PORT_ON, PORT_OFF, PORT_FLOOR = 8096, 8097, 8099
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids: set[int], pgid: int) -> dict[int, int]:
    """User + system CPU ticks of ``pids`` and of every process in group ``pgid`` (the
    server and its workers)."""
    ticks: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        # after the command: state ppid pgrp ... utime (12th) stime (13th)
        if pid in pids or int(fields[2]) == pgid:
            ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


async def backend_pids(db_url: str, name: str) -> set[int]:
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
        return {row["pid"] for row in rows}
    finally:
        await conn.close()


def measured(run, proc, db_url: str, db_name: str) -> tuple[dict, float]:
    """``run()``'s wrk result and the CPU seconds the server and its database spent."""
    before = cpu_ticks(asyncio.run(backend_pids(db_url, db_name)), proc.pid)
    result = run()
    after = cpu_ticks(asyncio.run(backend_pids(db_url, db_name)) | set(before), proc.pid)
    spent = sum(value - before.get(pid, 0) for pid, value in after.items())
    return result, spent / CLOCK_TICKS


async def seed(db_url: str, env: dict[str, str]) -> str:
    for name, value in env.items():
        os.environ[name] = value
    from urna.core.db import create_engine, session_factory, transaction
    from urna.demo.seed import demo_seed

    engine = create_engine(db_url)
    try:
        async with transaction(session_factory(engine)) as session:
            edition = await demo_seed(session=session)
    finally:
        await engine.dispose()
    return edition.slug


async def logged_rows(db_url: str) -> int:
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    try:
        return await conn.fetchval("SELECT count(*) FROM request_log")
    finally:
        await conn.close()


def session_cookie(port: int) -> str:
    response = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    return response.cookies["urna_sid"]


def uvicorn(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "urna.main:create_app",
        "--factory",
        "--workers",
        str(workers),
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--no-server-header",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make wrk` (Debian package wrk)")
    floor_available = (SHARED_BENCH / "floor_app.py").exists()
    tag = uuid.uuid4().hex[:8]
    urna_db = f"urna_logbench_{tag}"
    env = {
        "URNA_ENVIRONMENT": "test",
        "URNA_DATABASE_URL": f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{urna_db}",
        "URNA_REDIS_URL": REDIS,
        "URNA_SECRET_KEY": key(),
        "URNA_DATA_KEY": key(),
        "URNA_HMAC_KEY": key(),
        "URNA_NOTIFY_PROVIDER": "outbox",
    }
    procs = []
    runs: dict[str, list[dict]] = {"logging_off": [], "logging_on": []}
    floor: dict | None = None
    try:
        asyncio.run(create_db(urna_db))
        from urna.core import migrate

        migrate.upgrade(env["URNA_DATABASE_URL"])
        slug = asyncio.run(seed(env["URNA_DATABASE_URL"], env))
        servers = {
            "logging_on": (PORT_ON, start(uvicorn(PORT_ON, options.workers), env, ROOT)),
            "logging_off": (
                PORT_OFF,
                start(
                    uvicorn(PORT_OFF, options.workers), {**env, "URNA_REQUEST_LOG": "false"}, ROOT
                ),
            ),
        }
        procs += [proc for _, proc in servers.values()]
        if floor_available:
            floor_proc = start(
                [sys.executable, "-m", "uvicorn", "floor_app:app", "--workers",
                 str(options.workers), "--port", str(PORT_FLOOR), "--no-access-log",
                 "--log-level", "warning"],
                {"LIMIT_DSN": f"{PG}/postgres"},
                SHARED_BENCH,
            )  # fmt: skip
            procs.append(floor_proc)
            wait_ready(f"http://127.0.0.1:{PORT_FLOOR}/", floor_proc)
        for port, proc in servers.values():
            wait_ready(f"http://127.0.0.1:{port}/healthz", proc)
        path = f"/e/{slug}/projects"
        cookies = {name: session_cookie(port) for name, (port, _) in servers.items()}
        script = HERE / "catalogue.lua"
        warm = dict(duration=2, connections=options.connections, script=script)
        for name, (port, _) in servers.items():  # warm up: caches, pools, DNS
            wrk(f"http://127.0.0.1:{port}/", args=[cookies[name], path], **warm)
        run = dict(duration=options.duration, connections=options.connections, script=script)
        if floor_available:
            floor = wrk(
                f"http://127.0.0.1:{PORT_FLOOR}/",
                script=HERE / "floor_p95.lua",
                **{k: v for k, v in run.items() if k != "script"},
            )
        time.sleep(1)
        before = asyncio.run(logged_rows(env["URNA_DATABASE_URL"]))
        logged_requests = 0
        for _ in range(options.rounds):
            for name in ("logging_off", "logging_on"):
                port, proc = servers[name]
                result, cpu = measured(
                    lambda port=port, name=name: wrk(
                        f"http://127.0.0.1:{port}/", args=[cookies[name], path], **run
                    ),
                    proc,
                    env["URNA_DATABASE_URL"],
                    urna_db,
                )
                result["requests"] = round(result["rps"] * options.duration)
                result["cpu_s"] = cpu
                runs[name].append(result)
                if name == "logging_on":
                    logged_requests += result["requests"]
        time.sleep(1.0)  # the last batch: 250 ms
        written = asyncio.run(logged_rows(env["URNA_DATABASE_URL"])) - before
    finally:
        for proc in procs:
            stop(proc)
        asyncio.run(drop_db(urna_db))

    summary = {
        name: {
            "rps": statistics.mean(r["rps"] for r in results),
            "rps_runs": [r["rps"] for r in results],
            "p95_ms": statistics.mean(r["p95_ms"] for r in results),
            "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in results),
            "cpu_us_per_request": 1e6
            * sum(r["cpu_s"] for r in results)
            / max(1, sum(r["requests"] for r in results)),
        }
        for name, results in runs.items()
    }
    off, on = summary["logging_off"], summary["logging_on"]
    paired = statistics.median(
        (a["rps"] - b["rps"]) / a["rps"] * 100
        for a, b in zip(runs["logging_off"], runs["logging_on"], strict=True)
    )
    cpu_overhead = (on["cpu_us_per_request"] / off["cpu_us_per_request"] - 1) * 100
    print(f"{'run':<14}{'req/s':>10}{'p95 ms':>10}{'errors':>8}{'CPU µs/req':>12}   rounds")
    if floor:
        print(f"{'floor_bare':<14}{floor['rps']:>10.0f}{floor['p95_ms']:>10.1f}"
              f"{floor['non_2xx_3xx']:>8}")  # fmt: skip
    for name, r in summary.items():
        each = ", ".join(f"{x:.0f}" for x in r["rps_runs"])
        print(
            f"{name:<14}{r['rps']:>10.0f}{r['p95_ms']:>10.1f}{r['non_2xx_3xx']:>8}"
            f"{r['cpu_us_per_request']:>12.0f}   {each}"
        )
    print(f"request-log overhead, throughput (median of paired rounds): {paired:.1f} %")
    print(f"request-log overhead, CPU per request (app + database): {cpu_overhead:.1f} %")
    print("goal: at most 10 %")
    if floor:
        print(
            f"ratio to the floor's bare request: logging on {on['rps'] / floor['rps']:.3f}, "
            f"off {off['rps'] / floor['rps']:.3f}"
        )
    print(
        f"rows written during the logged rounds: {written} "
        f"(wrk counted about {logged_requests} requests; the rest are warm-up and the "
        f"session requests)"
    )
    out = ROOT / "loadtests" / "results"
    out.mkdir(exist_ok=True)
    (out / f"requestlog-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(
            {
                **summary,
                "floor_bare": floor,
                "overhead_throughput_percent": paired,
                "overhead_cpu_percent": cpu_overhead,
                "rows_written": written,
                "requests_counted": logged_requests,
                "options": vars(options),
            },
            indent=2,
        )  # fmt: skip
    )


if __name__ == "__main__":
    main()
