"""Editions: phases, the catalogue, import, and the rule that frozen rules stay frozen."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid, NotFound, validation_messages
from urna.core.i18n import N_
from urna.editions import repository
from urna.editions.models import Area, Edition, Pool, Project, Street
from urna.editions.schemas import AreaIn, EditionIn, PoolIn, PoolRulesIn, ProjectIn, StreetIn


class VotingClosed(AppError):
    status_code = 409
    message = N_("Voting in this edition is not open. Nothing was saved.")


class BallotTypeOffline(AppError):
    status_code = 409
    message = N_(
        "This edition's ballots give points to projects; online voting takes approval ballots "
        "only (one vote per chosen project). Nothing was saved."
    )


class RulesFrozen(AppError):
    status_code = 409
    message = N_("Voting in this edition has opened, so its rules can no longer be changed.")


POOL_EXISTS = N_("A pool with this code already exists.")


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
    if edition.vote_type != "approval":
        # Ordinal and cumulative editions come from imports; the online flow never stores
        # a ballot whose points it cannot collect.
        raise BallotTypeOffline()


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
    pool_rules_ensure_valid(vote_type=data.vote_type, pools=[PoolRules.of(p) for p in data.pools])
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
            **pool_in.model_dump(exclude={"area", "leftover_to"}),
        )
        session.add(pool)
        pools[pool_in.code] = pool
    await session.flush()
    for pool_in in data.pools:
        if pool_in.leftover_to:
            pools[pool_in.code].leftover_to_pool_id = pools[pool_in.leftover_to].id
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
        "vote_type",
        "publish_demographics",
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
    if "vote_type" in changes and merged.vote_type != "approval":
        pools = await repository.pools_of(session, edition.id)
        if any(pool.rule == "equal_shares" for pool in pools):
            raise FormInvalid({"vote_type": EQUAL_SHARES_NEED_APPROVAL_POOLS})
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
        raise AppError(N_("Unknown area or pool codes: %(codes)s"), params={"codes": data.area})
    existing = await repository.pools_of(session, edition.id)
    if any(pool.code == data.code for pool in existing):
        raise AppError(POOL_EXISTS)
    pool_rules_ensure_valid(
        vote_type=edition.vote_type,
        pools=[*_pools_as_rules(existing), PoolRules.of(data)],
        changed=data.code,
    )
    pool = Pool(
        edition_id=edition.id,
        position=len(existing),
        area_id=areas[data.area].id if data.area else None,
        leftover_to_pool_id=_pool_id_of(existing, data.leftover_to),
        **data.model_dump(exclude={"area", "leftover_to"}),
    )
    session.add(pool)
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        raise AppError(POOL_EXISTS) from error
    return pool


# ---- pool rules: how each pool picks its winners --------------------------------------

EQUAL_SHARES_NEED_APPROVAL = N_(
    "The Method of Equal Shares works only with approval voting (one vote for each chosen "
    "project). Choose another rule, or change the edition's vote type first."
)
EQUAL_SHARES_NEED_APPROVAL_POOLS = N_(
    "Some pools use the Method of Equal Shares, which works only with approval voting. "
    "Change their rule first."
)


class PoolRules(PoolRulesIn):
    """A pool's rule settings with its code: what the checks below compare."""

    code: str

    @classmethod
    def of(cls, pool: PoolIn) -> PoolRules:
        return cls.model_validate(pool.model_dump(include={"code", *PoolRulesIn.model_fields}))


def pool_rules_errors(
    *, vote_type: str, pools: Sequence[PoolRules], changed: str | None = None
) -> dict[str, dict[str, str]]:
    """Mistakes in the rule settings of an edition's pools: pool code -> field -> message.

    ``pools`` are all the pools of the edition as they would be; with ``changed`` only
    that pool's settings are checked, against the others."""
    targets = {pool.code: pool.leftover_to for pool in pools}
    found: dict[str, dict[str, str]] = {}
    for pool in pools:
        if changed is not None and pool.code != changed:
            continue
        errors: dict[str, str] = {}
        if pool.min_votes is not None and pool.min_votes < 0:
            errors["min_votes"] = N_("The minimum number of votes cannot be below 0.")
        if pool.min_votes_percent is not None and not _percent_valid(pool.min_votes_percent):
            errors["min_votes_percent"] = N_(
                "Give the minimum share of the pool's voters as a number from 0 to 100, "
                "with at most two decimal places."
            )
        if pool.rule == "equal_shares" and vote_type != "approval":
            errors["rule"] = EQUAL_SHARES_NEED_APPROVAL
        if pool.leftover_to is not None:
            if pool.leftover_to == pool.code:
                errors["leftover_to"] = N_("A pool cannot pass its leftover money to itself.")
            elif pool.leftover_to not in targets:
                errors["leftover_to"] = N_(
                    "The pool that receives the leftover money must be another pool of this "
                    "edition."
                )
            elif _leftover_cycle(targets, pool.code):
                errors["leftover_to"] = N_(
                    "The leftover money would go round in a circle back to this pool. One pool "
                    "of the chain must keep its leftover money."
                )
        if errors:
            found[pool.code] = errors
    return found


def pool_rules_ensure_valid(
    *, vote_type: str, pools: Sequence[PoolRules], changed: str | None = None
) -> None:
    """``pool_rules_errors`` as a form error: the fields of the one pool that changed, or
    ``pools.<index>.<field>`` (as the import reports its other mistakes)."""
    found = pool_rules_errors(vote_type=vote_type, pools=pools, changed=changed)
    if not found:
        return
    if changed is not None:
        raise FormInvalid(found[changed])
    index = {pool.code: position for position, pool in enumerate(pools)}
    raise FormInvalid(
        {
            f"pools.{index[code]}.{field}": message
            for code, errors in found.items()
            for field, message in errors.items()
        }
    )


def _percent_valid(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return 0 <= value <= 100 and isinstance(exponent, int) and exponent >= -2


def _leftover_cycle(targets: Mapping[str, str | None], start: str) -> bool:
    """Whether following the leftover transfers from ``start`` comes back to it."""
    seen: set[str] = set()
    code = targets.get(start)
    while code is not None and code not in seen:
        if code == start:
            return True
        seen.add(code)
        code = targets.get(code)
    return False


def _pools_as_rules(pools: Sequence[Pool]) -> list[PoolRules]:
    codes = {pool.id: pool.code for pool in pools}
    return [
        PoolRules(
            code=pool.code,
            rule=pool.rule,
            min_votes=pool.min_votes,
            min_votes_percent=pool.min_votes_percent,
            leftover_to=codes.get(pool.leftover_to_pool_id),
        )
        for pool in pools
    ]


def _pool_id_of(pools: Sequence[Pool], code: str | None) -> int | None:
    return next((pool.id for pool in pools if pool.code == code), None) if code else None


async def pool_get(*, session: AsyncSession, edition: Edition, pool_id: int) -> Pool:
    pool = await repository.pool_by_id(session, edition.id, pool_id)
    if pool is None:
        raise NotFound()
    return pool


async def pool_rules_update(
    *,
    session: AsyncSession,
    edition: Edition,
    pool: Pool,
    data: PoolRulesIn,
    now: datetime | None = None,
) -> Pool:
    """Change how a pool picks its winners (rule, thresholds, where its leftover money
    goes); refused once voting has opened, like every other rule."""
    rules_ensure_editable(edition=edition, now=now)
    pools = await repository.pools_of(session, edition.id)
    changed = PoolRules(code=pool.code, **data.model_dump())
    settings = [changed if rules.code == pool.code else rules for rules in _pools_as_rules(pools)]
    pool_rules_ensure_valid(vote_type=edition.vote_type, pools=settings, changed=pool.code)
    pool.rule = data.rule
    pool.min_votes = data.min_votes
    pool.min_votes_percent = data.min_votes_percent
    pool.leftover_to_pool_id = _pool_id_of(pools, data.leftover_to)
    pool.mes_completion, pool.mes_add1_stop = data.mes_completion, data.mes_add1_stop
    pool.mes_add1_start, pool.mes_comparison = data.mes_add1_start, data.mes_comparison
    await session.flush()
    return pool
