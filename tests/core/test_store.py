"""Every key Urna writes to Redis starts with the installation's prefix
(``URNA_REDIS_PREFIX``): sessions, the visit counter and the rate-limit counters alike."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis

from tests.conftest import REDIS_URL, make_settings, redis_keys_delete
from tests.factories.staff import asgi_client, csrf_of, random_ip, unique_email
from urna.core.store import RedisStore
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


async def test_a_connection_redis_dropped_is_replaced_and_a_broken_one_never_kept(redis_run_keys):
    """The store keeps its own connections: one Redis closed meanwhile (a restart, an idle
    timeout) costs the command a retry on a new one, not an error; a command cancelled
    between its request and the reply leaves no connection with a reply still unread."""
    store = RedisStore(REDIS_URL, prefix=f"{redis_run_keys}conn-{uuid.uuid4().hex[:8]}:")
    try:
        await store.set("k", b"v", ttl=60)
        (kept,) = store._idle
        kept._writer.transport.abort()  # the server side is gone
        assert await store.get_touch("k", ttl=60) == b"v"
        assert kept not in store._idle or kept.is_connected

        async def slow_reply(*_args, **_kwargs):
            await asyncio.sleep(3600)

        (conn,) = store._idle
        conn.read_response = slow_reply
        task = asyncio.create_task(store.get("k"))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert store._idle == [] and not conn.is_connected
        assert await store.incr("n") == 1 and await store.get("k") == b"v"
    finally:
        await store.close()
