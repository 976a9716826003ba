"""Every key Urna writes to Redis starts with the installation's prefix
(``URNA_REDIS_PREFIX``): sessions, the visit counter and the rate-limit counters alike."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from tests.conftest import REDIS_URL, make_settings, redis_keys_delete
from tests.factories.staff import asgi_client, csrf_of, random_ip, unique_email
from urna.core.store import STORE_ERRORS, RedisStore
from urna.main import create_app

pytestmark = pytest.mark.postgres_only  # the embedded store is in the process: no prefix


async def test_sessions_counters_and_limits_live_under_the_prefix(database_url, redis_run_keys):
    prefix = f"{redis_run_keys}own-{uuid.uuid4().hex[:8]}:"
    app = create_app(make_settings(database_url, redis_prefix=prefix))
    async with LifespanManager(app):
        async with asgi_client(app) as resident:
            await resident.get("/my-data")  # a page with a form: the session's cookie
            await resident.get("/my-data")  # sent back: the session is stored, a visit
            resident_sid = resident.cookies.get("urna_sid")
        async with asgi_client(app, ip=random_ip()) as staff:
            page = (await staff.get("/staff/login")).text
            failed = await staff.post(
                "/staff/login",
                data={"email": unique_email(), "password": "wrong", "csrf_token": csrf_of(page)},
            )
            staff_sid = staff.cookies.get("urna_staff")
    assert failed.status_code == 400
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = {key.decode() async for key in redis.scan_iter(match=prefix + "*")}
        assert prefix + "sess:" + resident_sid in keys
        assert prefix + "staff:" + staff_sid in keys
        assert await redis.get(prefix + "visits") == b"1"
        assert any(key.startswith(prefix + "limits") for key in keys)  # the failed login
        for bare in ("sess:" + resident_sid, "staff:" + staff_sid, "urna:sess:" + resident_sid):
            assert await redis.exists(bare) == 0
    finally:
        await redis.aclose()
    assert await redis_keys_delete(REDIS_URL, prefix) == len(keys)


async def test_a_connection_redis_dropped_is_replaced_and_a_cancelled_caller_breaks_nothing(
    redis_run_keys,
):
    """The store keeps its own connections: one Redis closed meanwhile (a restart, an idle
    timeout) costs the batch a retry on a new one, not an error; a caller cancelled while
    its command is on the way leaves the connection in step (its reply is read and
    dropped, the next command gets its own)."""
    store = RedisStore(REDIS_URL, prefix=f"{redis_run_keys}conn-{uuid.uuid4().hex[:8]}:")
    try:
        await store.set("k", b"v", ttl=60)
        (kept,) = store._idle
        kept._writer.transport.abort()  # the server side is gone
        assert await store.get_touch("k", ttl=60) == b"v"
        assert kept not in store._idle or kept.is_connected

        task = asyncio.create_task(store.incr("n"))
        await asyncio.sleep(0)  # the command has joined this turn's batch
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await store.get("k") == b"v"
        assert await store.incr("n") == 2  # the cancelled INCR was still carried out
        assert store._idle and all(conn.is_connected for conn in store._idle)
    finally:
        await store.close()


async def test_the_commands_of_one_turn_leave_in_one_write_and_each_gets_its_reply(
    redis_run_keys,
):
    """Under load a worker's requests issue their commands together: they are sent in one
    batch (one write), and each caller gets its own reply — an error reply too, without
    disturbing the others."""
    store = RedisStore(REDIS_URL, prefix=f"{redis_run_keys}batch-{uuid.uuid4().hex[:8]}:")
    writes: list[int] = []
    exchange = store._exchange

    async def counted(conn, batch):
        writes.append(len(batch))
        await exchange(conn, batch)

    store._exchange = counted
    try:
        await asyncio.gather(*(store.set(f"k{i}", str(i).encode(), ttl=60) for i in range(20)))
        assert writes == [20]
        writes.clear()
        replies = await asyncio.gather(
            *(store.get_touch(f"k{i}", ttl=60) for i in range(20)),
            store.incr("k3"),  # "3" → 4
            store.incr("counter"),
            store.get("absent"),
            return_exceptions=True,
        )
        assert writes == [23]
        assert replies[:20] == [str(i).encode() for i in range(20)]
        assert replies[20:] == [4, 1, None]
        await store.set("text", b"abc", ttl=60)
        refused, after = await asyncio.gather(
            store.incr("text"), store.get("text"), return_exceptions=True
        )
        assert isinstance(refused, ResponseError) and after == b"abc"
        assert len(store._idle) == 1  # one connection served every batch
    finally:
        await store.close()


async def test_redis_down_fails_every_command_of_the_batch():
    """Nothing listens: each caller of the batch gets a store error (a 503 upstream), none
    waits for ever."""
    store = RedisStore("redis://127.0.0.1:1/0", prefix="down:")
    try:
        results = await asyncio.wait_for(
            asyncio.gather(store.get("a"), store.incr("b"), return_exceptions=True), 10
        )
        assert all(isinstance(r, STORE_ERRORS) for r in results), results
        assert store._idle == []
    finally:
        await store.close()
