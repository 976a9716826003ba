"""PostgreSQL down: residents and staff get a 503 page (Polish first) with Retry-After,
never a 500, and the process keeps answering its liveness check."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager

from tests.conftest import make_settings
from urna.main import create_app

NOWHERE = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1


async def test_an_unreachable_database_answers_503_pages_with_retry_after(database_url):
    app = create_app(make_settings(NOWHERE))
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            answers = [await http.get(path) for path in ("/", "/e/any-edition")]
            login = await http.get("/staff/login")  # reads nothing from the database
            english = await http.get("/e/any-edition", headers={"accept-language": "en"})
            live = await http.get("/healthz")
    for response in answers:
        assert response.status_code == 503, (response.request.url, response.text[:500])
        assert response.headers["Retry-After"] == "30"
        assert response.headers["content-security-policy"]
        assert "Chwilowa niedostępność" in response.text
        assert "Nic z tego, co już zostało wysłane, nie przepadło" in response.text
    assert english.status_code == 503
    assert live.status_code == 200 and login.status_code == 200


async def test_a_pool_with_no_free_connection_answers_503_not_500(database_url):
    """Every pooled connection busy for longer than the pool's timeout is overload, not a
    bug: the resident gets the 503 page with Retry-After (the load test saw a 500 on the
    receipt page after a stored cast)."""
    app = create_app(make_settings(database_url, db_pool_size=1))
    async with LifespanManager(app):
        pool = app.state.ctx.engine.pool
        pool._timeout = 0.2  # seconds a request waits for a connection (30 in production)
        held = [await app.state.ctx.engine.connect() for _ in range(1 + pool._max_overflow)]
        try:
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                response = await http.get("/e/any-edition")
        finally:
            for connection in held:
                await connection.close()
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"] == "30"
    assert "Chwilowa niedostępność" in response.text
