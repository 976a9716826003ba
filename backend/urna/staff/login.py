"""Logging in to the staff console: password, then a TOTP code (enrolled at the first
login), throttled with growing delays, every attempt in the audit log.

A refused attempt is recorded (audit event flushed, throttle counted) before the refusal
is raised. The views answer it with the refusal page, a normal response, so the
request's unit of work commits the record: failures are kept although the login fails.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.strategies import RateLimiter
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.staff import credentials, repository
from urna.staff.models import StaffUser
from urna.staff.schemas import email_normalise

log = logging.getLogger("urna.staff")

PENDING_SECONDS = 5 * 60  # from the password to the code


class LoginFailed(AppError):
    status_code = 400
    message = N_("The e-mail address or the password is incorrect.")


class LoginThrottled(AppError):
    status_code = 429
    message = N_("Too many failed logins. Try again in %(minutes)s min.")


class CodeInvalid(AppError):
    status_code = 400
    message = N_(
        "The code is incorrect or has already been used. Wait for the next code and try again."
    )


class LoginExpired(AppError):
    status_code = 409
    message = N_("The login has expired. Log in again.")


# ---- throttling ---------------------------------------------------------------------


class LoginThrottle:
    """Failed logins counted per account and per IP address in moving windows of growing
    length (limits library on Redis or in process). A full tier makes the next attempt
    wait until old failures leave that window: delays grow, nothing locks for good."""

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self.limiter = limiter
        self.account: list[RateLimitItem] = parse_many(settings.staff_login_account_limits)
        self.ip: list[RateLimitItem] = parse_many(settings.staff_login_ip_limits)

    def _tiers(self, account_key: str, ip: str):
        for item in self.account:
            yield item, "staff-login-account", account_key
        for item in self.ip:
            yield item, "staff-login-ip", ip

    async def wait_seconds(self, account_key: str, ip: str) -> float:
        wait = 0.0
        for item, namespace, key in self._tiers(account_key, ip):
            if not await self.limiter.test(item, namespace, key):
                stats = await self.limiter.get_window_stats(item, namespace, key)
                wait = max(wait, stats.reset_time - time.time(), 1.0)
        return wait

    async def failed(self, account_key: str, ip: str) -> None:
        for item, namespace, key in self._tiers(account_key, ip):
            await self.limiter.hit(item, namespace, key)

    async def succeeded(self, account_key: str) -> None:
        for item in self.account:
            await self.limiter.clear(item, "staff-login-account", account_key)


def account_key(crypto: Crypto, email: str) -> str:
    """Throttling key of a typed e-mail (known or not), as kept in the store and the audit
    log: a keyed hash, so that nobody holding the store or the log can test an address
    against it (an unsalted hash of an e-mail is as good as the e-mail)."""
    return crypto.keyed_hash(scope="staff-login", value=email.strip().lower())[:32]


async def _throttle_ensure(throttle: LoginThrottle, key: str, ip: str) -> None:
    wait = await throttle.wait_seconds(key, ip)
    if wait > 0:
        log.warning("staff login throttled: ip=%s account=%s wait=%.0fs", ip, key, wait)
        refusal = LoginThrottled(params={"minutes": max(1, math.ceil(wait / 60))})
        refusal.retry_after_seconds = math.ceil(wait)  # sent as Retry-After
        raise refusal


async def _failure_record(
    session: AsyncSession,
    throttle: LoginThrottle,
    *,
    key: str,
    ip: str,
    user: StaffUser | None,
    stage: str,
) -> None:
    await throttle.failed(key, ip)
    log.warning("staff login failed: stage=%s ip=%s account=%s", stage, ip, key)
    await audit.audit_append(
        session=session,
        actor_id=user.id if user else None,
        action="staff.login_failed",
        target=f"staff:{user.id}" if user else "staff:unknown",
        details={"ip": ip, "stage": stage, "account": key},
    )


# ---- login --------------------------------------------------------------------------


def _known_address(email: str) -> str:
    try:
        return email_normalise(email)
    except Exception:  # noqa: BLE001 - anything unparsable is an unknown account
        return ""


async def login_password(
    *,
    session: AsyncSession,
    crypto: Crypto,
    throttle: LoginThrottle,
    email: str,
    password: str,
    ip: str,
) -> StaffUser:
    """First factor. Returns the account whose code is to be asked for next."""
    key = account_key(crypto, email)
    await _throttle_ensure(throttle, key, ip)
    normalised = _known_address(email)
    user = await repository.staff_by_email(session, normalised) if normalised else None
    usable = user is not None and user.active
    stored = user.password_hash if usable else None
    ok = await asyncio.to_thread(credentials.password_verify, stored, password)
    if not ok:
        await _failure_record(session, throttle, key=key, ip=ip, user=user, stage="password")
        raise LoginFailed()
    if credentials.password_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(credentials.password_hash, password)
    return user


async def login_code(
    *,
    session: AsyncSession,
    crypto: Crypto,
    throttle: LoginThrottle,
    user_id: int,
    code: str,
    ip: str,
    now: float | None = None,
) -> StaffUser:
    """Second factor (and, the first time, its enrolment). A code is accepted once."""
    user = await repository.staff_by_id(session, user_id)
    if user is None or not user.active:
        raise LoginExpired()
    key = account_key(crypto, user.email)
    await _throttle_ensure(throttle, key, ip)
    step = credentials.totp_match_step(credentials.totp_secret_of(crypto, user), code, at=now)
    if step is None or not await repository.totp_step_claim(session, user.id, step):
        await _failure_record(session, throttle, key=key, ip=ip, user=user, stage="code")
        raise CodeInvalid()
    moment = utcnow()
    if user.totp_enrolled_at is None:
        user.totp_enrolled_at = moment
        await audit.audit_append(
            session=session, actor_id=user.id, action="staff.totp_enrol", target=f"staff:{user.id}"
        )
    user.last_login_at = moment
    await audit.audit_append(
        session=session,
        actor_id=user.id,
        action="staff.login",
        target=f"staff:{user.id}",
        details={"ip": ip},
    )
    await throttle.succeeded(key)
    return user


async def staff_from_session(*, session: AsyncSession, data: dict | None) -> StaffUser | None:
    """The account of a login session, if it still may act: active, same generation."""
    if not data or not isinstance(data.get("id"), int):
        return None
    user = await repository.staff_by_id(session, data["id"])
    if user is None or not user.active or user.session_generation != data.get("gen"):
        return None
    return user


async def logout_record(*, session: AsyncSession, user_id: int, ip: str) -> None:
    await audit.audit_append(
        session=session,
        actor_id=user_id,
        action="staff.logout",
        target=f"staff:{user_id}",
        details={"ip": ip},
    )
