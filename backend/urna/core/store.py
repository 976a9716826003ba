"""Key-value store for sessions, counters and rate limits: Redis, or in-process when none.

The embedded store serves ``urna demo`` on a bare machine (one process). Anything that
must survive lives in the database, never only here.

Every key Urna writes to Redis starts with one prefix (``URNA_REDIS_PREFIX``, default
``urna:``): several installations, or test runs, can share one Redis without meeting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol

from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from urna.core.metrics import SESSION_STORE


class Store(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def get_touch(self, key: str, *, ttl: int) -> bytes | None: ...
    async def set(self, key: str, value: bytes, *, ttl: int) -> None: ...
    async def touch(self, key: str, *, ttl: int) -> None: ...
    async def delete(self, key: str) -> None: ...
    async def incr(self, key: str) -> int: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


def redis_options() -> dict[str, Any]:
    """Every Redis client of the app: short timeouts (an outage answers 503 at once, it
    does not hang the request), and a command that meets a connection Redis dropped
    (restarted) is retried once on a new one, so the app recovers by itself as soon as
    Redis is back instead of failing on stale pooled connections."""
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return {
        "health_check_interval": 30,
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "retry": Retry(NoBackoff(), 1),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError, ConnectionError],
    }


class RedisStore:
    """Sessions' and counters' commands, sent in batches on redis-py connections kept by
    the store itself.

    Every request runs one of these (the session's ``GETEX``), and under load a worker
    has many requests in flight: the commands they issue in one turn of the event loop
    leave in **one write** on one connection (pipelining: the replies come back in order),
    where one write per command cost the kernel's loopback send each time — the larger
    part of a command's CPU. A command joins the batch of its turn and waits for its
    reply; the batch is sent by a task of its own, so a caller cancelled meanwhile leaves
    the connection with no reply unread. Each batch takes an idle connection (redis-py's
    ``Connection``: packing, hiredis parser, periodic health check) or a new one and puts
    it back after every reply was read. As ``redis_options`` promises, a batch that meets
    a connection Redis dropped is retried once on a new one (the commands not yet
    answered); a new connection failing means Redis is down: ``RedisError`` (503). One
    timeout per batch (``asyncio.timeout``), not redis-py's per write and per read.
    ``ping`` and the rate limits use the client."""

    def __init__(self, url: str, *, prefix: str) -> None:
        from redis.asyncio import Redis

        self.prefix = prefix
        self._redis = Redis.from_url(url, **redis_options())
        self._idle: list[Any] = []  # connections between batches, last used first
        self._timeout = redis_options()["socket_timeout"]
        self._batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]] = []
        self._running: set[asyncio.Task[None]] = set()

    def key(self, key: str) -> str:
        """The key as stored in Redis."""
        return self.prefix + key

    def _connection(self) -> Any:
        """An idle connection, or a new one (its socket timeout is the batch's)."""
        if self._idle:
            return self._idle.pop()
        pool = self._redis.connection_pool
        return pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": None})

    async def _command(self, *args: Any) -> Any:
        """Join this turn's batch and wait for the reply, timed as the caller waits for it
        (``urna_session_store_seconds``; a failure too: a timeout is the slowest of all)
        — Redis as the app sees it, for a remote one whose CPU nobody else sees."""
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        reply = loop.create_future()
        self._batch.append((args, reply))
        if len(self._batch) == 1:  # the turn's first command: send them all next turn
            loop.call_soon(self._send_batch)
        try:
            return await reply
        finally:
            SESSION_STORE.observe(time.perf_counter() - started)

    def _send_batch(self) -> None:
        batch, self._batch = self._batch, []
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any]]]) -> None:
        for attempt in (1, 2):
            reused = bool(self._idle)
            conn = self._connection()
            try:
                await self._exchange(conn, batch)
            except (*RETRIED_ERRORS, TimeoutError) as error:
                await conn.disconnect(nowait=True)
                batch = [(args, reply) for args, reply in batch if not reply.done()]
                if attempt == 2 or not reused:  # a new connection failed: Redis is down
                    _fail(batch, _store_error(error))
                    return
                continue
            except BaseException as error:  # the store closed, or a bug: nobody waits forever
                await conn.disconnect(nowait=True)
                _fail(batch, error)
                if not isinstance(error, Exception):
                    raise
                return
            self._idle.append(conn)
            return

    async def _exchange(self, conn: Any, batch: list) -> None:
        """Send the batch in one write and hand each caller its reply, in order. An error
        reply (a ``ResponseError``) is its command's alone: the rest are still read."""
        async with asyncio.timeout(self._timeout):
            if not conn.is_connected:
                await conn.connect()
            await conn.send_packed_command(conn.pack_commands([args for args, _ in batch]))
            for _args, reply in batch:
                try:
                    value = await conn.read_response()
                except ResponseError as error:
                    if not reply.done():
                        reply.set_exception(error)
                    continue
                if not reply.done():  # its caller may have been cancelled meanwhile
                    reply.set_result(value)

    async def get(self, key: str) -> bytes | None:
        return await self._command("GET", self.key(key))

    async def get_touch(self, key: str, *, ttl: int) -> bytes | None:
        """The value, its expiry pushed ``ttl`` seconds ahead: one round trip (GETEX)."""
        return await self._command("GETEX", self.key(key), "EX", ttl)

    async def set(self, key: str, value: bytes, *, ttl: int) -> None:
        await self._command("SET", self.key(key), value, "EX", ttl)

    async def touch(self, key: str, *, ttl: int) -> None:
        await self._command("EXPIRE", self.key(key), ttl)

    async def delete(self, key: str) -> None:
        await self._command("DEL", self.key(key))

    async def incr(self, key: str) -> int:
        return int(await self._command("INCR", self.key(key)))

    async def ping(self) -> bool:
        """Whether Redis answers (``/readyz``)."""
        return bool(await self._redis.ping())

    async def close(self) -> None:
        if self._running:  # batches in flight finish (each within its timeout)
            await asyncio.gather(*self._running, return_exceptions=True)
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.disconnect()
        await self._redis.aclose()


class MemoryStore:
    """In-process store with expiry; correct for a single process only (and so needs no
    prefix: nothing else sees its keys). ``clock`` measures expiry (tests move it
    forward to pass an idle timeout without waiting)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self.clock = clock

    def _live(self, key: str) -> tuple[bytes, float | None] | None:
        item = self._data.get(key)
        if item is not None and item[1] is not None and item[1] < self.clock():
            del self._data[key]
            return None
        return item

    async def get(self, key: str) -> bytes | None:
        item = self._live(key)
        return item[0] if item else None

    async def get_touch(self, key: str, *, ttl: int) -> bytes | None:
        item = self._live(key)
        if item is None:
            return None
        self._data[key] = (item[0], self.clock() + ttl)
        return item[0]

    async def set(self, key: str, value: bytes, *, ttl: int) -> None:
        self._data[key] = (value, self.clock() + ttl)

    async def touch(self, key: str, *, ttl: int) -> None:
        item = self._live(key)
        if item:
            self._data[key] = (item[0], self.clock() + ttl)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str) -> int:
        item = self._live(key)
        value = int(item[0]) + 1 if item else 1
        self._data[key] = (str(value).encode(), item[1] if item else None)
        return value

    async def ping(self) -> bool:
        return True  # in this process: there whenever the process is

    async def close(self) -> None:
        self._data.clear()


def create_store(redis_url: str | None, *, prefix: str) -> Store:
    return RedisStore(redis_url, prefix=prefix) if redis_url else MemoryStore()


def create_limits_storage(redis_url: str | None, *, prefix: str) -> Storage:
    """Rate-limit counters (login throttling, one-time codes) under ``<prefix>limits``."""
    if redis_url:
        return RedisStorage(
            "async+" + redis_url,
            implementation="redispy",
            key_prefix=prefix + "limits",
            **redis_options(),
        )
    return MemoryStorage()


def _fail(batch: list, error: BaseException) -> None:
    """Every caller still waiting gets the batch's failure (cancelled with it)."""
    for _args, reply in batch:
        if reply.done():
            continue
        if isinstance(error, asyncio.CancelledError):
            reply.cancel()
        else:
            reply.set_exception(error)


def _store_error(error: BaseException) -> BaseException:
    """A timeout as redis-py names it (a ``RedisError``, like its other failures)."""
    if isinstance(error, TimeoutError) and not isinstance(error, RedisError):
        return RedisTimeoutError("Timeout talking to Redis")
    return error


# A kept connection that meets these is replaced once (``redis_options``'s retry).
RETRIED_ERRORS = (RedisConnectionError, RedisTimeoutError, ConnectionError)
# What a store that cannot be reached raises (Redis down, refused, timed out).
STORE_ERRORS: tuple[type[Exception], ...] = (RedisError, ConnectionError, TimeoutError)
