"""Where a request's time goes: cProfile over many requests of one kind, in-process.

    python loadtests/profile_requests.py [--kind cast|catalogue|clause] [--requests 500]

A fresh database (created and dropped) and the bench's prepared sessions
(``bench_cast.prepare_urna``); the app is driven through its ASGI interface (httpx), so
the figures are the app's own work per request, without the network or the server, on
one core. Prints the top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtests.bench_cast import ROOT, prepare_urna, scratch_urna  # noqa: E402


async def profile(kind: str, count: int, env: dict[str, str], db_url: str, tag: str) -> None:
    from asgi_lifespan import LifespanManager

    from urna.core.config import Settings
    from urna.main import create_app

    sessions = ROOT / "var" / f"profile-sessions-{tag}.txt"
    slug = await prepare_urna(db_url, env, count + 210, sessions)
    lines = [line.split() for line in sessions.read_text().splitlines()]
    sessions.unlink()
    app = create_app(Settings())
    paths = {"catalogue": f"/e/{slug}/projects", "clause": f"/e/{slug}/vote"}
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def one(i: int) -> int:
                sid, csrf = lines[i]
                cookies = {"urna_sid": sid}
                if kind == "cast":
                    response = await client.post(
                        f"/e/{slug}/vote/cast", data={"csrf_token": csrf}, cookies=cookies
                    )
                else:
                    response = await client.get(paths[kind], cookies=cookies)
                return response.status_code

            for i in range(5):  # warm: caches, pools, templates
                await one(count + i)
            statements: Counter[str] = Counter()

            def record(conn, cursor, statement, parameters, context, executemany):
                statements[" ".join(statement.split())[:90]] += 1

            event.listen(app.state.ctx.engine.sync_engine, "before_cursor_execute", record)
            cpu = time.process_time()
            for i in range(min(count, 200)):  # unprofiled: this process's CPU per request
                # (the app's and the in-process client's; PostgreSQL's and Redis's aside)
                await one(count + 5 + i)
            cpu_each = (time.process_time() - cpu) / min(count, 200)
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            statuses = [await one(i) for i in range(count)]
            profiler.disable()
            elapsed = time.perf_counter() - started
    print(f"{kind}: {count} requests, {elapsed / count * 1000:.2f} ms each (profiled), "
          f"statuses {sorted(set(statuses))}; CPU {cpu_each * 1000:.2f} ms per request "
          "unprofiled (the in-process client included)")  # fmt: skip
    print("SQL statements per request (by the app's engine; the request log's COPY aside):")
    for statement, seen in statements.most_common(12):
        print(f"  {seen / (count + min(count, 200)):6.2f}  {statement}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="cast", choices=["cast", "catalogue", "clause"])
    parser.add_argument("--requests", type=int, default=500)
    options = parser.parse_args()
    with scratch_urna("profile") as (env, db_url, tag):
        asyncio.run(profile(options.kind, options.requests, env, db_url, tag))


if __name__ == "__main__":
    main()
