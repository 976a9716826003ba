"""Run the readiness test: the generator's ceiling, then stages at multiples of the
expected peak (stopping at the first that fails), then the count of ballots in the
database against the casts the generator saw acknowledged.

With a pabulib file (``Options.replay``) the residents are the file's voters: the edition
is prepared first (``replaydb prepare``), each stage casts votes from the queue until its
time is up or the queue is empty, and the database is compared with the file at the end
(``replay.compare``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

import gevent
from locust import HttpUser, constant, task
from locust.env import Environment

from loadtests.readiness import replay, replaydb, report, scenarios
from loadtests.readiness.appmetrics import AppMetrics
from loadtests.readiness.dbcount import count_in_subprocess
from loadtests.readiness.limits import Seen
from loadtests.readiness.measure import CpuSampler, Timeline, serving
from loadtests.readiness.preflight import edition_pick, edition_votes, preflight
from loadtests.readiness.profile import Profile, Stage, stages
from loadtests.readiness.verdict import (
    Objectives,
    StageResult,
    Verdict,
    agreement,
    evaluate,
    generator_bound,
    verdict,
)

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
BOTS = 2
DRAIN_SECONDS = 120.0  # a stage's residents finish their flows within this
UNTIL_DRAINED = 24 * 3600.0  # a replay stage without a duration: until the queue is empty


@dataclass
class Options:
    target: str
    edition: str | None  # None: the target's only edition open for voting
    profile: Profile
    multiples: list[float]
    stage_seconds: float
    pacing_seconds: float
    database_url: str | None
    report_path: Path
    objectives: Objectives
    staff: tuple[str, str, str] | None = None
    measure_ceiling: bool = True
    replay: Path | None = None  # a pabulib file whose votes the residents cast
    replay_limit: int | None = None  # only the first K votes of the file
    readers_per_resident: float = 2.0


@dataclass
class Outcome:
    verdict: Verdict
    results: list[StageResult]
    acknowledged: int
    counted: int | None
    ceiling_rps: float | None
    replay_lines: list[tuple[str, str]] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)  # (step, what went wrong) -> times


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Probe(HttpUser):
    wait_time = constant(0)

    @task
    def hit(self) -> None:
        self.client.get("/", name="probe")


def _run_users(host: str, counts: dict[type, int], timeline: Timeline, ramp_seconds: float = 2.0):
    """Start the users, spread over ``ramp_seconds`` (residents arrive one after another,
    not all at once)."""
    for cls, n in counts.items():
        cls.fixed_count = n
    env = Environment(user_classes=[c for c, n in counts.items() if n], host=host)
    env.events.request.add_listener(
        lambda name, response_time, exception, **_: timeline.record(
            name, response_time, exception is None, exception
        )
    )
    runner = env.create_local_runner()
    total = sum(counts.values())
    runner.start(total, spawn_rate=max(total / ramp_seconds, 1))
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


def _counted_line(acknowledged: int, counted: int | None) -> tuple[bool, tuple[str, str]]:
    if counted is None:
        return True, (
            f"Potwierdzonych głosów: {acknowledged} (bez dostępu do bazy — nie porównano; "
            "porówna je --database-url, w make loadtest DATABASE_URL=…).",
            f"Acknowledged casts: {acknowledged} (no database access — not compared; "
            "--database-url, or DATABASE_URL=… to make loadtest, compares them).",
        )
    equal = counted == acknowledged
    return equal, agreement(
        equal,
        f"Głosów w bazie: {counted}, potwierdzonych generatorowi: {acknowledged}",
        f"Ballots in the database: {counted}, casts acknowledged to the generator: {acknowledged}",
    )


def replay_check(options: Options) -> None:
    """What a replay needs on this side; ``replaydb.Refused`` with what to fix."""
    if not options.database_url:
        raise replaydb.Refused(
            "Powtórka potrzebuje --database-url (import edycji i porównanie z plikiem).\n"
            "A replay needs --database-url (to import the edition and compare with the file)."
        )
    if not options.replay.is_file():
        raise replaydb.Refused(
            f"Nie ma pliku {options.replay} (URNA_PABULIB_DIR: {replay.pabulib_dir()}).\n"
            f"No file {options.replay} (URNA_PABULIB_DIR: {replay.pabulib_dir()})."
        )


def replay_prepare(options: Options) -> tuple[replay.Plan, dict]:
    """The edition of the file, open for voting (imported if missing), and the votes to
    cast; ``replaydb.Refused`` with what to fix."""
    edition = replaydb.in_subprocess(
        "prepare", options.database_url, str(options.replay), options.edition
    )
    return replay.plan(options.replay, edition, options.replay_limit), edition


def run(options: Options) -> Outcome:
    cfg = scenarios.CONFIG
    cfg.edition, cfg.pacing_seconds = options.edition, options.pacing_seconds
    if options.staff:
        cfg.staff_email, cfg.staff_password, cfg.staff_totp_secret = options.staff
    the_plan, before = None, None
    if options.replay:
        replay_check(options)
    # before any load, and before a replay's edition is made (the replay makes its own)
    preflight(options.target, None if options.replay else options.edition)
    if options.edition is None:  # none named: the target's only edition open for voting
        options.edition = cfg.edition = edition_pick(options.target)
        print(f"edycja / edition: {options.edition} (jedyna otwarta / the only one open)")
        edition_votes(options.target, options.edition)
    if options.replay:
        the_plan, edition = replay_prepare(options)
        cfg.replay = deque(the_plan.votes)
        cfg.streets = list(edition["streets"])
        before = edition["before"]
        rate = options.profile.peak_per_minute * options.multiples[0]
        print(
            f"replay: {len(the_plan.votes)} votes at {rate:.0f} residents/min → about "
            f"{len(the_plan.votes) / rate:.0f} min",
            flush=True,
        )
    ceiling = generator_ceiling() if options.measure_ceiling else None
    local = urlparse(options.target).hostname in LOCAL_HOSTS
    if options.database_url and not options.replay:
        before = count_in_subprocess(options.database_url, options.edition)
    timeline, sampler, app_metrics = Timeline(), CpuSampler(), AppMetrics(options.target)
    if local:
        sampler.app_pids = serving(urlparse(options.target).port or 80)
        if options.database_url and not options.database_url.startswith("sqlite"):
            sampler.database = urlparse(options.database_url).path.lstrip("/") or None
    app_metrics.read(-1, now=True)  # before: each worker's counters since its start
    results: list[StageResult] = []
    for index, stage in enumerate(
        stages(options.profile, options.multiples, options.stage_seconds)
    ):
        timeline.stage = index
        results.append(_run_stage(options, stage, index, timeline, (sampler, app_metrics), local))
        if not results[-1].holds or (options.replay and not cfg.replay):
            break
    acknowledged = cfg.acknowledged
    replay_lines: list[tuple[str, str]] = []
    counted: int | None = None
    if the_plan is not None:
        after = replaydb.in_subprocess("tally", options.database_url, options.edition)
        comparison = replay.compare(
            the_plan, replayed=cfg.replayed, acknowledged=acknowledged, before=before,
            after=after,
        )  # fmt: skip
        counted, counted_ok = comparison.counted, comparison.ok
        replay_lines = the_plan.lines() + _replay_progress(the_plan, cfg)
        lines = replay_lines + comparison.lines
    else:
        if options.database_url and before is not None:
            counted = count_in_subprocess(options.database_url, options.edition) - before
        counted_ok, line = _counted_line(acknowledged, counted)
        lines = [line]
    bound = generator_bound(results, ceiling)
    final = verdict(
        results,
        peak_per_minute=options.profile.peak_per_minute,
        counted_ok=counted_ok,
        counted_line=lines[0],
        more_lines=lines[1:],
        generator_bound=bound,
        seen=Seen(local=local, metrics_problem=app_metrics.problem),
    )
    report.write(
        options.report_path,
        target=options.target,
        profile=options.profile,
        verdict=final,
        bins=timeline.bins(),
        results=results,
        ceiling_rps=ceiling,
        failures=timeline.failures,
    )
    return Outcome(final, results, acknowledged, counted, ceiling, replay_lines, timeline.failures)


def _replay_progress(the_plan: replay.Plan, cfg: scenarios.Config) -> list[tuple[str, str]]:
    cast, failed, left = len(cfg.replayed), len(cfg.replay_failed), len(cfg.replay)
    return [
        (
            f"Oddano {cast} z {len(the_plan.votes)}; nieudanych {failed}; nie rozpoczętych {left}.",
            f"Cast {cast} of {len(the_plan.votes)}; failed {failed}; not started {left}.",
        )
    ]


def _run_stage(
    options: Options,
    stage: Stage,
    index: int,
    timeline: Timeline,
    samplers: tuple[CpuSampler, AppMetrics],
    local: bool,
) -> StageResult:
    """One stage; at its end no resident starts a new flow and those under way finish
    (a cast cut off after the server stored it would be a ballot never acknowledged).
    Every second: the CPU by role, and the app's own metrics (waits for the pool)."""
    cfg = scenarios.CONFIG
    sampler, app_metrics = samplers
    voters = stage.voters(options.pacing_seconds)
    counts: dict[type, int] = {
        scenarios.ReplayResident if options.replay else scenarios.Resident: voters,
        scenarios.Reader: round(voters * options.readers_per_resident),
        scenarios.Bot: BOTS,
        scenarios.Verifier: 1 if options.staff else 0,
    }
    cfg.stopping = False
    started = time.monotonic()
    # the ramp: residents join over one pacing interval, so their flows start evenly
    runner = _run_users(options.target, counts, timeline, ramp_seconds=options.pacing_seconds)
    end = started + stage.seconds
    while time.monotonic() < end:
        sampler.sample(index, others=local)
        app_metrics.read(index)
        gevent.sleep(1.0)
        if options.replay and not cfg.replay and not cfg.in_flight:
            break
    cfg.stopping = True
    drain = time.monotonic() + DRAIN_SECONDS
    while cfg.in_flight and time.monotonic() < drain:
        gevent.sleep(0.2)
    runner.quit()
    elapsed = time.monotonic() - started
    app_metrics.read(index, now=True)  # after: the waits of the flows that drained
    return evaluate(
        replace(stage, seconds=elapsed), timeline.of_stage(index), sampler.averages(index),
        options.objectives, app=app_metrics.of_stage(index),
        machine_cpu=sampler.machine_average(index) if local else None,
    )  # fmt: skip
