"""Liveness and readiness: /healthz says the process answers; /readyz says the database
and Redis answer too, and turns 503 with Retry-After (naming what failed) when one does not."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from tests.conftest import make_settings
from urna.main import create_app


async def test_ready_when_database_and_redis_answer(client):
    assert (await client.get("/healthz")).text == "ok"
    response = await client.get("/readyz")
    assert response.status_code == 200 and response.text == "ready"


async def test_not_ready_names_what_is_down_and_says_when_to_retry(database_url):
    settings = make_settings(
        "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere",  # nothing listens on port 1
        redis_url="redis://127.0.0.1:1/0",
    )
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            live = await http.get("/healthz")
            ready = await http.get("/readyz")
    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["Retry-After"] == "5"
    assert ready.text == "not ready: database, redis"
