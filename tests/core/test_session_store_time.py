"""The session store's commands (``core.store.RedisStore``), timed as the app waits for
them: a slow or remote Redis
shows in /metrics (``urna_session_store_seconds``), where the readiness load test reads it
to name Redis as the limit — Redis's CPU is not visible from a remote generator."""

from __future__ import annotations

import asyncio
import secrets

import httpx

from loadtests.readiness.appmetrics import SLOW_STORE_SECONDS, parse
from urna.core.cookies import RESIDENT_COOKIE
from urna.core.metrics import SESSION_STORE


def _store_commands() -> tuple[float, float]:
    """(commands timed, of them slower than SLOW_STORE_SECONDS) so far in this process."""
    samples = {
        (s.name, s.labels.get("le")): s.value for m in SESSION_STORE.collect() for s in m.samples
    }
    count = samples[("urna_session_store_seconds_count", None)]
    return count, count - samples[("urna_session_store_seconds_bucket", str(SLOW_STORE_SECONDS))]


async def _page_with_a_session_cookie(app) -> str:
    """One page opened with a resident's session cookie (its session is read: one store
    command at least), then the /metrics answer."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    cookies = {RESIDENT_COOKIE.name: secrets.token_urlsafe(32)}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=cookies
    ) as http:
        await http.get("/e/no-such-edition-for-store-time")
        return (await http.get("/metrics")).text


async def test_a_requests_session_read_is_timed_and_exported(app):
    before, slow_before = _store_commands()
    text = await _page_with_a_session_cookie(app)
    after, slow_after = _store_commands()
    assert after >= before + 1  # get_touch, at least
    assert slow_after == slow_before  # a store at hand answers in well under 0.1 s
    snapshot = parse(text)
    assert snapshot is not None and snapshot.reading.store_commands == after
    assert 0 < snapshot.reading.store_seconds < after * SLOW_STORE_SECONDS


async def test_a_slow_store_command_is_counted_as_slow(app, monkeypatch):
    store = app.state.ctx.store
    exchange = store._exchange

    async def slow_exchange(conn, batch):
        await asyncio.sleep(SLOW_STORE_SECONDS + 0.05)  # a Redis far away, or overloaded
        await exchange(conn, batch)

    monkeypatch.setattr(store, "_exchange", slow_exchange)
    before, slow_before = _store_commands()
    text = await _page_with_a_session_cookie(app)
    after, slow_after = _store_commands()
    # every command of the page (the session's read, and the footer's visit count when
    # this process had not read it lately) waited for the slow Redis: each counted slow
    assert slow_after - slow_before == after - before >= 1
    assert parse(text).reading.slow_store == slow_after
