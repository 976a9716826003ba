"""Staff accounts: create, list, change role, disable, reset credentials, change one's own
password. Every change is an audit event; the caller's unit of work commits it.

Logging in is ``staff.login``; passwords and TOTP are ``staff.credentials``."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid, NotFound
from urna.core.i18n import N_
from urna.staff import credentials, repository
from urna.staff.models import StaffUser
from urna.staff.schemas import PasswordChangeIn, StaffCreateIn


class StaffExists(AppError):
    status_code = 409
    message = N_("An account with this e-mail address already exists.")


class SelfChangeRefused(AppError):
    status_code = 409
    message = N_(
        "You cannot change your own role, disable your own account or reset your own "
        "credentials here. Ask another administrator."
    )


async def staff_create(
    *,
    session: AsyncSession,
    crypto: Crypto,
    data: StaffCreateIn,
    actor_id: int | None,
    password: str | None = None,
) -> tuple[StaffUser, str, str]:
    """A new account with a generated password and a TOTP secret to enrol at first login.

    Returns (account, password, TOTP secret); the password is shown once, never stored."""
    if await repository.staff_by_email(session, data.email) is not None:
        raise StaffExists()
    password = password or credentials.password_generate()
    secret = credentials.totp_secret_new()
    user = StaffUser(
        email=data.email,
        name=data.name,
        role=data.role,
        password_hash=await asyncio.to_thread(credentials.password_hash, password),
        totp_secret_enc=credentials.totp_secret_encrypt(crypto, secret),
    )
    try:
        async with session.begin_nested():  # the same address created meanwhile
            session.add(user)
    except IntegrityError as error:
        raise StaffExists() from error
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="staff.create",
        target=f"staff:{user.id}",
        reason=data.reason,
        details={"email": user.email, "role": user.role},
    )
    return user, password, secret


async def staff_list(*, session: AsyncSession) -> Sequence[StaffUser]:
    return await repository.staff_all(session)


async def staff_get(*, session: AsyncSession, user_id: int) -> StaffUser:
    user = await repository.staff_by_id(session, user_id)
    if user is None:
        raise NotFound()
    return user


async def staff_emails(*, session: AsyncSession, ids: set[int]) -> dict[int, str]:
    return await repository.staff_emails(session, ids)


async def _other_account(session: AsyncSession, actor_id: int, user_id: int) -> StaffUser:
    user = await staff_get(session=session, user_id=user_id)
    if user.id == actor_id:
        raise SelfChangeRefused()
    return user


async def _changed(
    session: AsyncSession, *, actor_id: int, user: StaffUser, action: str, reason: str, **kw
) -> StaffUser:
    """Record a change made to another account."""
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action=action,
        target=f"staff:{user.id}",
        reason=reason,
        **kw,
    )
    return user


async def staff_role_set(
    *, session: AsyncSession, actor_id: int, user_id: int, role: str, reason: str
) -> StaffUser:
    user = await _other_account(session, actor_id, user_id)
    if user.role == role:
        return user
    previous, user.role = user.role, role
    return await _changed(
        session,
        actor_id=actor_id,
        user=user,
        action="staff.role_change",
        reason=reason,
        details={"from": previous, "to": role},
    )


async def staff_active_set(
    *, session: AsyncSession, actor_id: int, user_id: int, active: bool, reason: str
) -> StaffUser:
    """Disabling ends every session of the account at its next request."""
    user = await _other_account(session, actor_id, user_id)
    if user.active == active:
        return user
    user.active = active
    user.session_generation += 1
    action = "staff.enable" if active else "staff.disable"
    return await _changed(session, actor_id=actor_id, user=user, action=action, reason=reason)


async def staff_totp_reset(
    *, session: AsyncSession, crypto: Crypto, actor_id: int, user_id: int, reason: str
) -> StaffUser:
    """A new secret, enrolled at the account's next login; its sessions end."""
    user = await _other_account(session, actor_id, user_id)
    user.totp_secret_enc = credentials.totp_secret_encrypt(crypto, credentials.totp_secret_new())
    user.totp_enrolled_at = None
    user.session_generation += 1
    return await _changed(
        session, actor_id=actor_id, user=user, action="staff.totp_reset", reason=reason
    )


async def staff_password_reset(
    *, session: AsyncSession, actor_id: int, user_id: int, reason: str
) -> tuple[StaffUser, str]:
    """A generated password, shown once; the account's sessions end."""
    user = await _other_account(session, actor_id, user_id)
    password = credentials.password_generate()
    await _password_set(user, password)
    await _changed(
        session, actor_id=actor_id, user=user, action="staff.password_reset", reason=reason
    )
    return user, password


async def _password_set(user: StaffUser, password: str) -> None:
    user.password_hash = await asyncio.to_thread(credentials.password_hash, password)
    user.password_changed_at = utcnow()
    user.session_generation += 1


async def password_change(
    *, session: AsyncSession, user_id: int, data: PasswordChangeIn
) -> StaffUser:
    """The account's own password; every other session of the account ends."""
    user = await staff_get(session=session, user_id=user_id)
    if not await asyncio.to_thread(
        credentials.password_verify, user.password_hash, data.current_password
    ):
        raise FormInvalid({"current_password": N_("The current password is incorrect.")})
    await _password_set(user, data.new_password)
    await audit.audit_append(
        session=session, actor_id=user.id, action="staff.password_change", target=f"staff:{user.id}"
    )
    return user
