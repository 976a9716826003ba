"""Urna's cast, catalogue and whole vote next to the floor of ../shared/bench, in one run.

    python loadtests/bench_cast.py [--runs cast,catalogue,journey] [--duration 10]
                                   [--connections 32] [--workers 2]

Starts, on this machine: the floor service (shared/bench/floor_app.py, 2 workers) and
Urna as production runs it (`urna serve`, 2 workers: uvloop, httptools) on PostgreSQL +
Redis, each with a fresh database (Urna with its own Redis prefix; all removed after),
on free ports. Then wrk:

- floor bare request and floor durable vote;
- the catalogue page (one session cookie), ratio to the floor's bare request;
- the cast: confirmed sessions prepared directly in Redis (one per request, the format the
  app writes), so the figure is the cost of the cast request itself — session, CSRF,
  validation, the one-statement insert, session save; ballots counted in the database,
  ratio to the floor's durable vote;
- a resident's whole journey (journey.lua: clause, identity, choices, review, cast,
  receipt; a new person each time), journeys per second, ratio to the floor's vote.

Each Urna worker's peak RSS is sampled during each run; the load average is printed.
``wrk`` must be installed (`make wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = Path(os.environ.get("URNA_FLOOR_DIR", ROOT.parent / "shared" / "bench"))
PG = os.environ.get("URNA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS = os.environ.get("URNA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
sys.path.insert(0, str(ROOT))

from loadtests.procstat import GroupSample  # noqa: E402


def key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


async def create_db(name: str, sql: str | None = None) -> None:
    conn = await asyncpg.connect(PG + "/postgres")
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    if sql:
        conn = await asyncpg.connect(f"{PG}/{name}")
        await conn.execute(sql)
        await conn.close()


async def drop_db(name: str) -> None:
    conn = await asyncpg.connect(PG + "/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def start(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        cmd,
        env={**os.environ, **env},
        cwd=cwd,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    script: Path,
    args: list[str] = (),
    threads: int = 2,
) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    cmd += ["-s", str(script), url]
    if args:
        cmd += ["--", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    out = done.stdout
    if done.stderr.strip():
        print(done.stderr.strip()[-2000:], file=sys.stderr)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p95 = int(re.search(r"P95_US (\d+)", out).group(1)) / 1000
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    journeys = re.search(r"JOURNEYS (\d+)\nBROKEN (\d+)", out)
    extra = {"journeys": int(journeys[1]), "broken": int(journeys[2])} if journeys else {}
    return {
        **extra,
        "rps": rps,
        "p95_ms": p95,
        "non_2xx_3xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "",
    }


async def prepare_urna(db_url: str, settings_env: dict[str, str], count: int, path: Path) -> str:
    """Create an edition and ``count`` confirmed sessions with choices; return the slug."""
    for name, value in settings_env.items():
        os.environ[name] = value
    from redis.asyncio import Redis

    from tests.factories.editions import edition_data
    from urna.core import keys
    from urna.core.config import Settings
    from urna.core.crypto import Crypto
    from urna.core.db import create_engine, session_factory, utcnow
    from urna.core.sessions import RESIDENT_COOKIE
    from urna.documents import service as documents
    from urna.editions import repository
    from urna.privacy import service as privacy
    from urna.voting.ballots import IDENTITY_CONTEXT
    from urna.voting.receipts import receipt_new
    from urna.voting.state import VoteState

    settings = Settings()
    crypto = Crypto(settings)
    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        edition = await privacy.edition_import(
            session=session,
            data=edition_data(
                confirmation_channel="none",
                required_fields=["first_name", "last_name", "address", "birth_date"],
                voting_closes_at=(utcnow() + timedelta(hours=2)).isoformat(),
            ),
        )
        await session.commit()
        clause = await documents.document_current(session=session, kind="clause", edition=edition)
        pools = {p.code: p.id for p in await repository.pools_of(session, edition.id)}
        projects = {p.number: p.id for p in await repository.projects_by_pool(session, edition.id)}
        key_id = await keys.edition_key(session=session, crypto=crypto, edition_id=edition.id)
        await session.commit()
    await engine.dispose()
    redis = Redis.from_url(REDIS)
    lines = []
    pipe = redis.pipeline(transaction=False)
    for i in range(count):
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        state = VoteState(
            edition=edition.slug,
            clause_id=clause.id,
            channel="none",
            fields_enc=base64.urlsafe_b64encode(
                crypto.encrypt(
                    {"first_name": "Bench", "last_name": f"V{i}"},
                    context=IDENTITY_CONTEXT,
                    key_id=key_id,
                )
            ).decode(),
            identity_key=crypto.keyed_hash(scope=f"edition:{edition.id}", value=f"bench|{i}"),
            area_id=None,
            age_band="25-34",
            confirmed=True,
            receipt=receipt_new(),
            choices={str(pools["CITY"]): [projects["C1"], projects["C3"]]},
        )
        # as SessionMiddleware stores a session: with its trail (the request log's name)
        data = {
            "created": time.time(),
            "csrf": csrf,
            "trail": crypto.session_hash(sid),
            "vote": state.dump(),
        }
        pipe.set(
            settings.redis_prefix + RESIDENT_COOKIE.key_prefix + sid,
            json.dumps(data, separators=(",", ":")),
            ex=900,
        )
        lines.append(f"{sid} {csrf}")
        if i % 2000 == 1999:
            await pipe.execute()
    await pipe.execute()
    await redis.aclose()
    await asyncio.to_thread(path.write_text, "\n".join(lines) + "\n")
    return edition.slug


@contextmanager
def scratch_urna(kind: str) -> Iterator[tuple[dict[str, str], str, str]]:
    """A fresh, migrated database and a Redis prefix of their own for an in-process run
    (``kind`` names them), the app's settings in ``os.environ``; all removed after.
    Yields (environment, database URL, tag)."""
    tag = uuid.uuid4().hex[:8]
    name = f"urna_{kind}_{tag}"
    db_url = f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    env = {
        "URNA_ENVIRONMENT": "test",
        "URNA_DATABASE_URL": db_url,
        "URNA_REDIS_URL": REDIS,
        "URNA_REDIS_PREFIX": f"urna-{kind}-{tag}:",
        "URNA_SECRET_KEY": key(),
        "URNA_DATA_KEY": key(),
        "URNA_HMAC_KEY": key(),
        "URNA_NOTIFY_PROVIDER": "outbox",
    }
    os.environ.update(env)
    asyncio.run(create_db(name))
    try:
        from urna.core import migrate

        migrate.upgrade(db_url)
        yield env, db_url, tag
    finally:
        asyncio.run(redis_forget(env["URNA_REDIS_PREFIX"]))
        asyncio.run(drop_db(name))


async def redis_forget(prefix: str) -> None:
    """Delete this run's keys (sessions, counters) from the shared Redis."""
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS)
    batch = []
    async for name in redis.scan_iter(match=prefix + "*", count=5000):
        batch.append(name)
        if len(batch) >= 5000:
            await redis.delete(*batch)
            batch = []
    if batch:
        await redis.delete(*batch)
    await redis.aclose()


def preflight(url: str, sessions_file: Path) -> None:
    """One cast with the last prepared session must reach its receipt (303): a bench
    whose every request is refused measures nothing."""
    sid, csrf = sessions_file.read_text().split("\n")[-2].split()
    response = httpx.post(
        url, data={"csrf_token": csrf}, cookies={"urna_sid": sid}, follow_redirects=False
    )
    if response.status_code != 303:
        raise RuntimeError(
            f"a prepared cast was refused: {response.status_code} {response.text[:800]}"
        )


async def count_ballots(db_url: str) -> int:
    conn = await asyncpg.connect(db_url.replace("+asyncpg", ""))
    value = await conn.fetchval("SELECT count(*) FROM ballot")
    await conn.close()
    return value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sessions", type=int, default=60_000)
    parser.add_argument(
        "--runs",
        default="cast,catalogue,journey",
        help="which of Urna's runs (comma-separated): cast, catalogue, journey",
    )
    parser.add_argument(
        "--journey-connections",
        type=int,
        default=16,
        help="residents voting at once in the journey run (one wrk thread each)",
    )
    options = parser.parse_args()
    wanted = set(options.runs.split(","))
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make wrk` (Debian package wrk)")
    if not (SHARED_BENCH / "floor_app.py").exists():
        sys.exit(f"the floor is missing: {SHARED_BENCH}/floor_app.py (set URNA_FLOOR_DIR)")
    tag = uuid.uuid4().hex[:8]
    floor_db, urna_db = f"floorbench_{tag}", f"urna_bench_{tag}"
    env = {
        "URNA_ENVIRONMENT": "test",
        "URNA_DATABASE_URL": f"{PG.replace('postgresql://', 'postgresql+asyncpg://')}/{urna_db}",
        "URNA_REDIS_URL": REDIS,
        "URNA_REDIS_PREFIX": f"urna-bench-{tag}:",  # this run's keys only, deleted after
        "URNA_SECRET_KEY": key(),
        "URNA_DATA_KEY": key(),
        "URNA_HMAC_KEY": key(),
        "URNA_NOTIFY_PROVIDER": "outbox",
    }
    sessions_file = ROOT / "var" / f"bench-sessions-{tag}.txt"
    sessions_file.parent.mkdir(exist_ok=True)
    procs: list[subprocess.Popen] = []
    results: dict[str, dict] = {}
    load_before = os.getloadavg()
    floor_port, urna_port = free_port(), free_port()
    floor_url, urna_url = f"http://127.0.0.1:{floor_port}", f"http://127.0.0.1:{urna_port}"
    rss: dict[str, float] = {}
    try:
        asyncio.run(
            create_db(
                floor_db,
                "create table vote(id bigserial primary key, voter_key text unique not null, "
                "projects text, ip inet, at timestamptz default now())",
            )
        )
        asyncio.run(create_db(urna_db))
        from urna.core import migrate

        migrate.upgrade(env["URNA_DATABASE_URL"])
        slug = asyncio.run(
            prepare_urna(env["URNA_DATABASE_URL"], env, options.sessions, sessions_file)
        )
        python = sys.executable
        floor = start(
            [
                python,
                "-m",
                "uvicorn",
                "floor_app:app",
                "--workers",
                str(options.workers),
                "--port",
                str(floor_port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            {"LIMIT_DSN": f"{PG}/{floor_db}"},
            SHARED_BENCH,
        )
        procs.append(floor)
        # Urna as production runs it: `urna serve` (uvloop, httptools, its pool sizes)
        urna = start(
            [
                python,
                "-m",
                "urna.cli",
                "serve",
                "--port",
                str(urna_port),
                "--workers",
                str(options.workers),
            ],
            env,
            ROOT,
        )
        procs.append(urna)
        wait_ready(f"{floor_url}/", floor, timeout=120)
        wait_ready(f"{urna_url}/healthz", urna, timeout=120)
        here = Path(__file__).parent
        run = dict(duration=options.duration, connections=options.connections)
        with GroupSample(floor.pid) as sample:
            results["floor_bare"] = wrk(f"{floor_url}/", script=here / "floor_p95.lua", **run)
        cpu_per(results["floor_bare"], sample, options.duration)
        floor_vote_script = here / f"var-floor-vote-{tag}.lua"
        floor_vote_script.write_text(
            (SHARED_BENCH / "floor_vote.lua").read_text()
            + "\n"
            + (here / "floor_p95.lua").read_text()
        )
        try:
            with GroupSample(floor.pid) as sample:
                results["floor_vote"] = wrk(f"{floor_url}/vote", script=floor_vote_script, **run)
            cpu_per(results["floor_vote"], sample, options.duration)
        finally:
            floor_vote_script.unlink()
        if "catalogue" in wanted:
            sid = sessions_file.read_text().split()[0]
            with GroupSample(urna.pid) as peak:
                results["urna_catalogue"] = wrk(
                    f"{urna_url}/",
                    script=here / "catalogue.lua",
                    args=[sid, f"/e/{slug}/projects"],
                    **run,
                )
            rss["catalogue"] = peak.worker_peak_mb()
            cpu_per(results["urna_catalogue"], peak, options.duration)
        if "cast" in wanted:
            preflight(f"{urna_url}/e/{slug}/vote/cast", sessions_file)
            before = asyncio.run(count_ballots(env["URNA_DATABASE_URL"]))
            with GroupSample(urna.pid) as peak:
                results["urna_cast"] = wrk(
                    f"{urna_url}/",
                    script=here / "cast.lua",
                    args=[str(sessions_file), "2", f"/e/{slug}/vote/cast"],
                    **run,
                )
            rss["cast"] = peak.worker_peak_mb()
            cpu_per(results["urna_cast"], peak, options.duration)
            ballots = asyncio.run(count_ballots(env["URNA_DATABASE_URL"])) - before
            results["urna_cast"]["ballots_written"] = ballots
            results["urna_cast"]["ballots_per_s"] = round(ballots / options.duration, 1)
        if "journey" in wanted:
            before = asyncio.run(count_ballots(env["URNA_DATABASE_URL"]))
            with GroupSample(urna.pid) as peak:
                results["urna_journey"] = wrk(
                    f"{urna_url}/",
                    script=here / "journey.lua",
                    args=[slug, str(int(tag, 16))],
                    duration=options.duration,
                    connections=options.journey_connections,
                    threads=options.journey_connections,
                )
            rss["journey"] = peak.worker_peak_mb()
            cpu_per(results["urna_journey"], peak, options.duration)
            ballots = asyncio.run(count_ballots(env["URNA_DATABASE_URL"])) - before
            journey = results["urna_journey"]
            journey["ballots_written"] = ballots
            journey["journeys_per_s"] = round(journey["journeys"] / options.duration, 1)
    finally:
        for proc in procs:
            stop(proc)
        sessions_file.unlink(missing_ok=True)
        asyncio.run(redis_forget(env["URNA_REDIS_PREFIX"]))
        asyncio.run(drop_db(floor_db))
        asyncio.run(drop_db(urna_db))
    load_after = os.getloadavg()
    report(results, rss, load_before, load_after)


def cpu_per(result: dict, sample: GroupSample, duration: int) -> None:
    """The server's own CPU (its processes, user + system) per request of a run: what the
    app costs, whatever else the machine runs (wrk, PostgreSQL, other work)."""
    result["server_cpu_s"] = round(sample.cpu_seconds, 2)
    result["cpu_us_per_request"] = round(sample.cpu_seconds / (result["rps"] * duration) * 1e6)


def report(results: dict, rss: dict, load_before: tuple, load_after: tuple) -> None:
    ratios: dict[str, float] = {}
    floor_vote, floor_bare = results["floor_vote"]["rps"], results["floor_bare"]["rps"]
    print(f"{'run':<16}{'req/s':>10}{'p95 ms':>10}{'errors':>8}{'server CPU µs/req':>19}")
    for name, r in results.items():
        print(
            f"{name:<16}{r['rps']:>10.0f}{r['p95_ms']:>10.1f}{r['non_2xx_3xx']:>8}"
            f"{r['cpu_us_per_request']:>19}"
        )
    if "urna_cast" in results:
        cast = results["urna_cast"]
        ratios["cast"] = cast["ballots_per_s"] / floor_vote
        print(
            f"urna cast: {cast['ballots_written']} ballots committed = "
            f"{cast['ballots_per_s']} votes/s; ratio to the floor's durable vote = "
            f"{ratios['cast']:.2f} (goal >= 0.5); server CPU per ballot "
            f"{cast['server_cpu_s'] / max(1, cast['ballots_written']) * 1e6:.0f} µs "
            f"(floor {results['floor_vote']['cpu_us_per_request']} µs per vote)"
        )
    if "urna_journey" in results:
        journey = results["urna_journey"]
        ratios["journey"] = journey["journeys_per_s"] / floor_vote
        print(
            f"urna journey (clause → receipt, 9 requests): {journey['journeys']} journeys, "
            f"{journey['ballots_written']} ballots, {journey['broken']} broken = "
            f"{journey['journeys_per_s']} journeys/s; ratio to the floor's durable vote = "
            f"{ratios['journey']:.2f} (goal >= 0.1); server CPU per journey "
            f"{journey['server_cpu_s'] / max(1, journey['journeys']) * 1e3:.1f} ms"
        )
    if "urna_catalogue" in results:
        ratios["catalogue"] = results["urna_catalogue"]["rps"] / floor_bare
        by_cpu = (
            results["floor_bare"]["cpu_us_per_request"]
            / results["urna_catalogue"]["cpu_us_per_request"]
        )
        print(
            f"urna catalogue page: ratio to the floor's bare request = "
            f"{ratios['catalogue']:.2f} (goal >= 0.3); by the servers' CPU per request = "
            f"{by_cpu:.2f}"
        )
    for name, mb in rss.items():
        print(f"urna worker peak RSS during {name}: {mb} MB (goal < 200 MB)")
    print(
        "load average (1 min) before / after: "
        f"{load_before[0]:.1f} / {load_after[0]:.1f} on {os.cpu_count()} cores"
    )
    out = ROOT / "loadtests" / "results"
    out.mkdir(exist_ok=True)
    (out / f"cast-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(
        json.dumps(
            {**results, "ratios": ratios, "rss_mb": rss, "load": [load_before, load_after]},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
