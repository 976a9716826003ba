"""CPU per request of the app alone, next to the floor's bare app, in one process.

    python loadtests/asgi_cost.py [--kind catalogue|cast|clause] [--requests 3000]

The ASGI apps are called directly (no server, no HTTP client, no network), so the figure
is each app's own work per request on one core: robust on a shared machine, where wrk's
req/s move with the load. The floor's bare ``GET /`` (../shared/bench/floor_app.py) is
measured the same way in the same run; the ratio ``floor / urna`` is what the app's own
work allows at most (the server's parsing and the socket, the same for both, come on top).
A fresh database and Redis prefix (``bench_cast.prepare_urna``), dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtests.bench_cast import ROOT, SHARED_BENCH, prepare_urna, scratch_urna  # noqa: E402


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


async def per_request(app, requests) -> tuple[float, set[int]]:
    """CPU seconds per request of ``requests`` (callables returning a status)."""
    statuses = set()
    for one in requests[:20]:  # warm
        statuses.add(await one())
    cpu = time.process_time()
    for one in requests[20:]:
        statuses.add(await one())
    return (time.process_time() - cpu) / max(1, len(requests) - 20), statuses


async def floor_cost(count: int) -> float:
    spec = importlib.util.spec_from_file_location("floor_app", SHARED_BENCH / "floor_app.py")
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    app = floor.Starlette(routes=[r for r in floor.app.routes if r.path == "/"])
    cost, statuses = await per_request(app, [lambda: call(app, "GET", "/")] * (count + 20))
    assert statuses == {200}, statuses
    return cost


async def urna_cost(kind: str, count: int, env: dict[str, str], db_url: str, tag: str):
    from asgi_lifespan import LifespanManager

    from urna.core.config import Settings
    from urna.main import create_app

    sessions = ROOT / "var" / f"asgi-cost-sessions-{tag}.txt"
    slug = await prepare_urna(db_url, env, count + 20, sessions)
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
        if kind == "cast":
            body = f"csrf_token={csrf}".encode()
            return lambda: call(app, "POST", f"/e/{slug}/vote/cast", f"urna_sid={sid}", body)
        cookie = "" if os.environ.get("ASGI_COST_NO_COOKIE") else f"urna_sid={sid}"
        return lambda: call(app, "GET", paths[kind], cookie)

    async with LifespanManager(app):
        return await per_request(app, [one(*line) for line in lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    kinds = ["catalogue", "cast", "clause", "review", "healthz"]
    parser.add_argument("--kind", default="catalogue", choices=kinds)
    parser.add_argument("--requests", type=int, default=3000)
    options = parser.parse_args()
    with scratch_urna("asgi") as (env, db_url, tag):
        # uvloop, as `urna serve` runs the app
        floor = uvloop.run(floor_cost(options.requests))
        cost, statuses = uvloop.run(urna_cost(options.kind, options.requests, env, db_url, tag))
    print(f"floor bare GET /: {floor * 1e6:.0f} µs CPU per request (app only)")
    print(f"urna {options.kind}: {cost * 1e6:.0f} µs CPU per request (app only), "
          f"statuses {sorted(statuses)}; floor / urna = {floor / cost:.3f}")  # fmt: skip
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
