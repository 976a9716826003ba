"""What a request waits for besides its own work, in /metrics: the time to get a pooled
database connection and the checkouts refused after the pool's timeout (a starved pool
leaves the CPU idle, so only these show it), and how late the event loop runs callbacks.
The readiness load test reads them to name its limit."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from urna.core.db import create_engine
from urna.core.metrics import POOL_CONNECTIONS, POOL_TIMEOUTS, POOL_WAIT


def _wait_count_over(seconds: float) -> tuple[float, float]:
    """(checkouts that waited longer than ``seconds``, pool timeouts) so far."""
    samples = {
        (s.name, s.labels.get("le")): s.value for m in POOL_WAIT.collect() for s in m.samples
    }
    count = samples[("urna_db_pool_wait_seconds_count", None)]
    under = samples[("urna_db_pool_wait_seconds_bucket", str(float(seconds)))]
    timeouts = next(s.value for m in POOL_TIMEOUTS.collect() for s in m.samples
                    if s.name == "urna_db_pool_timeouts_total")  # fmt: skip
    return count - under, timeouts


@pytest.mark.postgres_only
async def test_a_checkout_that_waits_for_a_busy_pool_is_timed_and_a_timeout_counted(
    database_url,
):
    engine = create_engine(database_url, pool_size=1)  # 1 + 2 overflow
    assert POOL_CONNECTIONS.labels("size")._value.get() == 1
    assert POOL_CONNECTIONS.labels("overflow")._value.get() == 2
    slow_before, timeouts_before = _wait_count_over(0.25)
    try:
        async with AsyncExitStack() as held:
            for _ in range(3):
                await held.enter_async_context(engine.connect())

            async def fourth():
                async with engine.connect():
                    pass

            waiting = asyncio.create_task(fourth())
            await asyncio.sleep(0.4)  # the fourth waits for one of the three
            assert not waiting.done()
        await asyncio.wait_for(waiting, 5)
        slow, timeouts = _wait_count_over(0.25)
        assert slow == slow_before + 1 and timeouts == timeouts_before

        engine.pool._timeout = 0.1  # the pool's timeout, short: give up instead of waiting
        async with AsyncExitStack() as held:
            for _ in range(3):
                await held.enter_async_context(engine.connect())
            with pytest.raises(PoolTimeout):
                async with engine.connect():
                    pass
        assert _wait_count_over(0.25)[1] == timeouts_before + 1
    finally:
        await engine.dispose()


async def test_metrics_show_the_pool_wait_and_the_event_loop_lag(app):
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await http.get("/e/no-such-edition-for-lag")
        await asyncio.sleep(0)  # the lag probe runs on the loop's next turn
        text = (await http.get("/metrics")).text
    assert "urna_db_pool_wait_seconds_bucket" in text
    assert "urna_db_pool_timeouts_total" in text
    assert "urna_event_loop_lag_seconds_count" in text
    assert "urna_workers" in text
