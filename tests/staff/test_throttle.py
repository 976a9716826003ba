"""Login throttling: per account and per IP address, delays that grow with the failures,
never a permanent lockout, every failure logged."""

from __future__ import annotations

import pytest
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import func, select

from tests.conftest import make_settings
from tests.factories.staff import (
    asgi_client,
    random_ip,
    staff_login,
    staff_user_create,
    totp_code,
    unique_email,
)
from tests.wait import wait_until
from urna.core.audit import AuditEvent
from urna.staff import login

pytestmark = pytest.mark.flow

THROTTLED_PL = "Zbyt wiele nieudanych logowań. Spróbuj ponownie za"


async def _failures(app, user_id: int) -> int:
    async with app.state.ctx.db() as session:
        return await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == "staff.login_failed", AuditEvent.target == f"staff:{user_id}"
            )
        )


async def test_an_account_is_throttled_after_five_failures_even_with_the_right_password(app):
    user, password, secret = await staff_user_create(app, "admin")
    async with asgi_client(app, ip=random_ip()) as http:
        for _ in range(5):
            response = await staff_login(http, user.email, "wrong password!", secret)
            assert response.status_code == 400
        response = await staff_login(http, user.email, password, secret)
    assert response.status_code == 429 and THROTTLED_PL in response.text
    assert await _failures(app, user.id) == 5  # every failure is in the audit log
    # the account is throttled from any address, another account is not
    other, other_password, other_secret = await staff_user_create(app, "admin")
    async with asgi_client(app, ip=random_ip()) as http:
        assert (await staff_login(http, user.email, password, secret)).status_code == 429
        assert (
            await staff_login(http, other.email, other_password, other_secret)
        ).status_code == 303


async def test_wrong_codes_count_too(app):
    user, password, secret = await staff_user_create(app, "verifier", enrolled=True)
    async with asgi_client(app, ip=random_ip()) as http:
        page = await staff_login(http, user.email, password, secret, step_offset=-10)
        assert page.status_code == 400  # a code from five minutes ago
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        for _ in range(4):
            page = await http.post(
                "/staff/login/code", data={"code": "000000", "csrf_token": token}
            )
            assert page.status_code == 400
        right = {"code": totp_code(secret), "csrf_token": token}
        page = await http.post("/staff/login/code", data=right)
        assert page.status_code == 429 and THROTTLED_PL in page.text
    assert await _failures(app, user.id) == 5


async def test_one_address_trying_many_accounts_is_throttled(app):
    user, password, secret = await staff_user_create(app, "netadmin")
    ip_limit = int(app.state.ctx.settings.staff_login_ip_limits.split("/")[0])
    async with asgi_client(app, ip=random_ip()) as http:
        for attempt in range(ip_limit):  # spraying: a new (unknown) account each time
            response = await staff_login(http, unique_email(f"guess{attempt}"), "password1", "")
            assert response.status_code == 400
        blocked = await staff_login(http, user.email, password, secret)
    assert blocked.status_code == 429 and THROTTLED_PL in blocked.text
    async with asgi_client(app, ip=random_ip()) as http:  # the account itself is fine
        assert (await staff_login(http, user.email, password, secret)).status_code == 303


async def test_delays_grow_with_failures_and_always_end():
    settings = make_settings(
        "sqlite+aiosqlite:///unused.db",
        staff_login_account_limits="2/2 seconds;4/6 seconds",
        staff_login_ip_limits="100/minute",
    )
    throttle = login.LoginThrottle(MovingWindowRateLimiter(MemoryStorage()), settings)
    key, ip = login.account_key("someone@example.org"), "203.0.113.1"

    async def free() -> bool:
        return await throttle.wait_seconds(key, ip) == 0

    assert await free()
    for _ in range(2):
        await throttle.failed(key, ip)
    first_wait = await throttle.wait_seconds(key, ip)
    assert 0 < first_wait <= 2
    await wait_until(free, timeout=first_wait + 1, what="the short window sliding past")
    for _ in range(2):
        await throttle.failed(key, ip)
    second_wait = await throttle.wait_seconds(key, ip)
    assert second_wait > first_wait  # the longer tier now holds: the delay grew
    await wait_until(free, timeout=8, what="the end of the longer delay")  # no lockout
    await throttle.failed(key, ip)
    await throttle.succeeded(key)  # a successful login clears the account's failures
    assert await free()
