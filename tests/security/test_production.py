"""The checks that need the production set-up itself (PostgreSQL, Redis), so they are not
part of the embedded run: production settings over HTTPS, and the idle timeout as Redis
keeps it (the key's own expiry, on Redis's clock: read back as its TTL)."""

from __future__ import annotations

import pytest
from asgi_lifespan import LifespanManager

from tests.conftest import BACKEND, make_settings, random_key
from tests.security.checklist import header_faults, plain_client, staff_login_client
from urna.main import create_app

pytestmark = pytest.mark.postgres_only


async def test_production_settings_over_https_send_hsts_and_secure_cookies(database_url):
    settings = make_settings(
        database_url,
        environment="production",
        notify_provider="http",
        sms_http_url="http://127.0.0.1:9/sms",
        sms_http_token=random_key(),
    )
    app = create_app(settings)
    async with LifespanManager(app):
        async with plain_client(app) as http:  # the proxy terminates TLS
            response = await http.get(
                "/my-data", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
            )
    assert response.status_code == 200
    assert header_faults(response, template="/my-data", https=True) == []
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-urna_sid=") and "; Secure" in cookie


async def test_on_redis_both_sessions_expire_after_their_idle_time(app):
    assert BACKEND == "postgres"
    store, settings = app.state.ctx.store, app.state.ctx.settings
    async with await staff_login_client(app) as staff:
        await staff.get("/staff")
        staff_ttl = await store._redis.ttl(store.key("staff:" + staff.cookies.get("urna_staff")))
    async with plain_client(app) as resident:
        await resident.get("/my-data")  # a cookie only: stored when it comes back
        await resident.get("/my-data")
        ttl = await store._redis.ttl(store.key("sess:" + resident.cookies.get("urna_sid")))
    assert settings.session_idle_seconds - 5 < ttl <= settings.session_idle_seconds
    idle = settings.staff_session_idle_seconds
    assert idle - 5 < staff_ttl <= idle
