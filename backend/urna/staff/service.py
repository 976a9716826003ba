"""Staff accounts and login: argon2id passwords, a TOTP second factor, login throttling
with growing delays, and an audit event for every account action and login attempt."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pyotp
import segno
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from limits import RateLimitItem, parse_many
from limits.aio.strategies import RateLimiter
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid, NotFound, validation_messages
from urna.core.i18n import N_
from urna.staff import repository
from urna.staff.models import ROLE_NAMES, StaffUser
from urna.staff.schemas import PASSWORD_MIN_LENGTH, StaffCreateIn, email_normalise

log = logging.getLogger("urna.staff")

# OWASP's argon2id floor: 19 MiB, 2 iterations, 1 lane. Raising these makes every stored
# hash "need rehash": it is replaced at the account's next successful login.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
HASHER = PasswordHasher(
    time_cost=ARGON2_TIME_COST,
    memory_cost=ARGON2_MEMORY_KIB,
    parallelism=ARGON2_PARALLELISM,
    hash_len=32,
    salt_len=16,
    type=Type.ID,
)
PASSWORD_MAX_LENGTH = 1024
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet, not a password
TOTP_CONTEXT = "staff-totp"
TOTP_ISSUER = "Urna"
TOTP_INTERVAL = 30
PENDING_SECONDS = 5 * 60
_dummy: list[str] = []


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


class StaffExists(AppError):
    status_code = 409
    message = N_("An account with this e-mail address already exists.")


class SelfChangeRefused(AppError):
    status_code = 409
    message = N_(
        "You cannot change your own role, disable your own account or reset your own "
        "credentials here. Ask another administrator."
    )


# ---- passwords ----------------------------------------------------------------------


def password_generate() -> str:
    """Four groups of five unambiguous characters: about 99 bits."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(5)) for _ in range(4))


def password_hash(password: str) -> str:
    return HASHER.hash(password)


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(HASHER.hash(secrets.token_urlsafe(16)))
    return _dummy[0]


def password_verify(stored: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: an unknown account is checked
    against a dummy hash with the same parameters (no timing oracle)."""
    try:
        matched = HASHER.verify(stored or _dummy_hash(), password[:PASSWORD_MAX_LENGTH])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return matched and stored is not None


def password_needs_rehash(stored: str) -> bool:
    try:
        return HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _password_check_new(new: str, repeat: str) -> None:
    if len(new) < PASSWORD_MIN_LENGTH:
        raise FormInvalid(
            {"new_password": N_("The password must have at least %(min)s characters.")},
            params={"min": PASSWORD_MIN_LENGTH},
        )
    if len(new) > PASSWORD_MAX_LENGTH:
        raise FormInvalid({"new_password": N_("The password is too long.")})
    if new != repeat:
        raise FormInvalid({"repeat_password": N_("The passwords do not match.")})


# ---- TOTP ---------------------------------------------------------------------------


def totp_secret_new() -> str:
    return pyotp.random_base32()


def totp_secret_of(crypto: Crypto, user: StaffUser) -> str:
    return crypto.decrypt(user.totp_secret_enc, context=TOTP_CONTEXT)["secret"]


def totp_match_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step a 6-digit code belongs to (now, one step back or ahead), or None."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_INTERVAL)
    step = int((at if at is not None else time.time()) // TOTP_INTERVAL)
    for candidate in (step - 1, step, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg_data_uri: str


def totp_enrolment(*, crypto: Crypto, user: StaffUser) -> Enrolment:
    secret = totp_secret_of(crypto, user)
    uri = pyotp.TOTP(secret, interval=TOTP_INTERVAL).provisioning_uri(
        name=user.email, issuer_name=TOTP_ISSUER
    )
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=4)
    return Enrolment(secret=secret, uri=uri, qr_svg_data_uri=qr)


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


def account_key(email: str) -> str:
    """Throttling key of a typed e-mail (known or not); no address is kept in the store."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


async def _throttle_ensure(throttle: LoginThrottle, key: str, ip: str) -> None:
    wait = await throttle.wait_seconds(key, ip)
    if wait > 0:
        log.warning("staff login throttled: ip=%s account=%s wait=%.0fs", ip, key, wait)
        raise LoginThrottled(params={"minutes": max(1, math.ceil(wait / 60))})


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
    await session.commit()


# ---- login --------------------------------------------------------------------------


async def login_password(
    *, session: AsyncSession, throttle: LoginThrottle, email: str, password: str, ip: str
) -> StaffUser:
    """First factor. Returns the account whose code is to be asked for next."""
    key = account_key(email)
    await _throttle_ensure(throttle, key, ip)
    try:
        normalised = email_normalise(email)
    except Exception:  # noqa: BLE001 - anything unparsable is an unknown account
        normalised = ""
    user = await repository.staff_by_email(session, normalised) if normalised else None
    usable = user is not None and user.active
    stored = user.password_hash if usable else None
    ok = await asyncio.to_thread(password_verify, stored, password)
    if not ok:
        await _failure_record(session, throttle, key=key, ip=ip, user=user, stage="password")
        raise LoginFailed()
    if password_needs_rehash(user.password_hash):
        user.password_hash = await asyncio.to_thread(password_hash, password)
        await session.commit()
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
    key = account_key(user.email)
    await _throttle_ensure(throttle, key, ip)
    step = totp_match_step(totp_secret_of(crypto, user), code, at=now)
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
    await session.commit()
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


async def logout_record(*, session: AsyncSession, user: StaffUser, ip: str) -> None:
    await audit.audit_append(
        session=session,
        actor_id=user.id,
        action="staff.logout",
        target=f"staff:{user.id}",
        details={"ip": ip},
    )
    await session.commit()


# ---- accounts -----------------------------------------------------------------------


async def staff_create(
    *,
    session: AsyncSession,
    crypto: Crypto,
    form: dict[str, str],
    actor_id: int | None,
    reason: str = "",
    password: str | None = None,
) -> tuple[StaffUser, str, str]:
    """A new account with a generated password and a TOTP secret to enrol at first login.

    Returns (account, password, TOTP secret); the password is shown once, never stored."""
    try:
        data = StaffCreateIn.model_validate(form)
    except ValidationError as error:
        raise FormInvalid(validation_messages(error)) from error
    if await repository.staff_by_email(session, data.email) is not None:
        raise StaffExists()
    password = password or password_generate()
    secret = totp_secret_new()
    user = StaffUser(
        email=data.email,
        name=data.name,
        role=data.role,
        password_hash=await asyncio.to_thread(password_hash, password),
        totp_secret_enc=crypto.encrypt({"secret": secret}, context=TOTP_CONTEXT),
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        raise StaffExists() from error
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="staff.create",
        target=f"staff:{user.id}",
        reason=reason,
        details={"email": user.email, "role": user.role},
    )
    await session.commit()
    return user, password, secret


async def staff_list(*, session: AsyncSession) -> Sequence[StaffUser]:
    return await repository.staff_all(session)


async def staff_get(*, session: AsyncSession, user_id: int) -> StaffUser:
    user = await repository.staff_by_id(session, user_id)
    if user is None:
        raise NotFound()
    return user


def _reason_required(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise FormInvalid({"reason": N_("Give the reason; it is written to the audit log.")})
    return reason[:1000]


async def _other_account(session: AsyncSession, actor: StaffUser, user_id: int) -> StaffUser:
    user = await staff_get(session=session, user_id=user_id)
    if user.id == actor.id:
        raise SelfChangeRefused()
    return user


async def staff_role_set(
    *, session: AsyncSession, actor: StaffUser, user_id: int, role: str, reason: str
) -> StaffUser:
    if role not in ROLE_NAMES:
        raise FormInvalid({"role": N_("Choose a role.")})
    reason = _reason_required(reason)
    user = await _other_account(session, actor, user_id)
    if user.role != role:
        previous, user.role = user.role, role
        await audit.audit_append(
            session=session,
            actor_id=actor.id,
            action="staff.role_change",
            target=f"staff:{user.id}",
            reason=reason,
            details={"from": previous, "to": role},
        )
        await session.commit()
    return user


async def staff_active_set(
    *, session: AsyncSession, actor: StaffUser, user_id: int, active: bool, reason: str
) -> StaffUser:
    """Disabling ends every session of the account at its next request."""
    reason = _reason_required(reason)
    user = await _other_account(session, actor, user_id)
    if user.active != active:
        user.active = active
        user.session_generation += 1
        await audit.audit_append(
            session=session,
            actor_id=actor.id,
            action="staff.enable" if active else "staff.disable",
            target=f"staff:{user.id}",
            reason=reason,
        )
        await session.commit()
    return user


async def staff_totp_reset(
    *, session: AsyncSession, crypto: Crypto, actor: StaffUser, user_id: int, reason: str
) -> StaffUser:
    """A new secret, enrolled at the account's next login; its sessions end."""
    reason = _reason_required(reason)
    user = await _other_account(session, actor, user_id)
    user.totp_secret_enc = crypto.encrypt({"secret": totp_secret_new()}, context=TOTP_CONTEXT)
    user.totp_enrolled_at = None
    user.session_generation += 1
    await audit.audit_append(
        session=session,
        actor_id=actor.id,
        action="staff.totp_reset",
        target=f"staff:{user.id}",
        reason=reason,
    )
    await session.commit()
    return user


async def staff_password_reset(
    *, session: AsyncSession, actor: StaffUser, user_id: int, reason: str
) -> tuple[StaffUser, str]:
    reason = _reason_required(reason)
    user = await _other_account(session, actor, user_id)
    password = password_generate()
    user.password_hash = await asyncio.to_thread(password_hash, password)
    user.password_changed_at = utcnow()
    user.session_generation += 1
    await audit.audit_append(
        session=session,
        actor_id=actor.id,
        action="staff.password_reset",
        target=f"staff:{user.id}",
        reason=reason,
    )
    await session.commit()
    return user, password


async def password_change(
    *, session: AsyncSession, user_id: int, current: str, new: str, repeat: str
) -> StaffUser:
    """The account's own password; every other session of the account ends."""
    user = await staff_get(session=session, user_id=user_id)
    if not await asyncio.to_thread(password_verify, user.password_hash, current):
        raise FormInvalid({"current_password": N_("The current password is incorrect.")})
    _password_check_new(new, repeat)
    if new == current:
        raise FormInvalid({"new_password": N_("Choose a password different from the current one.")})
    user.password_hash = await asyncio.to_thread(password_hash, new)
    user.password_changed_at = utcnow()
    user.session_generation += 1
    await audit.audit_append(
        session=session, actor_id=user.id, action="staff.password_change", target=f"staff:{user.id}"
    )
    await session.commit()
    return user


async def staff_emails(*, session: AsyncSession, ids: set[int]) -> dict[int, str]:
    return await repository.staff_emails(session, ids)
