"""CPU per request of the app alone, next to the floor's bare app, in one process.

    python loadtests/asgi_cost.py [--kind catalogue|cast|clause|review|healthz]
        [--requests 3000] [--no-floor] [--no-cookie] [--profile [--top 30]]

The ASGI apps are called directly (no server, no HTTP client, no network), so the figure
is each app's own work per request on one core: robust on a shared machine, where wrk's
req/s move with the load. The floor's bare ``GET /`` (../shared/bench/floor_app.py) is
measured the same way in the same run (``--no-floor``: not); the ratio ``floor / urna``
is what the app's own work allows at most (the server's parsing and the socket, the same
for both, come on top). A fresh database and Redis prefix (``bench_cast.prepare_urna``),
dropped after.

``--profile``: after the unprofiled measurement, the same number of requests again under
cProfile; prints the SQL statements per request (the app's engine; the request log's
COPY aside) and the top functions by cumulative and by own time. For sampling instead,
run without it under ``py-spy record`` (PyPI ``py-spy``, not a project dependency).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import os
import pstats
import sys
import time
from collections import Counter
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtests.bench_cast import ROOT, SHARED_BENCH, prepare_urna, scratch_urna  # noqa: E402

KINDS = ["catalogue", "cast", "clause", "review", "healthz"]


async def call(app, method: str, path: str, cookie: str = "", body: bytes = b"") -> int:
    headers = [(b"host", b"bench"), (b"user-agent", b"asgi-cost/1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if body:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0

    async def receive():
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def per_request(requests, warm: int = 20) -> tuple[float, set[int]]:
    """CPU seconds per request of ``requests`` (callables returning a status), the first
    ``warm`` not measured (caches, pools, templates)."""
    statuses = set()
    for one in requests[:warm]:
        statuses.add(await one())
    cpu = time.process_time()
    for one in requests[warm:]:
        statuses.add(await one())
    return (time.process_time() - cpu) / max(1, len(requests) - warm), statuses


async def floor_cost(count: int) -> float:
    spec = importlib.util.spec_from_file_location("floor_app", SHARED_BENCH / "floor_app.py")
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    app = floor.Starlette(routes=[r for r in floor.app.routes if r.path == "/"])
    cost, statuses = await per_request([lambda: call(app, "GET", "/")] * (count + 20))
    assert statuses == {200}, statuses
    return cost


async def urna_cost(options, env: dict[str, str], db_url: str, tag: str):
    """(CPU seconds per request, statuses, the profile or None, SQL statements seen)."""
    from asgi_lifespan import LifespanManager
    from sqlalchemy import event

    from urna.core.config import Settings
    from urna.main import create_app

    kind, count = options.kind, options.requests
    runs = 2 if options.profile else 1
    sessions = ROOT / "var" / f"asgi-cost-sessions-{tag}.txt"
    slug = await prepare_urna(db_url, env, runs * count + 20, sessions)
    lines = [line.split() for line in sessions.read_text().splitlines()]
    sessions.unlink()
    app = create_app(Settings())
    paths = {
        "catalogue": f"/e/{slug}/projects",
        "clause": f"/e/{slug}/vote",
        "review": f"/e/{slug}/vote/review",
        "healthz": "/healthz",
    }

    def one(sid: str, csrf: str):
        if kind == "cast":  # each prepared session casts once
            body = f"csrf_token={csrf}".encode()
            return lambda: call(app, "POST", f"/e/{slug}/vote/cast", f"urna_sid={sid}", body)
        cookie = "" if options.no_cookie else f"urna_sid={sid}"
        return lambda: call(app, "GET", paths[kind], cookie)

    requests = [one(*line) for line in lines]
    statements: Counter[str] = Counter()
    async with LifespanManager(app):
        cost, statuses = await per_request(requests[: count + 20])
        if not options.profile:
            return cost, statuses, None, statements

        def record(conn, cursor, statement, parameters, context, executemany):
            statements[" ".join(statement.split())[:90]] += 1

        event.listen(app.state.ctx.engine.sync_engine, "before_cursor_execute", record)
        profiler = cProfile.Profile()
        profiler.enable()
        for request in requests[count + 20 :]:
            statuses.add(await request())
        profiler.disable()
    return cost, statuses, profiler, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="catalogue", choices=KINDS)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument(
        "--floor", action=argparse.BooleanOptionalAction, default=True,
        help="measure the floor's bare GET / in the same run (default: yes)",
    )  # fmt: skip
    parser.add_argument("--no-cookie", action="store_true", help="a first visit: no session")
    parser.add_argument("--profile", action="store_true", help="then cProfile as many again")
    parser.add_argument("--top", type=int, default=30, help="functions listed by --profile")
    options = parser.parse_args()
    with scratch_urna("asgi") as (env, db_url, tag):
        # uvloop, as `urna serve` runs the app
        floor = uvloop.run(floor_cost(options.requests)) if options.floor else None
        cost, statuses, profiler, statements = uvloop.run(urna_cost(options, env, db_url, tag))
    if floor is not None:
        print(f"floor bare GET /: {floor * 1e6:.0f} µs CPU per request (app only)")
    ratio = f"; floor / urna = {floor / cost:.3f}" if floor is not None else ""
    print(f"urna {options.kind}: {cost * 1e6:.0f} µs CPU per request (app only), "
          f"statuses {sorted(statuses)}{ratio}")  # fmt: skip
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
    if profiler is not None:
        print("SQL statements per request (the app's engine; the request log's COPY aside):")
        for statement, seen in statements.most_common(12):
            print(f"  {seen / options.requests:6.2f}  {statement}")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(options.top)
        stats.sort_stats("tottime").print_stats(options.top)


if __name__ == "__main__":
    main()
