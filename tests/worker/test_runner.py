"""The worker runs each job in one process at a time, survives a failing run, plugs in
the fraud scan when it exists, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from tests.worker.conftest import Proc, process_start, worker_settings
from urna.core.db import create_engine
from urna.jobs import scheduled
from urna.jobs.runner import (
    BACKOFF_MAX,
    Backoff,
    Job,
    job_context,
    job_lock,
    job_run_once,
    jobs_run,
)


def runs_of(path: Path) -> list[tuple[int, float, float]]:
    """(pid, start, end) of each finished run of the probe job."""
    started: dict[int, float] = {}
    runs = []
    for line in path.read_text().splitlines():
        item = json.loads(line)
        if item["event"] == "start":
            assert item["pid"] not in started, "a process started the job twice at once"
            started[item["pid"]] = item["at"]
        else:
            runs.append((item["pid"], started.pop(item["pid"]), item["at"]))
    return sorted(runs, key=lambda run: run[1])


def wait_for(condition, *procs: Proc, timeout: float = 60.0) -> None:
    """Until ``condition()``; fails at once if one of ``procs`` has ended."""
    deadline = time.monotonic() + timeout
    while not condition():
        for proc in procs:
            assert proc.process.poll() is None, f"the process ended:\n{proc.output()}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_worker_processes_never_run_a_job_at_the_same_time(worker_database_url, tmp_path):
    """Both workers want the probe every 20 ms and hold it 150 ms: only the advisory lock
    keeps their runs apart."""
    probe = tmp_path / "probe.jsonl"
    probe.touch()
    settings = worker_settings(worker_database_url)
    workers = [
        process_start(
            settings, tmp_path, "-m", "tests.worker.procs", "probe", str(probe), "0.15", "0.02"
        )
        for _ in range(2)
    ]
    try:
        wait_for(lambda: len(runs_of(probe)) >= 12, *workers)
    finally:
        codes = [worker.stop() for worker in workers]
    assert codes == [0, 0], [worker.output() for worker in workers]
    runs = runs_of(probe)
    for (_, _, previous_end), (_, start, _) in zip(runs, runs[1:], strict=False):
        assert start >= previous_end, f"two runs overlapped: {runs}"


def test_sigterm_stops_the_worker_after_the_run_in_progress(worker_database_url, tmp_path):
    probe = tmp_path / "probe.jsonl"
    probe.touch()
    settings = worker_settings(worker_database_url)
    worker = process_start(
        settings, tmp_path, "-m", "tests.worker.procs", "probe", str(probe), "1.5", "0.01"
    )
    wait_for(lambda: "start" in probe.read_text(), worker)
    assert worker.stop() == 0, worker.output()
    events = [json.loads(line)["event"] for line in probe.read_text().splitlines()]
    assert events == ["start", "end"]  # the run finished, no other began
    assert "worker: stopped" in worker.output()


def test_urna_worker_starts_with_the_built_in_jobs_and_stops_on_sigterm(
    worker_database_url, tmp_path
):
    worker = process_start(
        worker_settings(worker_database_url), tmp_path, "-m", "urna.cli", "worker"
    )
    wait_for(lambda: "worker: " in worker.output(), worker)
    assert worker.stop() == 0, worker.output()
    started = worker.output()
    assert "outbox every" not in started  # the outbox provider: messages stay for the tests
    assert "retention every 3600 s" in started and "worker: stopped" in started


async def test_a_failing_run_is_logged_and_tried_again(job_ctx, caplog):
    caplog.set_level("INFO", logger="urna.jobs")
    calls = []
    stop = asyncio.Event()

    async def flaky(ctx) -> None:
        calls.append(time.monotonic())
        if len(calls) == 3:
            stop.set()
        if len(calls) == 1:
            raise RuntimeError("database hiccup")

    await asyncio.wait_for(jobs_run(job_ctx, [Job("flaky", 0.01, flaky)], stop), 10)
    assert len(calls) == 3  # failed once, ran again twice, then stopped
    assert "flaky failed; next try in 0.02 s" in caplog.text  # twice the interval
    assert "database hiccup" in caplog.text
    assert "flaky ran again after 1 failed tries" in caplog.text


async def test_a_job_failing_in_a_row_waits_longer_and_logs_one_traceback(job_ctx, caplog):
    """A database down for long: the waits double (up to BACKOFF_MAX), one traceback."""
    calls = []
    stop = asyncio.Event()

    async def down(ctx) -> None:
        calls.append(time.monotonic())
        if len(calls) == 5:
            stop.set()
        raise ConnectionRefusedError("Connect call failed ('127.0.0.1', 5432)")

    await asyncio.wait_for(jobs_run(job_ctx, [Job("down", 0.01, down)], stop), 10)
    waits = [later - earlier for earlier, later in zip(calls, calls[1:], strict=False)]
    assert all(wait >= 0.01 * 2 ** (n + 1) * 0.9 for n, wait in enumerate(waits)), waits
    assert caplog.text.count("Traceback") == 1
    assert "down failed again (4 in a row: ConnectionRefusedError" in caplog.text
    assert Backoff(failures=30).delay(1.0) == BACKOFF_MAX  # never more than the cap
    assert Backoff(failures=30).delay(900.0) == 900.0  # nor less than the job's interval


async def test_a_job_held_elsewhere_is_skipped(job_ctx):
    ran = []

    async def job(ctx) -> None:
        ran.append(1)

    async with job_lock(job_ctx.engine, "busy") as held:
        assert held
        assert await job_run_once(job_ctx, Job("busy", 1, job)) is False
    assert await job_run_once(job_ctx, Job("busy", 1, job)) is True
    assert ran == [1]


@pytest.mark.flow
async def test_on_sqlite_the_lock_is_held_within_the_process(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}")
    try:
        async with job_lock(engine, "probe") as first:
            async with job_lock(engine, "probe") as second:
                assert (first, second) == (True, False)
            async with job_lock(engine, "other") as other:
                assert other
        async with job_lock(engine, "probe") as again:
            assert again
    finally:
        await engine.dispose()


async def test_the_fraud_scan_job_scans_every_edition_open_for_voting(job_ctx, monkeypatch):
    from tests.factories.editions import edition_data
    from urna.core.db import transaction
    from urna.fraud import service as fraud
    from urna.privacy import service as privacy

    jobs = {job.name: job for job in scheduled.jobs_default(job_ctx.settings)}
    assert jobs["fraud-scan"].interval == job_ctx.settings.worker_fraud_scan_seconds
    scanned = []

    async def scan_incremental(*, session, crypto, settings, edition):
        scanned.append(edition.id)

    monkeypatch.setattr(fraud, "scan_incremental", scan_incremental)
    async with transaction(job_ctx.db) as session:
        open_now = await privacy.edition_import(session=session, data=edition_data())
    await jobs["fraud-scan"].run(job_ctx)
    assert open_now.id in scanned


def test_the_job_context_follows_the_settings(worker_database_url):
    engine = create_engine(worker_database_url)
    ctx = job_context(worker_settings(worker_database_url, notify_provider="console"), engine)
    assert ctx.provider is not None and ctx.resolver is None
