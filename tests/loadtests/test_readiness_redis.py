"""A slow Redis named as the limit of a real run: a live server whose Redis answers through
a proxy that holds every reply 150 ms (a remote or overloaded Redis) — no CPU on this
machine is busy, only the app's session-store commands (its ``/metrics``) show it."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from tests.conftest import REDIS_URL
from tests.loadtests.test_readiness_limits import (
    ROOT,
    _edition_page_requests,
    _env,
    readiness_target,
    stage_command,
)

REPLY_DELAY_SECONDS = 0.15


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float):
    try:
        while data := await reader.read(65536):
            if delay:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@contextmanager
def slow_redis(delay: float) -> Iterator[str]:
    """A Redis URL whose replies come ``delay`` seconds late: a proxy to the tests' Redis,
    on its own event loop in a thread."""
    upstream = urlsplit(REDIS_URL)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        up_reader, up_writer = await asyncio.open_connection(upstream.hostname, upstream.port)
        await asyncio.gather(_relay(reader, up_writer, 0.0), _relay(up_reader, writer, delay))

    async def stop() -> None:
        server.close()
        relays = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in relays:
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(asyncio.start_server(connection, "127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        port = server.sockets[0].getsockname()[1]
        yield upstream._replace(netloc=f"127.0.0.1:{port}").geturl()
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def test_the_proxy_delays_every_reply():
    import redis

    with slow_redis(REPLY_DELAY_SECONDS) as url:
        client = redis.Redis.from_url(url)
        client.ping()  # connected (its handshake delayed too)
        started = time.monotonic()
        client.ping()
        assert time.monotonic() - started >= REPLY_DELAY_SECONDS
        client.close()


@pytest.mark.postgres_only
def test_a_slow_redis_is_named_as_the_limit(tmp_path, monkeypatch):
    with (
        slow_redis(REPLY_DELAY_SECONDS) as redis_url,
        readiness_target(tmp_path, monkeypatch, redis_url=redis_url, db_pool_size=8) as server,
    ):
        edition = server.edition_create()
        before = _edition_page_requests(server.base_url)
        command = stage_command(server, tmp_path, edition.slug, seconds=20, p95_ms=100)
        run = subprocess.run(
            command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300
        )
        assert _edition_page_requests(server.base_url) > before  # the stage reached the app
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    fails = next(line for line in out.splitlines() if line.startswith("Fails at 1×"))
    assert "Redis is the limit: " in fails and "session-store commands took > 0.1 s" in fails, out
    assert "ograniczeniem jest Redis: poleceń magazynu sesji dłuższych niż 0,1 s" in out
    assert "— equal." in out  # every acknowledged cast is still a ballot
