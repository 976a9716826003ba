"""Where a resident's whole vote spends its time: CPU per step, in-process.

    python loadtests/profile_journey.py [--journeys 150] [--profile]

The nine requests of ``journey.lua`` (clause, acknowledge, identity form, identity,
choices, a choice, review, cast, receipt), a new person each time, through the app's
ASGI interface on uvloop (no server, no network). Prints each step's CPU per request
(this process: the app and the in-process client), and with ``--profile`` the functions
with the most own time. A fresh database and Redis prefix, dropped after.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtests.bench_cast import ROOT, prepare_urna, scratch_urna  # noqa: E402

STEPS = (
    "clause",
    "acknowledge",
    "identity form",
    "identity",
    "choices",
    "a choice",
    "review",
    "cast",
    "receipt",
)


def letters(n: int) -> str:
    out = ""
    while True:
        out = chr(97 + n % 26) + out
        n //= 26
        if n == 0:
            return out


async def journeys(count: int, env: dict[str, str], db_url: str, tag: str, profile: bool):
    from asgi_lifespan import LifespanManager

    from urna.core.config import Settings
    from urna.main import create_app

    sessions = ROOT / "var" / f"journey-sessions-{tag}.txt"
    slug = await prepare_urna(db_url, env, 1, sessions)
    sessions.unlink()
    app = create_app(Settings())
    base = f"/e/{slug}/vote"
    cpu: dict[str, float] = defaultdict(float)
    profiler = cProfile.Profile()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def step(name: str, method: str, path: str, form: dict | None = None):
                started = time.process_time()
                if method == "GET":
                    response = await client.get(path)
                else:
                    response = await client.post(path, data=form)
                cpu[name] += time.process_time() - started
                return response

            async def one(i: int) -> None:
                client.cookies.clear()
                page = await step("clause", "GET", base)
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
                await step("acknowledge", "POST", base, {"acknowledge": "yes", "csrf_token": csrf})
                page = await step("identity form", "GET", f"{base}/identity")
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
                who = {
                    "first_name": "Jan",
                    "last_name": f"Bench{letters(tag_number)}x{letters(i)}",
                    "street": "ul. Lipowa",
                    "house_number": str(i % 200 + 1),
                    "birth_date": "1980-01-01",
                    "csrf_token": csrf,
                }
                done = await step("identity", "POST", f"{base}/identity", who)
                assert done.headers.get("location", "").endswith("/choices"), done.text[:500]
                page = await step("choices", "GET", f"{base}/choices")
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
                project = re.search(r'name="project" value="(\d+)"', page.text)[1]
                form = {"project": project, "csrf_token": csrf}
                await step("a choice", "POST", f"{base}/choices", form)
                page = await step("review", "GET", f"{base}/review")
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
                cast = await step("cast", "POST", f"{base}/cast", {"csrf_token": csrf})
                assert cast.status_code == 303, cast.text[:500]
                receipt = await step("receipt", "GET", cast.headers["location"])
                assert receipt.status_code == 200

            tag_number = int(tag, 16) % 10_000
            for i in range(10):  # warm: caches, pools, templates
                await one(i)
            cpu.clear()
            if profile:
                profiler.enable()
            for i in range(10, 10 + count):
                await one(i)
            profiler.disable()
    return {name: cpu[name] / count for name in STEPS}, profiler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=150)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    with scratch_urna("journey") as (env, db_url, tag):
        steps, profiler = uvloop.run(journeys(options.journeys, env, db_url, tag, options.profile))
    if options.profile:
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats("urna/", 60)
    for name, seconds in steps.items():
        print(f"{name:14} {seconds * 1000:6.2f} ms CPU per request")
    print(f"whole journey  {sum(steps.values()) * 1000:6.2f} ms CPU "
          f"({options.journeys} journeys; load average {os.getloadavg()[0]:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
