"""Queries of staff accounts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from urna.staff.models import StaffUser


async def staff_by_email(session: AsyncSession, email: str) -> StaffUser | None:
    result = await session.execute(select(StaffUser).where(StaffUser.email == email))
    return result.scalar_one_or_none()


async def staff_by_id(session: AsyncSession, user_id: int) -> StaffUser | None:
    return await session.get(StaffUser, user_id)


async def staff_all(session: AsyncSession) -> Sequence[StaffUser]:
    result = await session.execute(select(StaffUser).order_by(StaffUser.email))
    return result.scalars().all()


async def staff_count(session: AsyncSession) -> int:
    """Active accounts."""
    query = select(func.count()).select_from(StaffUser).where(StaffUser.active.is_(True))
    return int((await session.execute(query)).scalar_one())


async def staff_emails(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    result = await session.execute(
        select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(ids))
    )
    return {row[0]: row[1] for row in result.all()}


async def totp_step_claim(session: AsyncSession, user_id: int, step: int) -> bool:
    """Record that the code of ``step`` was used; False if it (or a later one) already was,
    so a code cannot be replayed, not even by two logins racing."""
    result = await session.execute(
        update(StaffUser)
        .where(StaffUser.id == user_id, StaffUser.totp_last_step < step)
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
