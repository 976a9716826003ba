"""What the readiness verdict names as the limit, and what it refuses before any load.

The limit: the app's own ``/metrics`` (waits for a pooled database connection, the event
loop's lag) read before, during and after the run, besides CPU by role — a starved pool
leaves every CPU idle, so only the waits show it. A live run with a pool of one connection
(+2 overflow) per worker and slow requests (the edition table locked for seconds while the
stage runs) is named "the database connection pool is the limit". The preflight: a target
not in load-test mode, or one that does not trust the generator's X-Forwarded-For, stops
the run with what to fix before any load."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import asyncpg
import httpx
import pytest

from loadtests.readiness.appmetrics import AppMetrics, AppSignals, Reading, Snapshot, parse
from loadtests.readiness.limits import Seen, limit_of
from loadtests.readiness.measure import Sample
from loadtests.readiness.preflight import PROBE_ADDRESS, preflight
from loadtests.readiness.profile import Stage
from loadtests.readiness.replaydb import Refused
from loadtests.readiness.verdict import Objectives, evaluate, verdict
from tests.live import LiveServer, live_server_running, run_sync

ROOT = Path(__file__).resolve().parents[2]
POOL_LINE = "the database connection pool is the limit: "


def _failed_stage(cpu: dict[str, float], app: AppSignals | None):
    slow = [Sample(float(i), 0, "1 edition page", 4000.0, True) for i in range(40)]
    return evaluate(Stage(1, 60, 60), slow, cpu, Objectives(), app=app)


def _signals(*, slow_waits=0, timeouts=0, probes=100, late=0) -> AppSignals:
    reading = Reading(
        waits=500, slow_waits=slow_waits, wait_seconds=60.0, timeouts=timeouts,
        probes=probes, late=late,
    )  # fmt: skip
    return AppSignals(reading, workers=2, pool_size=10, pool_overflow=2)


def _fails_line(result, seen: Seen = Seen()) -> tuple[str, str, list[str]]:  # noqa: B008
    final = verdict(
        [result], peak_per_minute=60, counted_ok=True, counted_line=("zgodne", "equal"),
        generator_bound=False, seen=seen,
    )  # fmt: skip
    en = next(line for line in final.lines["en"] if line.startswith("Fails"))
    pl = next(line for line in final.lines["pl"] if line.startswith("Nie wytrzymuje 1"))
    return pl, en, final.lines["en"]


def test_requests_that_waited_for_a_connection_name_the_pool_not_the_busiest_cpu():
    result = _failed_stage({"app": 35.0, "database": 12.0}, _signals(slow_waits=8))
    pl, en, lines = _fails_line(result)
    assert (
        POOL_LINE + "8 requests waited > 1 s for a connection (pool 10 + 2 per worker, 2 workers)"
    ) in en
    assert "ograniczeniem jest pula połączeń z bazą danych: żądań czekających > 1 s" in pl
    assert "The app: 8 requests waited > 1 s" in " ".join(lines)  # the figures, always


def test_a_late_event_loop_or_the_runs_busy_cores_name_the_cpu_instead():
    late = _failed_stage({"app": 60.0}, _signals(slow_waits=8, late=30))
    assert "the app processes' CPU is the limit: the event loop ran late" in _fails_line(late)[1]
    from loadtests.readiness import limits

    busy = {"database": 95.0 * limits.CORES, "app": 5.0 * limits.CORES}
    named = limit_of(busy, _signals(slow_waits=8))
    assert named[0] == "database" and "the database server is the limit" in named[2]
    assert "8 requests waited" in named[2]  # the waits, as its consequence
    # no waits: the busiest role by CPU, as before
    assert limit_of({"app": 180.0, "database": 20.0}, _signals())[0] == "app"


def test_a_remote_target_whose_metrics_cannot_be_read_says_so_instead_of_guessing():
    result = _failed_stage({"load generator": 20.0}, None)
    seen = Seen(local=False, metrics_problem=("odpowiada 404", "answers 404"))
    _, en, lines = _fails_line(result, seen)
    assert "limit" not in en  # no limit named
    text = " ".join(lines)
    assert "The app's metrics could not be read (answers 404)" in text
    assert "The target is remote: the CPU of the app, the database and Redis cannot" in text
    assert "The limit cannot be named from what could be seen." in text
    # remote, metrics read: the pool is named, and the database's unseen CPU said
    named = limit_of({"load generator": 20.0}, _signals(timeouts=3), Seen(local=False))
    assert named[0] == "pool" and "3 never got one" in named[2] and "not seen" in named[2]


# An app's /metrics during a stage whose Redis answered slowly: 40 of 1,000 session-store
# commands over 0.1 s, 130 s in all; no request waited for a connection, the loop on time.
SLOW_STORE_METRICS = """\
# TYPE urna_db_pool_wait_seconds histogram
urna_db_pool_wait_seconds_bucket{le="1.0"} 500.0
urna_db_pool_wait_seconds_bucket{le="+Inf"} 500.0
urna_db_pool_wait_seconds_count 500.0
urna_db_pool_wait_seconds_sum 0.5
# TYPE urna_event_loop_lag_seconds histogram
urna_event_loop_lag_seconds_bucket{le="0.25"} 100.0
urna_event_loop_lag_seconds_bucket{le="+Inf"} 100.0
urna_event_loop_lag_seconds_count 100.0
urna_event_loop_lag_seconds_sum 0.3
# TYPE urna_session_store_seconds histogram
urna_session_store_seconds_bucket{le="0.05"} 900.0
urna_session_store_seconds_bucket{le="0.1"} 960.0
urna_session_store_seconds_bucket{le="+Inf"} 1000.0
urna_session_store_seconds_count 1000.0
urna_session_store_seconds_sum 130.0
"""
REDIS_EN = "Redis is the limit: 40 of 1000 session-store commands took > 0.1 s (mean 130.0 ms)"
REDIS_PL = (
    "ograniczeniem jest Redis: poleceń magazynu sesji dłuższych niż 0,1 s: 40 z 1000 "
    "(średnio 130,0 ms)"
)


def _store_signals(**store) -> AppSignals:
    reading = Reading(waits=500, probes=100, **store)
    return AppSignals(reading, workers=2, pool_size=10, pool_overflow=2)


def test_slow_session_store_commands_name_redis_in_both_languages():
    reading = parse(SLOW_STORE_METRICS).reading
    assert (reading.store_commands, reading.slow_store, reading.store_seconds) == (1000, 40, 130)
    app = AppSignals(reading, workers=2, pool_size=10, pool_overflow=2)
    pl, en, lines = _fails_line(_failed_stage({"app": 30.0, "Redis": 2.0}, app))
    assert REDIS_EN in en and REDIS_PL in pl  # not the busiest CPU (the app's)
    assert "40 of 1000 session-store commands took > 0.1 s" in " ".join(lines)  # always
    remote = limit_of({"load generator": 20.0}, app, Seen(local=False))
    assert remote[0] == "Redis" and "(Redis's CPU not seen: a remote target)" in remote[2]
    assert "(CPU Redis niewidoczne: cel zdalny)" in remote[1]


def test_the_pool_a_late_loop_or_busy_cores_come_before_a_slow_store():
    from loadtests.readiness import limits

    slow = {"store_commands": 1000, "slow_store": 40, "store_seconds": 130.0}
    assert limit_of({"app": 30.0}, _store_signals(**slow, slow_waits=8))[0] == "pool"
    late = limit_of({"app": 90.0}, _store_signals(**slow, late=30))
    assert late[0] == "app" and "the event loop ran late" in late[2]
    assert "40 of 1000 session-store commands took" in late[2]  # its consequence
    busy = {"database": 95.0 * limits.CORES, "app": 5.0 * limits.CORES}
    assert limit_of(busy, _store_signals(**slow))[0] == "database"
    # slow on average though never over 0.1 s (a remote Redis): named too
    mean = limit_of({"app": 30.0}, _store_signals(store_commands=1000, store_seconds=25.0))
    assert mean[0] == "Redis" and "0 of 1000" in mean[2] and "(mean 25.0 ms)" in mean[2]
    # a few slow commands among many, a low mean, or too few commands: not Redis
    rare = _store_signals(store_commands=1000, slow_store=5, store_seconds=2.0)
    few = _store_signals(store_commands=5, slow_store=5, store_seconds=5.0)
    assert limit_of({"app": 30.0}, rare)[0] == limit_of({"app": 30.0}, few)[0] == "app"


def _snapshot(key: str, slow: float, workers: int = 1) -> Snapshot:
    return Snapshot(key, workers, 1, 2, Reading(waits=slow * 2, slow_waits=slow))


def test_a_stages_waits_are_each_workers_increase_during_it():
    metrics = AppMetrics("http://x")
    metrics.readings = [
        (-1, _snapshot("w1", 5)),  # before the run: 5 since the worker started
        (0, _snapshot("w1", 9)),
        (0, _snapshot("w2", 3)),  # first seen during the stage: counted from its start
        (0, _snapshot("w1", 12)),
        (1, _snapshot("w1", 20)),
    ]
    first = metrics.of_stage(0)
    assert first.reading.slow_waits == (12 - 5) + 3 and first.workers == 2
    assert metrics.of_stage(1).reading.slow_waits == 20 - 12
    assert metrics.of_stage(2) is None


async def test_the_apps_metrics_answer_parses_into_the_pool_and_the_loop(app):
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await http.get("/e/no-such-edition-for-parse")
        text = (await http.get("/metrics")).text
    snapshot = parse(text)
    assert snapshot is not None and snapshot.pool_size is not None
    assert snapshot.pool_overflow == max(2, snapshot.pool_size // 4)
    assert snapshot.reading.waits >= 1 and snapshot.key != "all"  # one process, its start
    assert parse("# nothing of ours\nsome_metric 1\n") is None


class _Answer(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_preflight_refuses_a_target_that_does_not_trust_the_generators_forwarded_for():
    class Untrusting(_Answer):
        body = json.dumps({"loadtest_mode": True, "client": "127.0.0.1"}).encode()

    server = HTTPServer(("127.0.0.1", 0), Untrusting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(Refused) as refused:
            preflight(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    assert "does not trust the generator's X-Forwarded-For (it sees 127.0.0.1)" in str(
        refused.value
    )
    assert "URNA_TRUSTED_PROXIES" in str(refused.value) and "Nie wygenerowano" in str(refused.value)


@pytest.mark.parametrize(("status", "said"), [(404, "has no edition"), (409, "answers 409")])
def test_preflight_refuses_an_edition_the_target_cannot_vote_in(status, said):
    class Missing(_Answer):
        def do_GET(self):  # noqa: N802 - http.server's name
            if self.path.startswith("/e/"):
                self.send_response(status)
                self.end_headers()
                return
            self.body = json.dumps({"loadtest_mode": True, "client": PROBE_ADDRESS}).encode()
            super().do_GET()

    server = HTTPServer(("127.0.0.1", 0), Missing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = f"http://127.0.0.1:{server.server_port}"
        preflight(target)  # no edition named: the target itself is ready
        with pytest.raises(Refused) as refused:
            preflight(target, "no-such-edition")
    finally:
        server.shutdown()
    assert said in str(refused.value) and "No load was generated." in str(refused.value)
    assert "Nie wygenerowano" in str(refused.value)


def _readiness(target: str, tmp_path: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "loadtests.readiness", "--target", target,
        "--report", str(tmp_path / "readiness.html"), "--multiples", "1", *args,
    ]  # fmt: skip


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("URNA_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env | {"PYTHONPATH": str(ROOT)}


def test_a_target_not_in_load_test_mode_is_refused_before_any_load(live_server, tmp_path):
    edition = live_server.edition_create()
    started = time.monotonic()
    run = subprocess.run(
        _readiness(live_server.url(""), tmp_path, "--edition", edition.slug),
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2, run.stdout + run.stderr
    assert "is not in load-test mode (/_loadtest/mode: 404)" in run.stderr
    assert "URNA_LOADTEST_MODE=true" in run.stderr and "No load was generated." in run.stderr
    assert "nie jest w trybie testu obciążenia" in run.stderr
    assert "generator ceiling" not in run.stdout and "stage" not in run.stdout
    assert not (tmp_path / "readiness.html").exists()
    assert time.monotonic() - started < 60
    assert live_server.counts(edition.id)["voters"] == 0


def _edition_page_requests(base_url: str) -> float:
    text = httpx.get(base_url + "/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("urna_http_requests_total") and 'route="/e/{slug}"' in line
    )


async def _lock_editions(database_url: str, seconds: float) -> None:
    """Every request that reads an edition waits, holding its pooled connection."""
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        async with conn.transaction():
            await conn.execute("LOCK TABLE edition IN ACCESS EXCLUSIVE MODE")
            await asyncio.sleep(seconds)
    finally:
        await conn.close()


@contextmanager
def readiness_target(tmp_path: Path, monkeypatch, **overrides) -> Iterator[LiveServer]:
    """A live server in load-test mode for one readiness stage: its workers share one
    metrics directory (the run reads them all in one answer), and the one-time-code limits
    are out of a stage's reach."""
    prometheus_dir = tmp_path / "prometheus"
    prometheus_dir.mkdir()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(prometheus_dir))  # the server's only
    with live_server_running(
        tmp_path, loadtest_mode=True, otp_send_per_ip="10000/minute",
        otp_resend_per_contact="100/minute", **overrides,
    ) as server:  # fmt: skip
        yield server


def stage_command(server: LiveServer, tmp_path: Path, slug: str, *, seconds: int, p95_ms: int):
    """The readiness command for one stage at the expected peak of a town of 300,000."""
    return _readiness(
        server.url(""), tmp_path, "--edition", slug, "--population", "300000",
        "--stage-seconds", str(seconds), "--pacing-seconds", "6", "--no-ceiling",
        "--database-url", server.database_url, "--p95-ms", str(p95_ms), "--p99-ms", "2000",
    )  # fmt: skip


@pytest.mark.postgres_only
def test_a_starved_pool_is_named_as_the_limit(tmp_path, monkeypatch):
    with readiness_target(tmp_path, monkeypatch, db_pool_size=1) as server:
        seen = httpx.get(server.url("/_loadtest/mode"), headers={"X-Forwarded-For": PROBE_ADDRESS})
        assert seen.json() == {"loadtest_mode": True, "client": PROBE_ADDRESS}
        edition = server.edition_create()
        before = _edition_page_requests(server.base_url)
        command = stage_command(server, tmp_path, edition.slug, seconds=25, p95_ms=1000)
        with subprocess.Popen(
            command, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        ) as run:  # fmt: skip
            deadline = time.monotonic() + 120
            while _edition_page_requests(server.base_url) < before + 3:  # the stage is on
                assert run.poll() is None and time.monotonic() < deadline, run.stderr.read()
                time.sleep(0.2)
            run_sync(_lock_editions, server.database_url, 7.0)
            out, err = run.communicate(timeout=300)
    assert run.returncode == 1, out + err
    fails = next(line for line in out.splitlines() if line.startswith("Fails at 1×"))
    assert POOL_LINE in fails, out
    assert "requests waited > 1 s for a connection (pool 1 + 2 per worker, 2 workers)" in fails
    assert "ograniczeniem jest pula połączeń z bazą danych" in out
    assert "— equal." in out  # every acknowledged cast is still a ballot


def test_only_the_targets_database_counts_and_a_machine_busy_with_others_is_said():
    from loadtests.readiness import limits
    from loadtests.readiness.measure import postgres_database

    title = "postgres: 15/main: postgres urna_test_1 127.0.0.1(56014) idle"
    assert postgres_database(title) == "urna_test_1"
    assert postgres_database("postgres: 15/main: checkpointer") is None  # the server's own
    assert postgres_database("postgres: postgres other [local] SELECT") == "other"
    cores = limits.CORES
    quiet = limits.others_line({"app": 40.0 * cores}, machine_cpu=50.0)
    assert quiet is None
    pl, en = limits.others_line({"app": 20.0 * cores, "database": 10.0 * cores}, 95.0)
    assert "machine CPU 95 %, of which this run's processes 30 %" in en
    assert "CPU maszyny 95 %" in pl
