"""Redis down: residents get a 503 page (Polish first) with Retry-After, never a bare 500;
pages that need no session still render; the browser's cookie is left alone; and the app
recovers by itself as soon as Redis is back (sessions, rate limits, the visit counter).
A private redis-server on a free port is stopped and started: never the shared one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import make_settings
from tests.factories.editions import edition_create
from tests.factories.staff import asgi_client
from tests.factories.voting import person, post_form, reach_identity
from tests.outage.services import PrivateRedis
from urna.main import create_app

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


async def test_pages_answer_503_while_redis_is_down_and_recover_when_it_returns(
    database_url, private_redis
):
    app = create_app(make_settings(database_url, redis_url=private_redis.url))
    edition = await edition_create(app)
    async with LifespanManager(app), asgi_client(app) as resident:
        page = await reach_identity(resident, edition.slug)
        cookie = resident.cookies.get("urna_sid")
        private_redis.stop()
        during = {
            "identity": await resident.get(f"/e/{edition.slug}/vote/identity"),
            "post": await post_form(resident, f"/e/{edition.slug}/vote/identity", person(), page),
        }
        sessionless = await resident.get("/healthz")
        catalogue = await resident.get(f"/e/{edition.slug}")
        for name, response in during.items():
            assert response.status_code == 503, (name, response.text[:300])
            assert response.headers["Retry-After"] == "30"
            assert "Chwilowa niedostępność" in response.text
            assert "set-cookie" not in response.headers  # the browser keeps its session
        assert sessionless.status_code == 200
        assert catalogue.status_code == 200 and edition.name in catalogue.text
        assert "set-cookie" not in catalogue.headers
        assert resident.cookies.get("urna_sid") == cookie

        private_redis.start()  # back: the same app answers at once, on new connections
        again = await resident.get(f"/e/{edition.slug}")
        assert again.status_code == 200
        assert "Odwiedziny" in again.text or "Visits" in again.text
        # the limiter's storage is back too: a code is sent (it is rate-limited)
        identity = await resident.get(f"/e/{edition.slug}/vote/identity")
        assert identity.status_code in (200, 409)
        await reach_identity(resident, edition.slug)
        page = (await resident.get(f"/e/{edition.slug}/vote/identity")).text
        sent = await post_form(resident, f"/e/{edition.slug}/vote/identity", person(), page)
        assert sent.status_code == 303 and sent.headers["location"].endswith("/vote/code")
