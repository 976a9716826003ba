"""A real PostgreSQL outage while the app serves: pages that need no database go on, the
logs wait in the buffer and are written when the database is back."""

from __future__ import annotations

import asyncpg
import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import PG_ADMIN_URL, fresh_database, make_settings
from tests.requestlog.conftest import all_rows, client_for
from tests.wait import wait_until
from urna.main import create_app

pytestmark = pytest.mark.postgres_only


async def test_a_real_database_outage_while_serving(tmp_path):
    url, drop = await fresh_database(tmp_path)
    name = url.rsplit("/", 1)[1]
    application = create_app(make_settings(url, request_log_interval_seconds=0.05))
    admin = await asyncpg.connect(PG_ADMIN_URL)
    try:
        async with LifespanManager(application):
            writer = application.state.request_log
            async with client_for(application) as http:
                await http.get("/healthz")
                await writer.flush()
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    name,
                )
                during = []
                for _ in range(20):
                    response = await http.get("/static/css/urna.css")
                    assert response.status_code == 200
                    during.append(response.headers["x-request-id"])
                page = await http.get("/")  # needs the database: the 503 page, logged too
                assert page.status_code == 503
                during.append(page.headers["x-request-id"])
                # (``pending`` is no measure here: a retry in flight holds its batch)
                await wait_until(lambda: writer.failures, what="a write failing in the outage")
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                # the writer retries with backoff, then catches up: all of them, the first too
                caught_up = 1 + len(during)
                await wait_until(lambda: writer.written == caught_up, what="the writer catching up")
                assert writer.dropped == 0 and writer.pending == 0
            rows = {row.request_id: row for row in await all_rows(application)}
            assert set(during) <= set(rows)
            assert rows[during[-1]].status == 503
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        await drop()
