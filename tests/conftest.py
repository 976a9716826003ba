"""Test fixtures: a fresh database built by running the migrations, a real Redis, the app.

Backend: ``URNA_TEST_BACKEND=postgres`` (default; PostgreSQL + Redis on 127.0.0.1, URLs
from ``URNA_TEST_PG_URL`` / ``URNA_TEST_REDIS_URL``) or ``embedded`` (SQLite + in-process
store). A missing PostgreSQL or Redis fails the run loudly; nothing is skipped.

Isolation: each run has a database of its own and a Redis key prefix of its own
(``RUN_REDIS_PREFIX``; every key is deleted at the end), so parallel runs and leftovers of
earlier ones never meet. Within a run the app is shared and each test isolates itself by
its data: editions, accounts, client addresses and phone numbers unique to the test (the
factories make them so); a test that looks at something global (a counter, a table-wide
report, the audit chain's end) gets a database or a key prefix of its own.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from urna.core import migrate
from urna.core.config import Settings
from urna.main import create_app

if TYPE_CHECKING:
    from tests.live import LiveServer

BACKEND = os.environ.get("URNA_TEST_BACKEND", "postgres")
PG_ADMIN_URL = os.environ.get("URNA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("URNA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RUN_REDIS_PREFIX = f"urna-test-{uuid.uuid4().hex[:12]}:"


def pytest_collection_modifyitems(config, items):
    """On the embedded backend only the main flows run (marked ``flow``); tests that need
    PostgreSQL itself (races, privileges) are not collected there."""
    if BACKEND == "embedded":
        items[:] = [
            item
            for item in items
            if item.get_closest_marker("flow") and not item.get_closest_marker("postgres_only")
        ]


def random_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


async def _pg_create(name: str) -> str:
    try:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        raise RuntimeError(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {error}. Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect 15 main start`, or run the embedded "
            "suite with URNA_TEST_BACKEND=embedded."
        ) from error
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+asyncpg://") + "/" + name


async def _pg_drop(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _redis_check(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as error:  # noqa: BLE001
        raise RuntimeError(
            f"Redis is not reachable at {url}: {error}. Start it with `redis-server "
            "--daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no`."
        ) from error
    finally:
        await client.aclose()


async def redis_keys_delete(url: str, prefix: str) -> int:
    """Delete every key under ``prefix``; returns how many there were."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    deleted = 0
    try:
        batch = []
        async for key in client.scan_iter(match=prefix + "*", count=1000):
            batch.append(key)
            if len(batch) == 1000:
                deleted += await client.delete(*batch)
                batch.clear()
        if batch:
            deleted += await client.delete(*batch)
    finally:
        await client.aclose()
    return deleted


async def fresh_database(tmp_dir: Path) -> tuple[str, object]:
    """A new database with the schema built by the migrations; returns (url, dropper)."""
    if BACKEND == "embedded":
        url = f"sqlite+aiosqlite:///{tmp_dir / ('urna-' + uuid.uuid4().hex[:8] + '.db')}"

        async def drop() -> None:
            return None
    else:
        name = "urna_test_" + uuid.uuid4().hex[:12]
        url = await _pg_create(name)

        async def drop() -> None:
            await _pg_drop(name)

    await asyncio.to_thread(migrate.upgrade, url)
    return url, drop


def make_settings(database_url: str, **overrides) -> Settings:
    values = dict(
        environment="test",
        database_url=database_url,
        redis_url=REDIS_URL if BACKEND == "postgres" else None,
        redis_prefix=RUN_REDIS_PREFIX,
        secret_key=random_key(),
        data_key=random_key(),
        hmac_key=random_key(),
        notify_provider="outbox",
        otp_send_per_ip="1000/minute",
        otp_resend_per_contact="3/10 minutes",
        receipt_check_per_ip="1000/minute",
        edition_cache_seconds=0,
        visits_cache_seconds=0,  # tests compare the footer's count with the store's
        municipality="Gmina Testowo",
        office_phone="+48 52 000 00 00",
        office_email="bo@testowo.invalid",
        # Several apps and live servers share one PostgreSQL (max_connections 100) in a run:
        # small pools, so their idle connections never crowd each other out.
        db_pool_size=6,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session", autouse=True)
async def redis_run_keys() -> AsyncIterator[str]:
    """The run's Redis key prefix; at the end of the run its keys are deleted (the live
    server, whose workers share the prefix, is stopped before: set up later, torn down
    earlier)."""
    yield RUN_REDIS_PREFIX
    if BACKEND == "postgres":
        await redis_keys_delete(REDIS_URL, RUN_REDIS_PREFIX)


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory) -> AsyncIterator[str]:
    if BACKEND == "postgres":
        await _redis_check(REDIS_URL)
    url, drop = await fresh_database(tmp_path_factory.mktemp("db"))
    yield url
    await drop()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings):
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", follow_redirects=False
    ) as http:
        yield http


@pytest.fixture
async def db(app):
    async with app.state.ctx.db() as session:
        yield session


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """One real server (uvicorn processes, a database of its own) for the whole run: the
    browser tests and the races share it, each test with editions and accounts of its own.
    Imported here, not above: ``tests.live`` builds on this module."""
    from tests.live import WORKERS, live_server_running

    with live_server_running(tmp_path_factory.mktemp("live"), workers=WORKERS) as server:
        yield server
