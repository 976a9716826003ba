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
