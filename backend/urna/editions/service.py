"""Editions: phases, the catalogue, import, and the rule that frozen rules stay frozen."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid, NotFound, validation_messages
from urna.core.i18n import N_
from urna.editions import repository
from urna.editions.models import Area, Edition, Pool, Project, Street
from urna.editions.schemas import AreaIn, EditionIn, PoolIn, ProjectIn, StreetIn


class VotingClosed(AppError):
    status_code = 409
    message = N_("Voting in this edition is not open. Nothing was saved.")


class RulesFrozen(AppError):
    status_code = 409
    message = N_("Voting in this edition has opened, so its rules can no longer be changed.")


class EditionExists(AppError):
    status_code = 409
    message = N_("An edition with this address already exists.")


def edition_phase(edition: Edition, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < edition.voting_opens_at:
        return "upcoming"
    if now < edition.voting_closes_at:
        return "open"
    if now < edition.results_at:
        return "closed"
    return "resolved"


def voting_ensure_open(*, edition: Edition, now: datetime | None = None) -> None:
    if edition_phase(edition, now) != "open":
        raise VotingClosed()


def rules_ensure_editable(*, edition: Edition, now: datetime | None = None) -> None:
    if edition_phase(edition, now) != "upcoming":
        raise RulesFrozen()


async def edition_get(*, session: AsyncSession, slug: str) -> Edition:
    edition = await repository.edition_by_slug(session, slug)
    if edition is None:
        raise NotFound()
    return edition


async def editions_list(*, session: AsyncSession) -> Sequence[Edition]:
    return await repository.editions_all(session)


@dataclass(frozen=True)
class EditionSnapshot:
    """An edition with its pools, areas and projects, read-only and detached from any
    database session, so that one process can serve it to many requests."""

    edition: Edition
    pools: tuple[Pool, ...]
    areas: tuple[Area, ...]
    projects: tuple[Project, ...]

    @property
    def categories(self) -> list[str]:
        return sorted({p.category for p in self.projects if p.category})


_snapshots: dict[str, tuple[float, EditionSnapshot]] = {}
_snapshot_seconds = 5.0


def snapshot_cache_configure(*, seconds: float) -> None:
    """How long a process may reuse an edition whose rules are frozen (0 = never)."""
    global _snapshot_seconds
    _snapshot_seconds = seconds
    _snapshots.clear()


async def edition_snapshot(*, session: AsyncSession, slug: str) -> EditionSnapshot:
    """The edition as the public pages and the vote see it.

    Once voting opens its rules are frozen (``rules_ensure_editable``), so the snapshot
    is cached per process for a few seconds: the cast and the catalogue then cost no
    query for the edition. An upcoming edition, still editable, is always read afresh.
    """
    cached = _snapshots.get(slug)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    edition = await edition_get(session=session, slug=slug)
    snapshot = EditionSnapshot(
        edition=edition,
        pools=tuple(await repository.pools_of(session, edition.id)),
        areas=tuple(await repository.areas_of(session, edition.id)),
        projects=tuple(await repository.projects_search(session, edition.id)),
    )
    for item in (edition, *snapshot.pools, *snapshot.areas, *snapshot.projects):
        session.expunge(item)  # a later rollback in this session must not expire them
    if _snapshot_seconds > 0 and edition_phase(edition) != "upcoming":
        _snapshots[slug] = (time.monotonic() + _snapshot_seconds, snapshot)
    return snapshot


@dataclass
class Catalogue:
    pools: Sequence[Pool]
    areas: Sequence[Area]
    categories: list[str]
    projects: Sequence[Project]


def catalogue_search(
    *,
    snapshot: EditionSnapshot,
    pool_code: str | None = None,
    area_code: str | None = None,
    category: str | None = None,
    text: str | None = None,
) -> Catalogue:
    """Filter the projects of an edition (a few hundred at most: done in memory)."""
    pool_id = next((p.id for p in snapshot.pools if p.code == pool_code), -1) if pool_code else None
    area_id = next((a.id for a in snapshot.areas if a.code == area_code), -1) if area_code else None
    needle = (text or "").strip()[:100].casefold()
    projects = [
        project
        for project in snapshot.projects
        if (pool_id is None or project.pool_id == pool_id)
        and (area_id is None or project.area_id == area_id)
        and (not category or project.category == category)
        and (
            not needle
            or any(
                needle in field.casefold()
                for field in (project.title, project.description, project.number, project.location)
            )
        )
    ]
    return Catalogue(
        pools=snapshot.pools,
        areas=snapshot.areas,
        categories=snapshot.categories,
        projects=projects,
    )


def project_get(*, snapshot: EditionSnapshot, number: str) -> Project:
    project = next((p for p in snapshot.projects if p.number == number), None)
    if project is None:
        raise NotFound()
    return project


async def edition_create(*, session: AsyncSession, data: EditionIn) -> Edition:
    """Create an edition with its areas, streets, pools and projects in one transaction."""
    if await repository.edition_by_slug(session, data.slug) is not None:
        raise EditionExists()
    fields: dict[str, Any] = data.model_dump(
        exclude={"areas", "streets", "pools", "projects", "clause"}
    )
    edition = Edition(**fields)
    session.add(edition)
    await session.flush()
    areas: dict[str, Area] = {}
    for area_in in data.areas:
        area = Area(edition_id=edition.id, code=area_in.code, name=area_in.name)
        session.add(area)
        areas[area_in.code] = area
    await session.flush()
    await _streets_add(session, edition, data.streets, areas)
    pools: dict[str, Pool] = {}
    for position, pool_in in enumerate(data.pools):
        pool = Pool(
            edition_id=edition.id,
            position=position,
            area_id=areas[pool_in.area].id if pool_in.area else None,
            **pool_in.model_dump(exclude={"area"}),
        )
        session.add(pool)
        pools[pool_in.code] = pool
    await session.flush()
    await _projects_add(session, edition, data.projects, pools, areas)
    try:
        await session.flush()
    except IntegrityError as error:
        raise AppError(N_("The edition data repeat a street or a project number.")) from error
    return edition


async def _streets_add(
    session: AsyncSession, edition: Edition, streets: Sequence[StreetIn], areas: dict[str, Area]
) -> None:
    for street in streets:
        session.add(Street(edition_id=edition.id, name=street.name, area_id=areas[street.area].id))


async def _projects_add(
    session: AsyncSession,
    edition: Edition,
    projects: Sequence[ProjectIn],
    pools: dict[str, Pool],
    areas: dict[str, Area],
) -> None:
    for project in projects:
        session.add(
            Project(
                edition_id=edition.id,
                pool_id=pools[project.pool].id,
                area_id=areas[project.area].id if project.area else None,
                **project.model_dump(exclude={"pool", "area"}),
            )
        )


async def edition_add_rows(
    *,
    session: AsyncSession,
    edition: Edition,
    streets: Sequence[StreetIn] = (),
    projects: Sequence[ProjectIn] = (),
    now: datetime | None = None,
) -> None:
    """Add streets or projects from a CSV import; refused once voting has opened."""
    rules_ensure_editable(edition=edition, now=now)
    areas = {a.code: a for a in await repository.areas_of(session, edition.id)}
    pools = {p.code: p for p in await repository.pools_of(session, edition.id)}
    missing = sorted(
        {s.area for s in streets if s.area not in areas}
        | {p.area for p in projects if p.area and p.area not in areas}
        | {p.pool for p in projects if p.pool not in pools}
    )
    if missing:
        raise AppError(
            N_("Unknown area or pool codes: %(codes)s"), params={"codes": ", ".join(missing)}
        )
    await _streets_add(session, edition, streets, areas)
    await _projects_add(session, edition, projects, pools, areas)
    try:
        await session.flush()
    except IntegrityError as error:
        raise AppError(N_("The edition data repeat a street or a project number.")) from error


EDITABLE_FIELDS = frozenset(
    {
        "name",
        "description",
        "description_en",
        "voting_opens_at",
        "voting_closes_at",
        "results_at",
        "retention_months",
        "required_fields",
        "confirmation_channel",
        "max_ballots_per_contact",
        "district_limited_to_area",
    }
)


async def edition_update(
    *, session: AsyncSession, edition: Edition, changes: dict[str, Any], now: datetime | None = None
) -> Edition:
    """Change an edition's rules; refused with a clear error once voting has opened."""
    rules_ensure_editable(edition=edition, now=now)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise AppError(
            N_("These fields cannot be changed: %(fields)s"),
            params={"fields": ", ".join(sorted(unknown))},
        )
    try:
        merged = EditionIn.model_validate(
            {
                **_edition_as_input(edition),
                **changes,
                "pools": [{"code": "x", "name": "x", "budget": 0}],
            }
        )
    except ValidationError as error:
        raise FormInvalid(validation_messages(error)) from error
    for key in changes:
        setattr(edition, key, getattr(merged, key))
    await session.flush()
    return edition


def _edition_as_input(edition: Edition) -> dict[str, Any]:
    return {name: getattr(edition, name) for name in EDITABLE_FIELDS | {"slug", "municipality"}}


async def area_add(
    *, session: AsyncSession, edition: Edition, data: AreaIn, now: datetime | None = None
) -> Area:
    """Add an area (district) to an edition that has not opened yet."""
    rules_ensure_editable(edition=edition, now=now)
    area = Area(edition_id=edition.id, code=data.code, name=data.name)
    session.add(area)
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        raise AppError(N_("An area with this code already exists.")) from error
    return area


async def pool_add(
    *, session: AsyncSession, edition: Edition, data: PoolIn, now: datetime | None = None
) -> Pool:
    """Add a pool to an edition that has not opened yet (a district pool needs its area)."""
    rules_ensure_editable(edition=edition, now=now)
    areas = {a.code: a for a in await repository.areas_of(session, edition.id)}
    if data.area and data.area not in areas:
        raise AppError(
            N_("Unknown area or pool codes: %(codes)s"), params={"codes": data.area}
        )
    position = len(await repository.pools_of(session, edition.id))
    pool = Pool(
        edition_id=edition.id,
        position=position,
        area_id=areas[data.area].id if data.area else None,
        **data.model_dump(exclude={"area"}),
    )
    session.add(pool)
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        raise AppError(N_("A pool with this code already exists.")) from error
    return pool
