"""The outbox is delivered by the worker, never by the app: each message is claimed by
one worker, sent once, marked sent; a stale claim or a refused send is tried again."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import timedelta

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select, update

from tests.worker.conftest import messages_enqueue, process_start, worker_settings
from urna.core.db import transaction, utcnow
from urna.main import create_app
from urna.notify import repository
from urna.notify import service as notify
from urna.notify.models import OutboxMessage
from urna.notify.providers import HttpSmsProvider

CLAIM_TIMEOUT = timedelta(minutes=5)


class Recorder:
    def __init__(self, *, failing: bool = False) -> None:
        self.sent: list[str] = []
        self.failing = failing

    async def send(self, *, channel: str, recipient: str, text: str) -> None:
        if self.failing:
            raise ConnectionError("gateway down")
        self.sent.append(recipient)


async def outbox_rows(ctx) -> list[OutboxMessage]:
    async with ctx.db() as session:
        return list(
            (await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars()
        )


async def deliver(ctx, provider) -> tuple[int, int]:
    return await notify.outbox_deliver(
        db=ctx.db, crypto=ctx.crypto, provider=provider, claim_timeout=CLAIM_TIMEOUT
    )


@pytest.mark.flow  # the embedded demo delivers through the same claim
async def test_a_message_is_sent_then_marked_sent_with_its_payload_wiped(job_ctx):
    (to,) = await messages_enqueue(job_ctx, 1)
    recorder = Recorder()
    assert await deliver(job_ctx, recorder) == (1, 0)
    assert await deliver(job_ctx, recorder) == (0, 0)  # sent once
    assert recorder.sent == [to]
    (row,) = await outbox_rows(job_ctx)
    assert row.sent_at is not None and row.payload_enc is None
    assert (row.attempts, row.claimed_at) == (1, None)


@pytest.mark.flow
async def test_a_claim_older_than_the_timeout_is_taken_again(job_ctx):
    """A worker that died between claim and mark leaves its claim: a recent one is still
    its own, a stale one is sent by the next worker."""
    stale, fresh = await messages_enqueue(job_ctx, 2)
    now = utcnow()
    async with transaction(job_ctx.db) as session:
        for to, claimed_at in (
            (stale, now - CLAIM_TIMEOUT - timedelta(seconds=1)),
            (fresh, now - timedelta(minutes=1)),
        ):
            row = (await outbox_rows(job_ctx))[[stale, fresh].index(to)]
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(claimed_at=claimed_at)
            )
    recorder = Recorder()
    assert await deliver(job_ctx, recorder) == (1, 0)
    assert recorder.sent == [stale]
    stale_row, fresh_row = await outbox_rows(job_ctx)
    assert stale_row.sent_at is not None and fresh_row.sent_at is None


@pytest.mark.flow
async def test_a_refused_send_stays_for_the_next_round(job_ctx):
    (to,) = await messages_enqueue(job_ctx, 1)
    assert await deliver(job_ctx, Recorder(failing=True)) == (0, 1)
    (row,) = await outbox_rows(job_ctx)
    assert row.sent_at is None and row.payload_enc is not None  # nothing lost
    assert (row.attempts, row.claimed_at, row.last_error) == (1, None, "ConnectionError")
    recorder = Recorder()
    assert await deliver(job_ctx, recorder) == (1, 0)
    assert recorder.sent == [to]


async def test_the_http_gateway_refusing_a_message_leaves_it_unsent(job_ctx, gateway):
    refused, accepted = await messages_enqueue(job_ctx, 2)
    gateway.failing.add(refused)
    provider = HttpSmsProvider(gateway.url, None)
    assert await deliver(job_ctx, provider) == (1, 1)
    assert gateway.recipients() == [accepted]
    refused_row, accepted_row = await outbox_rows(job_ctx)
    assert refused_row.sent_at is None and refused_row.last_error == "HTTPStatusError"
    assert accepted_row.sent_at is not None


@pytest.mark.postgres_only
async def test_a_claim_in_progress_is_skipped_never_waited_for_or_shared(job_ctx):
    await messages_enqueue(job_ctx, 4)
    now = utcnow()
    window = {"now": now, "stale_before": now - CLAIM_TIMEOUT}
    async with transaction(job_ctx.db) as first:
        held = await repository.messages_claim(first, **window, limit=2)
        async with transaction(job_ctx.db) as second:  # while the first has not committed
            taken = await asyncio.wait_for(repository.messages_claim(second, **window, limit=4), 5)
    assert len(held) == len(taken) == 2
    assert {message.id for message in held}.isdisjoint(message.id for message in taken)


@pytest.mark.postgres_only
async def test_two_processes_racing_send_each_message_once(job_ctx, gateway, tmp_path):
    """Two processes claim from the same outbox at the same moment, without the job lock:
    SKIP LOCKED gives each message to one of them."""
    recipients = await messages_enqueue(job_ctx, 120)
    gateway.delay = 0.02
    settings = worker_settings(
        job_ctx.settings.database_url, notify_provider="http", sms_http_url=gateway.url
    )
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    racers = [
        process_start(settings, tmp_path, "-m", "tests.worker.procs", "deliver", str(barrier), "2")
        for _ in range(2)
    ]
    codes = [await asyncio.to_thread(racer.process.wait, 120) for racer in racers]
    assert codes == [0, 0], [racer.output() for racer in racers]
    counts = [int(racer.output().split()[-1]) for racer in racers]
    assert sum(counts) == 120 and min(counts) > 0, counts  # both took part
    assert Counter(gateway.recipients()) == Counter(recipients)  # each exactly once
    rows = await outbox_rows(job_ctx)
    assert all(row.sent_at is not None for row in rows)
    # a second attempt only after a recorded failure (a gateway call that timed out on a
    # loaded machine), never because both processes held the message
    assert all(row.attempts == 1 or row.last_error for row in rows), [
        (row.attempts, row.last_error) for row in rows if row.attempts != 1
    ]


@pytest.mark.postgres_only
async def test_two_urna_workers_deliver_each_message_once(job_ctx, gateway, tmp_path):
    recipients = await messages_enqueue(job_ctx, 60)
    gateway.delay = 0.01
    settings = worker_settings(
        job_ctx.settings.database_url, notify_provider="http", sms_http_url=gateway.url
    )
    workers = [process_start(settings, tmp_path, "-m", "urna.cli", "worker") for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        while any(row.sent_at is None for row in await outbox_rows(job_ctx)):
            assert time.monotonic() < deadline, [worker.output() for worker in workers]
            await asyncio.sleep(0.1)
    finally:
        codes = [worker.stop() for worker in workers]
    assert codes == [0, 0]
    assert Counter(gateway.recipients()) == Counter(recipients)
    assert "outbox: " in "".join(worker.output() for worker in workers)  # it says what it did


async def test_the_app_process_no_longer_delivers(job_ctx):
    """With a provider that would send (console), a message written while no worker runs
    stays unsent: delivery left the app processes."""
    app = create_app(worker_settings(job_ctx.settings.database_url, notify_provider="console"))
    async with LifespanManager(app):
        await messages_enqueue(job_ctx, 1)
        await asyncio.sleep(2.0)  # the old in-app loop sent every second
    (row,) = await outbox_rows(job_ctx)
    assert row.sent_at is None and row.payload_enc is not None


@pytest.mark.flow
async def test_the_demo_app_runs_the_jobs_inside_its_process(job_ctx):
    """`urna demo` (worker_in_app): its one process delivers the codes it prints."""
    settings = worker_settings(
        job_ctx.settings.database_url, notify_provider="console", worker_in_app=True
    )
    app = create_app(settings)
    async with LifespanManager(app):
        await messages_enqueue(job_ctx, 1)
        deadline = time.monotonic() + 30
        while (await outbox_rows(job_ctx))[0].sent_at is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
