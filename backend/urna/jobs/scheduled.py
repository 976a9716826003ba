"""The scheduled jobs of ``urna worker`` and the two ways to run them: the worker
process, or (``urna demo``) a task inside the single app process.

Jobs take ids, open their own units of work and log what they did:

- ``outbox``: sends the SMS/e-mail outbox (claim, send outside a transaction, mark);
- ``hosts``: reverse DNS of the request-log rows written without a host name;
- ``retention``: the retention purge of identity data (``urna purge``);
- ``fraud-scan``: the incremental fraud scan of editions open for voting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.config import Settings
from urna.core.context import AppContext
from urna.core.crypto import Crypto
from urna.core.db import create_engine, transaction
from urna.editions import service as editions
from urna.fraud import retention as fraud_retention
from urna.fraud import service as fraud
from urna.jobs.runner import Job, JobContext, job_context, jobs_run
from urna.notify import service as notify
from urna.notify.providers import provider_for
from urna.privacy import service as privacy
from urna.requestlog import service as requestlog

log = logging.getLogger("urna.jobs")
OUTBOX_BATCH = 50
OUTBOX_BATCHES_PER_RUN = 20  # a backlog drains over several runs; SIGTERM waits less


async def outbox_send(ctx: JobContext) -> None:
    if ctx.provider is None:
        return
    timeout = timedelta(seconds=ctx.settings.outbox_claim_timeout_seconds)
    for _ in range(OUTBOX_BATCHES_PER_RUN):
        sent, failed = await notify.outbox_deliver(
            db=ctx.db,
            crypto=ctx.crypto,
            provider=ctx.provider,
            claim_timeout=timeout,
            batch=OUTBOX_BATCH,
        )
        if sent or failed:
            log.info("outbox: %d sent, %d failed (retried next round)", sent, failed)
        if failed or sent < OUTBOX_BATCH:
            return


async def hosts_resolve(ctx: JobContext) -> None:
    if ctx.resolver is None:
        return
    looked_up = await requestlog.hosts_resolve(db=ctx.db, resolver=ctx.resolver)
    if looked_up:
        log.info("hosts: names of %d addresses looked up", looked_up)


async def purge(
    *, session: AsyncSession, crypto: Crypto
) -> tuple[list[privacy.PurgeReport], dict[str, int]]:
    """The retention purge (``urna purge`` and the worker's job): the editions' identities
    and keys (``privacy``), then the fraud scan's copies of addresses and keyed hashes."""
    reports = await privacy.retention_purge(session=session, crypto=crypto)
    return reports, await fraud_retention.retention_traces_purge(session=session)


async def retention_purge(ctx: JobContext) -> None:
    async with transaction(ctx.db) as session:
        reports, traces = await purge(session=session, crypto=ctx.crypto)
    for slug, rows in traces.items():
        log.info("retention: %s: %d fraud-scan traces anonymised", slug, rows)
    for report in reports:
        log.info(
            "retention: %s: %d identities, %d paper entries, %d ballot traces purged",
            report.edition_slug,
            report.voters,
            report.paper_entries,
            report.ballots,
        )


async def fraud_scan(ctx: JobContext) -> None:
    async with transaction(ctx.db) as session:
        open_slugs = [
            edition.slug
            for edition in await editions.editions_list(session=session)
            if editions.edition_phase(edition) == "open"
        ]
    for slug in open_slugs:
        async with transaction(ctx.db) as session:
            edition = await editions.edition_get(session=session, slug=slug)
            await fraud.scan_incremental(
                session=session, crypto=ctx.crypto, settings=ctx.settings, edition=edition
            )
        log.info("fraud-scan: edition %s scanned", slug)


def jobs_default(settings: Settings) -> list[Job]:
    """The jobs the settings call for: no delivery while messages stay in the outbox
    (tests read them there), no host names while reverse DNS is off."""
    jobs = []
    if provider_for(settings) is not None:
        jobs.append(Job("outbox", settings.worker_outbox_seconds, outbox_send))
    if settings.request_log_reverse_dns:
        jobs.append(Job("hosts", settings.worker_hosts_seconds, hosts_resolve))
    jobs.append(Job("retention", settings.worker_retention_seconds, retention_purge))
    jobs.append(Job("fraud-scan", settings.worker_fraud_scan_seconds, fraud_scan))
    return jobs


def worker_main(settings: Settings, jobs: list[Job] | None = None) -> None:
    """``urna worker``: run the jobs until SIGTERM or SIGINT, then stop after the runs in
    progress."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(_worker(settings, jobs if jobs is not None else jobs_default(settings)))


async def _worker(settings: Settings, jobs: list[Job]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # A running job holds its lock's connection and its unit of work's (the outbox one
    # per message in flight).
    connections = 2 * len(jobs) + notify.SENDING_AT_ONCE
    engine = create_engine(settings.database_url, pool_size=connections)
    ctx = job_context(settings, engine)
    log.info("worker: %s", ", ".join(f"{job.name} every {job.interval:g} s" for job in jobs))
    try:
        await jobs_run(ctx, jobs, stop)
    finally:
        ctx.close()
        await engine.dispose()
    log.info("worker: stopped")


@contextlib.asynccontextmanager
async def jobs_in_app(app: AppContext) -> AsyncIterator[None]:
    """With ``worker_in_app`` (set by ``urna demo``), the jobs run as a task of the app
    process for its lifetime: the demo's one process also delivers the codes."""
    if not app.settings.worker_in_app:
        yield
        return
    ctx = job_context(app.settings, app.engine)
    stop = asyncio.Event()
    task = asyncio.create_task(jobs_run(ctx, jobs_default(app.settings), stop))
    try:
        yield
    finally:
        stop.set()
        await task
        ctx.close()
