"""Computing results runs the rules in a worker thread: the event loop of the staff
request's process goes on answering other requests meanwhile."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tests.factories.editions import edition_create
from tests.results.factories import ballots_add
from urna.core.db import transaction
from urna.editions.models import Edition
from urna.results import service as results

pytestmark = pytest.mark.flow


async def test_the_rules_run_off_the_event_loop(app, client, monkeypatch):
    edition = await edition_create(app)
    await ballots_add(app, edition, [["C1", "C2"], ["C3"], ["N1"], ["S1"]])
    threads: list[threading.Thread] = []
    started = threading.Event()
    original = results.allocate

    def slow_allocate(*args):  # a big city's rules: seconds of CPU, here a blocking sleep
        threads.append(threading.current_thread())
        started.set()
        time.sleep(0.5)
        return original(*args)

    monkeypatch.setattr(results, "allocate", slow_allocate)
    answered: list[float] = []

    async def compute() -> float:
        async with transaction(app.state.ctx.db) as session:
            found = await session.get(Edition, edition.id)
            await results.run_create(session=session, edition=found, actor_id=None)
        return time.monotonic()

    async def health() -> None:
        assert await asyncio.to_thread(started.wait, 10)  # once the rules have started
        response = await client.get("/healthz")
        assert response.status_code == 200
        answered.append(time.monotonic())

    done, _ = await asyncio.gather(compute(), health())
    assert threads and threads[0] is not threading.main_thread()
    assert answered[0] < done  # answered while the rules were still running
