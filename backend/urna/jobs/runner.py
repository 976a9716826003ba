"""Running scheduled jobs: each on its own interval, one instance of each at a time
across every worker process.

A job is a name, an interval and an async callable that takes the ``JobContext``. Before
each run the worker takes the job's lock: on PostgreSQL a session-level advisory lock
(``pg_try_advisory_lock``) on a connection held for the whole run, so another worker, on
this host or another, skips the job while it runs here; on SQLite (one process by design)
a process-local lock. A run that fails is logged and tried again at the next interval.
Setting ``stop`` (SIGTERM) ends each job's loop after its current run.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.db import session_factory
from urna.notify.providers import Provider, provider_for
from urna.requestlog.dns import HostResolver

log = logging.getLogger("urna.jobs")
BACKOFF_MAX = 300.0  # seconds: the longest wait after failures in a row


@dataclass
class JobContext:
    """What a job gets: settings, the database, and the senders and resolvers that keep
    state (connections, caches) from one run to the next."""

    settings: Settings
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    crypto: Crypto
    provider: Provider | None  # None: messages stay in the outbox (tests read them there)
    resolver: HostResolver | None  # None: reverse DNS is off

    def close(self) -> None:
        if self.resolver is not None:
            self.resolver.close()


def job_context(settings: Settings, engine: AsyncEngine) -> JobContext:
    resolver = (
        HostResolver(timeout=settings.request_log_dns_timeout_seconds)
        if settings.request_log_reverse_dns
        else None
    )
    return JobContext(
        settings=settings,
        engine=engine,
        db=session_factory(engine),
        crypto=Crypto(settings),
        provider=provider_for(settings),
        resolver=resolver,
    )


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds from the end of one run to the start of the next
    run: Callable[[JobContext], Awaitable[object]]


def lock_key(name: str) -> int:
    """The job's advisory-lock key: a stable signed 64-bit hash of its name."""
    digest = hashlib.blake2b(f"urna.job:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_RUNNING_HERE: set[str] = set()  # SQLite: the jobs this process is running now


@contextlib.asynccontextmanager
async def job_lock(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Yields True while this process holds the job, False if another one runs it."""
    if engine.dialect.name != "postgresql":
        if name in _RUNNING_HERE:
            yield False
            return
        _RUNNING_HERE.add(name)
        try:
            yield True
        finally:
            _RUNNING_HERE.discard(name)
        return
    key = {"key": lock_key(name)}
    async with engine.connect() as conn:
        held = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), key)
        await conn.commit()  # the lock belongs to the connection: no transaction stays open
        if not held:
            yield False
            return
        try:
            yield True
        finally:
            try:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                await conn.commit()
            except BaseException:
                await conn.invalidate()  # a closed connection releases its locks
                raise


@dataclass
class Backoff:
    """A job's failures in a row: each doubles the wait before the next try (up to
    ``BACKOFF_MAX``, never below the job's interval), and only the first is logged with
    its traceback — a database down for an hour is one traceback and a line per try, not
    one traceback a second."""

    failures: int = 0

    def delay(self, interval: float) -> float:
        return min(interval * 2**self.failures, max(interval, BACKOFF_MAX))


async def job_run_once(ctx: JobContext, job: Job, backoff: Backoff | None = None) -> bool:
    """Run ``job`` once unless another worker is running it; True if it ran here."""
    backoff = backoff if backoff is not None else Backoff()
    ran = False
    try:
        async with job_lock(ctx.engine, job.name) as held:
            if not held:
                log.debug("%s: running in another worker, skipped", job.name)
                return False
            ran = True
            await job.run(ctx)
    except Exception as error:  # noqa: BLE001 - a failed run is retried after a wait
        backoff.failures += 1
        wait = backoff.delay(job.interval)
        if backoff.failures == 1:
            log.exception("%s failed; next try in %g s", job.name, wait)
        else:
            first = (str(error).splitlines() or [""])[0][:200]
            log.warning(
                "%s failed again (%d in a row: %s: %s); next try in %g s",
                job.name, backoff.failures, type(error).__name__, first, wait,
            )  # fmt: skip
        return ran
    if backoff.failures:
        log.info("%s ran again after %d failed tries", job.name, backoff.failures)
        backoff.failures = 0
    return ran


async def jobs_run(ctx: JobContext, jobs: Sequence[Job], stop: asyncio.Event) -> None:
    """Run every job on its own interval until ``stop`` is set (a failing job waits longer
    after each failure: ``Backoff``). A run in progress is finished, never interrupted."""

    async def loop(job: Job) -> None:
        backoff = Backoff()
        while not stop.is_set():
            await job_run_once(ctx, job, backoff)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), backoff.delay(job.interval))

    await asyncio.gather(*(loop(job) for job in jobs))
