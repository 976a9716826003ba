"""Staff accounts for tests, and HTTP clients logged in through the real login forms."""

from __future__ import annotations

import ipaddress
import re
import secrets
import time
import uuid
from typing import Any

import httpx
import pyotp
from sqlalchemy import select, update

from urna.core.audit import AuditEvent
from urna.core.db import transaction, utcnow
from urna.staff import service
from urna.staff.models import StaffUser
from urna.staff.schemas import StaffCreateIn

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HX_CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html) or HX_CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def unique_email(prefix: str = "staff") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


async def staff_user_create(
    app, role: str, *, enrolled: bool = False, **kw: Any
) -> tuple[StaffUser, str, str]:
    """A new account (unique e-mail unless given); returns (user, password, TOTP secret).

    ``enrolled=True`` marks the second factor as already set up (no QR page at login)."""
    ctx = app.state.ctx
    data = StaffCreateIn(
        email=kw.pop("email", unique_email(role)),
        name=kw.pop("name", f"Test {role}"),
        role=role,
        reason="test",
    )
    async with transaction(ctx.db) as session:
        user, password, secret = await service.staff_create(
            session=session,
            crypto=ctx.crypto,
            data=data,
            actor_id=None,
            password=kw.pop("password", None),
        )
        values = dict(kw)
        if enrolled:
            values["totp_enrolled_at"] = utcnow()
        if values:
            await session.execute(update(StaffUser).where(StaffUser.id == user.id).values(**values))
            await session.refresh(user)
    return user, password, secret


async def staff_user_get(app, user_id: int) -> StaffUser:
    """The account as stored now."""
    async with app.state.ctx.db() as session:
        return await session.get(StaffUser, user_id)


async def audit_events_of(app, target: str) -> list[AuditEvent]:
    """The audit events about ``target`` (e.g. ``staff:7``), oldest first."""
    async with app.state.ctx.db() as session:
        result = await session.execute(
            select(AuditEvent).where(AuditEvent.target == target).order_by(AuditEvent.id)
        )
        return list(result.scalars())


def totp_code(secret: str, *, step_offset: int = 0) -> str:
    """The code an authenticator app shows now (or ``step_offset`` periods later)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * step_offset)


async def staff_login(
    http: httpx.AsyncClient, email: str, password: str, secret: str, *, step_offset: int = 0
) -> httpx.Response:
    """Password, then TOTP code (enrolling on the way if needed); returns the last response
    (303 to the console when logged in)."""
    page = (await http.get("/staff/login")).text
    response = await http.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": csrf_of(page)}
    )
    if response.status_code != 303:
        return response
    page = (await http.get("/staff/login/code")).text
    return await http.post(
        "/staff/login/code",
        data={"code": totp_code(secret, step_offset=step_offset), "csrf_token": csrf_of(page)},
    )


def random_ip() -> str:
    """A documentation address (2001:db8::/32) of its own: throttling counters live in
    Redis across test runs, so tests that fail logins on purpose must not share one.
    Written as the app stores addresses (canonical: no leading zeros in a group)."""
    return str(ipaddress.ip_address(f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"))


class StaffClient(httpx.AsyncClient):
    """An ASGI client that may be used in ``async with`` after its first requests."""

    staff_user: StaffUser
    staff_password: str
    staff_secret: str

    async def __aenter__(self):
        if self.is_closed:
            raise RuntimeError("the client is closed")
        return self


def asgi_client(app, *, ip: str = "127.0.0.1") -> StaffClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return StaffClient(transport=transport, base_url="http://testserver", follow_redirects=False)


async def staff_client(app, role: str, **kw: Any) -> StaffClient:
    """An ASGI client already logged in (password and TOTP through the real forms) as a
    new account with ``role``; ``kw`` go to ``staff_user_create``. Use it as
    ``async with await staff_client(app, "netadmin") as http: ...`` (closed at the end).
    The account is ``http.staff_user``, with ``http.staff_password``, ``http.staff_secret``."""
    user, password, secret = await staff_user_create(app, role, **kw)
    http = asgi_client(app)
    response = await staff_login(http, user.email, password, secret)
    if response.status_code != 303 or response.headers["location"] != "/staff":
        await http.aclose()
        raise AssertionError(f"staff login failed: {response.status_code} {response.text[:500]}")
    http.staff_user, http.staff_password, http.staff_secret = user, password, secret
    return http


async def clause_post(admin: httpx.AsyncClient, slug: str, body: str) -> httpx.Response:
    """A new version of the edition's clause, posted from its console page."""
    token = csrf_of((await admin.get(f"/staff/editions/{slug}/clause")).text)
    form = {"title": "Klauzula", "body": body, "change_summary": "Zmiana", "csrf_token": token}
    return await admin.post(f"/staff/editions/{slug}/clause", data=form)
