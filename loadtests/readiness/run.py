"""Run the readiness test: the generator's ceiling, then stages at multiples of the
expected peak (stopping at the first that fails), then the count of ballots in the
database against the casts the generator saw acknowledged."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import gevent
from locust import HttpUser, constant, task
from locust.env import Environment

from loadtests.readiness import report, scenarios
from loadtests.readiness.dbcount import count_in_subprocess
from loadtests.readiness.measure import CpuSampler, Timeline
from loadtests.readiness.profile import Profile, Stage, stages
from loadtests.readiness.verdict import Objectives, StageResult, Verdict, evaluate, verdict

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
READERS_PER_RESIDENT = 2
BOTS = 2
GENERATOR_BOUND = 0.8  # of the ceiling


@dataclass
class Options:
    target: str
    edition: str
    profile: Profile
    multiples: list[float]
    stage_seconds: float
    pacing_seconds: float
    database_url: str | None
    report_path: Path
    objectives: Objectives
    staff: tuple[str, str, str] | None = None
    measure_ceiling: bool = True


@dataclass
class Outcome:
    verdict: Verdict
    results: list[StageResult]
    acknowledged: int
    counted: int | None
    ceiling_rps: float | None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Probe(HttpUser):
    wait_time = constant(0)

    @task
    def hit(self) -> None:
        self.client.get("/", name="probe")


def _run_users(host: str, counts: dict[type, int], timeline: Timeline):
    for cls, n in counts.items():
        cls.fixed_count = n
    env = Environment(user_classes=[c for c, n in counts.items() if n], host=host)
    env.events.request.add_listener(
        lambda name, response_time, exception, **_: timeline.record(
            name, response_time, exception is None
        )
    )
    runner = env.create_local_runner()
    total = sum(counts.values())
    runner.start(total, spawn_rate=max(total / 2, 1))
    return runner


def generator_ceiling(seconds: float = 5.0, users: int = 20) -> float:
    """Requests per second this generator reaches against the smallest possible server."""
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "uvicorn",
            "loadtests.readiness.stub:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                gevent.sleep(0.1)
        timeline = Timeline()
        runner = _run_users(f"http://127.0.0.1:{port}", {_Probe: users}, timeline)
        gevent.sleep(seconds)
        runner.quit()
        return len(timeline.samples) / seconds
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(options: Options) -> Outcome:
    cfg = scenarios.CONFIG
    cfg.edition, cfg.pacing_seconds = options.edition, options.pacing_seconds
    if options.staff:
        cfg.staff_email, cfg.staff_password, cfg.staff_totp_secret = options.staff
    ceiling = generator_ceiling() if options.measure_ceiling else None
    local = urlparse(options.target).hostname in LOCAL_HOSTS
    before = (
        count_in_subprocess(options.database_url, options.edition) if options.database_url else None
    )
    timeline, sampler = Timeline(), CpuSampler()
    results: list[StageResult] = []
    for index, stage in enumerate(
        stages(options.profile, options.multiples, options.stage_seconds)
    ):
        timeline.stage = index
        results.append(_run_stage(options, stage, index, timeline, sampler, local))
        if not results[-1].holds:
            break
    acknowledged = len(cfg.receipts)
    counted = (
        count_in_subprocess(options.database_url, options.edition) - before
        if options.database_url and before is not None
        else None
    )
    if counted is None:
        counted_ok = True
        line = (
            f"Potwierdzonych głosów: {acknowledged} (bez dostępu do bazy — nie porównano).",
            f"Acknowledged casts: {acknowledged} (no database access — not compared).",
        )
    else:
        counted_ok = counted == acknowledged
        line = (
            f"Głosów w bazie: {counted}, potwierdzonych generatorowi: {acknowledged}"
            + (" — zgodne." if counted_ok else " — NIEZGODNE."),
            f"Ballots in the database: {counted}, casts acknowledged to the generator: "
            f"{acknowledged}" + (" — equal." if counted_ok else " — NOT EQUAL."),
        )
    bound = bool(ceiling) and any(r.rps >= GENERATOR_BOUND * ceiling for r in results)
    final = verdict(
        results,
        peak_per_minute=options.profile.peak_per_minute,
        counted_ok=counted_ok,
        counted_line=line,
        generator_bound=bound,
    )
    report.write(
        options.report_path,
        target=options.target,
        profile=options.profile,
        verdict=final,
        bins=timeline.bins(),
        results=results,
        ceiling_rps=ceiling,
    )
    return Outcome(final, results, acknowledged, counted, ceiling)


def _run_stage(
    options: Options, stage: Stage, index: int, timeline: Timeline, sampler: CpuSampler, local: bool
) -> StageResult:
    voters = stage.voters(options.pacing_seconds)
    counts: dict[type, int] = {
        scenarios.Resident: voters,
        scenarios.Reader: voters * READERS_PER_RESIDENT,
        scenarios.Bot: BOTS,
        scenarios.Verifier: 1 if options.staff else 0,
    }
    runner = _run_users(options.target, counts, timeline)
    end = time.monotonic() + stage.seconds
    while time.monotonic() < end:
        if local:
            sampler.sample(index)
        gevent.sleep(1.0)
    runner.quit()
    return evaluate(stage, timeline.of_stage(index), sampler.averages(index), options.objectives)
