"""Queries of the editions domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.editions.models import Area, Edition, Pool, Project, Street


async def edition_by_slug(session: AsyncSession, slug: str) -> Edition | None:
    return (await session.execute(select(Edition).where(Edition.slug == slug))).scalar_one_or_none()


async def editions_all(session: AsyncSession) -> Sequence[Edition]:
    result = await session.execute(select(Edition).order_by(Edition.voting_opens_at.desc()))
    return result.scalars().all()


async def pools_of(session: AsyncSession, edition_id: int) -> Sequence[Pool]:
    result = await session.execute(
        select(Pool).where(Pool.edition_id == edition_id).order_by(Pool.position, Pool.id)
    )
    return result.scalars().all()


async def pool_by_id(session: AsyncSession, edition_id: int, pool_id: int) -> Pool | None:
    result = await session.execute(
        select(Pool).where(Pool.edition_id == edition_id, Pool.id == pool_id)
    )
    return result.scalar_one_or_none()


async def areas_of(session: AsyncSession, edition_id: int) -> Sequence[Area]:
    result = await session.execute(
        select(Area).where(Area.edition_id == edition_id).order_by(Area.name)
    )
    return result.scalars().all()


async def streets_of(session: AsyncSession, edition_id: int) -> Sequence[Street]:
    result = await session.execute(
        select(Street).where(Street.edition_id == edition_id).order_by(Street.name)
    )
    return result.scalars().all()


async def street_by_name(session: AsyncSession, edition_id: int, name: str) -> Street | None:
    result = await session.execute(
        select(Street).where(
            Street.edition_id == edition_id, func.lower(Street.name) == name.strip().lower()
        )
    )
    return result.scalar_one_or_none()


async def categories_of(session: AsyncSession, edition_id: int) -> list[str]:
    result = await session.execute(
        select(Project.category)
        .where(Project.edition_id == edition_id, Project.category != "")
        .distinct()
        .order_by(Project.category)
    )
    return list(result.scalars().all())


async def projects_search(
    session: AsyncSession,
    edition_id: int,
    *,
    pool_id: int | None = None,
    area_id: int | None = None,
    category: str | None = None,
    text: str | None = None,
) -> Sequence[Project]:
    query = select(Project).where(Project.edition_id == edition_id)
    if pool_id is not None:
        query = query.where(Project.pool_id == pool_id)
    if area_id is not None:
        query = query.where(Project.area_id == area_id)
    if category:
        query = query.where(Project.category == category)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Project.title.ilike(pattern, escape="\\"),
                Project.description.ilike(pattern, escape="\\"),
                Project.number.ilike(pattern, escape="\\"),
                Project.location.ilike(pattern, escape="\\"),
            )
        )
    result = await session.execute(query.order_by(Project.pool_id, Project.number))
    return result.scalars().all()


async def projects_by_ids(
    session: AsyncSession, edition_id: int, ids: Sequence[int]
) -> Sequence[Project]:
    if not ids:
        return []
    result = await session.execute(
        select(Project).where(Project.edition_id == edition_id, Project.id.in_(ids))
    )
    return result.scalars().all()


async def projects_of(session: AsyncSession, edition_id: int) -> Sequence[Project]:
    result = await session.execute(
        select(Project).where(Project.edition_id == edition_id).order_by(Project.id)
    )
    return result.scalars().all()


async def project_by_number(session: AsyncSession, edition_id: int, number: str) -> Project | None:
    result = await session.execute(
        select(Project).where(Project.edition_id == edition_id, Project.number == number)
    )
    return result.scalar_one_or_none()


async def edition_by_id(session: AsyncSession, edition_id: int) -> Edition | None:
    return await session.get(Edition, edition_id)
