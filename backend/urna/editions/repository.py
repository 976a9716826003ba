"""Queries of the editions domain."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.text import polish_order
from urna.editions.models import (
    SLUG_PATTERN,
    Area,
    ClosingExtension,
    Edition,
    Pool,
    Project,
    ProjectImage,
    Street,
    StreetRange,
)
from urna.editions.street_ranges import HouseRange


async def edition_by_slug(session: AsyncSession, slug: str) -> Edition | None:
    if not re.fullmatch(SLUG_PATTERN, slug):  # names no edition: never sent to the database
        return None
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


async def streets_of(session: AsyncSession, edition_id: int) -> list[Street]:
    """The register's streets in Polish alphabetical order."""
    result = await session.execute(select(Street).where(Street.edition_id == edition_id))
    return sorted(result.scalars(), key=lambda street: polish_order(street.name))


async def street_register_of(
    session: AsyncSession, edition_id: int
) -> list[tuple[str, int | None]]:
    """(name, area id: None for a split street) of each street in Polish alphabetical
    order: rows, not objects (thousands of them)."""
    result = await session.execute(
        select(Street.name, Street.area_id).where(Street.edition_id == edition_id)
    )
    return sorted(((name, area_id) for name, area_id in result.all()), key=_by_polish_name)


async def street_ranges_of(
    session: AsyncSession, edition_id: int
) -> dict[str, tuple[HouseRange, ...]]:
    """The ranges of each split street, by the street's name, lowest numbers first."""
    result = await session.execute(
        select(
            Street.name,
            StreetRange.number_from,
            StreetRange.number_to,
            StreetRange.side,
            StreetRange.area_id,
        )
        .join(Street, Street.id == StreetRange.street_id)
        .where(Street.edition_id == edition_id)
        .order_by(StreetRange.number_from, StreetRange.side)
    )
    ranges: dict[str, list[HouseRange]] = {}
    for name, *part in result.all():
        ranges.setdefault(name, []).append(HouseRange(*part))
    return {name: tuple(parts) for name, parts in ranges.items()}


def _by_polish_name(row: tuple[str, int | None]) -> tuple:
    return polish_order(row[0])


async def projects_by_pool(session: AsyncSession, edition_id: int) -> Sequence[Project]:
    """The projects of an edition as the catalogue lists them: pool by pool, by number."""
    result = await session.execute(
        select(Project)
        .where(Project.edition_id == edition_id)
        .order_by(Project.pool_id, Project.number)
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


async def images_of(session: AsyncSession, project_id: int) -> list[tuple[int, str, int, int]]:
    """(id, alt text, width, height) of a project's pictures, oldest first: not the bytes."""
    result = await session.execute(
        select(ProjectImage.id, ProjectImage.alt_text, ProjectImage.width, ProjectImage.height)
        .where(ProjectImage.project_id == project_id)
        .order_by(ProjectImage.id)
    )
    return [tuple(row) for row in result.all()]


async def image_by_id(session: AsyncSession, project_id: int, image_id: int) -> ProjectImage | None:
    result = await session.execute(
        select(ProjectImage).where(
            ProjectImage.project_id == project_id, ProjectImage.id == image_id
        )
    )
    return result.scalar_one_or_none()


async def extensions_of(session: AsyncSession, edition_id: int) -> Sequence[ClosingExtension]:
    """The extensions of an edition's voting, newest first."""
    result = await session.execute(
        select(ClosingExtension)
        .where(ClosingExtension.edition_id == edition_id)
        .order_by(ClosingExtension.id.desc())
    )
    return result.scalars().all()
