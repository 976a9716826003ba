"""Editions: creating and changing an edition, its areas, pools, projects and streets, with
the rule that frozen rules stay frozen. Every change a staff member makes is recorded in
the audit log in the same unit of work; nothing here commits.

The domain's other parts are reached through this module too: the phases (``phases``)
and the snapshot the public pages and the vote read (``snapshot``). One project's own
changes in the console (add, edit, delete) are in ``projects``; the constraints a write
may meet, and how each is told to the office, in ``conflicts``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.errors import AppError, FormInvalid, NotFound, validation_messages
from urna.core.i18n import N_
from urna.editions import imports, repository
from urna.editions.conflicts import POOL_EXISTS, unique_writes
from urna.editions.imports import MAX_UPLOAD_BYTES as MAX_UPLOAD_BYTES
from urna.editions.imports import edition_json_read as edition_json_read
from urna.editions.imports import edition_parse as edition_parse
from urna.editions.models import Area, Edition, Pool, Project, Street, StreetRange
from urna.editions.phases import BallotTypeOffline as BallotTypeOffline
from urna.editions.phases import RulesFrozen as RulesFrozen
from urna.editions.phases import VotingClosed as VotingClosed
from urna.editions.phases import edition_phase as edition_phase
from urna.editions.phases import rules_ensure_editable
from urna.editions.phases import voting_ensure_open as voting_ensure_open
from urna.editions.pool_rules import (
    EQUAL_SHARES_NEED_APPROVAL_POOLS,
    PoolRules,
    pool_id_of,
    pool_rules_ensure_valid,
    pools_as_rules,
)
from urna.editions.schemas import AreaIn, EditionIn, PoolIn, PoolRulesIn, ProjectIn, StreetIn
from urna.editions.snapshot import EditionSnapshot as EditionSnapshot
from urna.editions.snapshot import RegisterStreet as RegisterStreet
from urna.editions.snapshot import Snapshots as Snapshots
from urna.editions.snapshot import catalogue_search as catalogue_search
from urna.editions.snapshot import edition_snapshot as edition_snapshot
from urna.editions.snapshot import edition_snapshot_cached as edition_snapshot_cached
from urna.editions.snapshot import project_get as project_get
from urna.editions.snapshot import snapshot_cache as snapshot_cache


async def change_record(
    *, session: AsyncSession, actor_id: int | None, action: str, edition: Edition, details: dict
) -> None:
    """A change to ``edition`` in the audit log (in the caller's unit of work)."""
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action=action,
        target=f"edition:{edition.slug}",
        details=details,
    )


class EditionUnknown(NotFound):
    message = N_("There is no edition with the address %(slug)s.")


async def edition_get(*, session: AsyncSession, slug: str) -> Edition:
    edition = await repository.edition_by_slug(session, slug)
    if edition is None:  # named back when it is a name at all (not 5,000 characters)
        raise EditionUnknown(params={"slug": slug}) if len(slug) <= 80 else NotFound()
    return edition


async def pool_first_code(*, session: AsyncSession, edition: Edition) -> str:
    """The code of the edition's first pool (as its pages list them), "" without pools."""
    pools = await repository.pools_of(session, edition.id)
    return pools[0].code if pools else ""


async def editions_list(*, session: AsyncSession) -> Sequence[Edition]:
    return await repository.editions_all(session)


async def edition_create(
    *, session: AsyncSession, data: EditionIn, actor_id: int | None = None
) -> Edition:
    """Create an edition with its areas, streets, pools and projects, all or nothing.

    With ``actor_id`` (a staff member's form) the creation is recorded in the audit log;
    an import records its own event."""
    pool_rules_ensure_valid(vote_type=data.vote_type, pools=[PoolRules.of(p) for p in data.pools])
    fields = data.model_dump(exclude={"areas", "streets", "pools", "projects", "clause"})
    async with unique_writes(session):
        edition = Edition(**fields)
        session.add(edition)
        await session.flush()
        areas: dict[str, Area] = {}
        for area_in in data.areas:
            areas[area_in.code] = Area(edition_id=edition.id, code=area_in.code, name=area_in.name)
            session.add(areas[area_in.code])
        await session.flush()
        pools: dict[str, Pool] = {}
        for position, pool_in in enumerate(data.pools):
            pools[pool_in.code] = Pool(
                edition_id=edition.id,
                position=position,
                area_id=areas[pool_in.area].id if pool_in.area else None,
                **pool_in.model_dump(exclude={"area", "leftover_to"}),
            )
            session.add(pools[pool_in.code])
        await session.flush()
        for pool_in in data.pools:
            if pool_in.leftover_to:
                pools[pool_in.code].leftover_to_pool_id = pools[pool_in.leftover_to].id
        await _streets_add(session, edition, data.streets, areas)
        _rows_add(session, edition, data.projects, pools, areas)
        await session.flush()
    if actor_id is not None:
        await change_record(
            session=session,
            actor_id=actor_id,
            action="edition.create",
            edition=edition,
            details={"source": "form"},
        )
    return edition


async def _streets_add(
    session: AsyncSession, edition: Edition, streets: Sequence[StreetIn], areas: dict[str, Area]
) -> None:
    """The register's streets: a street of one area as one row, a split street (its parts
    named with their house numbers, ``StreetIn.ranged``) as one row and a range a part."""
    parts: dict[object, list[StreetIn]] = {}
    for index, street in enumerate(streets):  # a whole street named twice: the key refuses it
        parts.setdefault(street.name.casefold() if street.ranged else index, []).append(street)
    added = []
    for named in parts.values():
        area_id = None if named[0].ranged else areas[named[0].area].id
        added.append((Street(edition_id=edition.id, name=named[0].name, area_id=area_id), named))
    session.add_all(street for street, _ in added)
    await session.flush()
    for street, named in added:
        session.add_all(
            StreetRange(street_id=street.id, area_id=areas[part.area].id, **part.span()._asdict())
            for part in named
            if part.ranged
        )


def _rows_add(
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


async def rows_create(
    *,
    session: AsyncSession,
    edition: Edition,
    streets: Sequence[StreetIn] = (),
    projects: Sequence[ProjectIn] = (),
    now: datetime | None = None,
) -> None:
    """Add streets or projects to an edition, all or none; refused once voting has opened."""
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
    async with unique_writes(session):
        await _streets_add(session, edition, streets, areas)
        _rows_add(session, edition, projects, pools, areas)
        await session.flush()


# How a CSV import is recorded in the audit log, by its kind of rows (imports.CSV_KINDS):
# each code written out, so the console's names for the codes can be checked against them.
IMPORT_ACTIONS = {"projects": "edition.projects_import", "streets": "edition.streets_import"}


async def rows_import(
    *, session: AsyncSession, edition: Edition, kind: str, text: str, actor_id: int | None
) -> int:
    """Add the rows of a CSV file, all or none, after the checks of the preview
    (``PreviewInvalid`` shows them). A staff member's import (``actor_id``) is recorded in
    the audit log."""
    preview = await imports.rows_preview(session=session, edition=edition, kind=kind, text=text)
    if not preview.ok:
        raise imports.PreviewInvalid(preview)
    rows = {kind: [row.as_input() for row in preview.parsed]}  # projects= or streets=
    await rows_create(session=session, edition=edition, **rows)
    if actor_id is not None:
        await change_record(
            session=session,
            actor_id=actor_id,
            action=IMPORT_ACTIONS[kind],
            edition=edition,
            details={"rows": len(preview.parsed)},
        )
    return len(preview.parsed)


# What an edition's page may change before voting opens: all but its address, its
# municipality and its contents (areas, streets, pools, projects, clause).
EDITABLE_FIELDS = frozenset(EditionIn.model_fields) - {
    *("slug", "municipality", "areas", "streets", "pools", "projects", "clause")
}
_ANY_POOL = [{"code": "x", "name": "x", "budget": 1}]  # the pools are checked on their own


async def edition_update(
    *,
    session: AsyncSession,
    edition: Edition,
    changes: dict[str, Any],
    actor_id: int | None,
    now: datetime | None = None,
) -> Edition:
    """Change an edition's rules; refused with a clear error once voting has opened."""
    rules_ensure_editable(edition=edition, now=now)
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise AppError(
            N_("These fields cannot be changed: %(fields)s"),
            params={"fields": ", ".join(sorted(unknown))},
        )
    changes = {name: value for name, value in changes.items() if getattr(edition, name) != value}
    if not changes:
        return edition
    current = {name: getattr(edition, name) for name in EDITABLE_FIELDS | {"slug", "municipality"}}
    try:
        merged = EditionIn.model_validate({**current, **changes, "pools": _ANY_POOL})
    except ValidationError as error:
        raise FormInvalid(validation_messages(error)) from error
    if "vote_type" in changes and merged.vote_type != "approval":
        pools = await repository.pools_of(session, edition.id)
        if any(pool.rule == "equal_shares" for pool in pools):
            raise FormInvalid({"vote_type": EQUAL_SHARES_NEED_APPROVAL_POOLS})
    for key in changes:
        setattr(edition, key, getattr(merged, key))
    await session.flush()
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.update",
        edition=edition,
        details={"fields": sorted(changes)},
    )
    return edition


async def area_create(
    *,
    session: AsyncSession,
    edition: Edition,
    data: AreaIn,
    actor_id: int | None,
    now: datetime | None = None,
) -> Area:
    """Add an area (district) to an edition that has not opened yet."""
    rules_ensure_editable(edition=edition, now=now)
    async with unique_writes(session):
        area = Area(edition_id=edition.id, code=data.code, name=data.name)
        session.add(area)
        await session.flush()
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.area_add",
        edition=edition,
        details={"code": data.code},
    )
    return area


async def pool_get(*, session: AsyncSession, edition: Edition, pool_id: int) -> Pool:
    pool = await repository.pool_by_id(session, edition.id, pool_id)
    if pool is None:
        raise NotFound()
    return pool


async def pool_create(
    *,
    session: AsyncSession,
    edition: Edition,
    data: PoolIn,
    actor_id: int | None,
    now: datetime | None = None,
) -> Pool:
    """Add a pool to an edition that has not opened yet (a district pool needs its area)."""
    rules_ensure_editable(edition=edition, now=now)
    areas = {a.code: a for a in await repository.areas_of(session, edition.id)}
    if data.area and data.area not in areas:
        raise FormInvalid({"area": N_("Unknown area code.")})
    existing = await repository.pools_of(session, edition.id)
    if any(pool.code == data.code for pool in existing):
        raise FormInvalid({"code": POOL_EXISTS})  # before its rules are compared by code
    pool_rules_ensure_valid(
        vote_type=edition.vote_type,
        pools=[*pools_as_rules(existing), PoolRules.of(data)],
        changed=data.code,
    )
    async with unique_writes(session):
        pool = Pool(
            edition_id=edition.id,
            position=len(existing),
            area_id=areas[data.area].id if data.area else None,
            leftover_to_pool_id=pool_id_of(existing, data.leftover_to),
            **data.model_dump(exclude={"area", "leftover_to"}),
        )
        session.add(pool)
        await session.flush()
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.pool_add",
        edition=edition,
        details={"code": data.code, "budget": data.budget, **_rules_details(data)},
    )
    return pool


async def pool_rules_update(
    *,
    session: AsyncSession,
    edition: Edition,
    pool: Pool,
    data: PoolRulesIn,
    actor_id: int | None,
    now: datetime | None = None,
) -> Pool:
    """Change how a pool picks its winners (rule, thresholds, where its leftover money
    goes); refused once voting has opened, like every other rule."""
    rules_ensure_editable(edition=edition, now=now)
    pools = await repository.pools_of(session, edition.id)
    changed = PoolRules(code=pool.code, **data.model_dump())
    settings = [changed if rules.code == pool.code else rules for rules in pools_as_rules(pools)]
    pool_rules_ensure_valid(vote_type=edition.vote_type, pools=settings, changed=pool.code)
    pool.rule = data.rule
    pool.min_votes = data.min_votes
    pool.min_votes_percent = data.min_votes_percent
    pool.leftover_to_pool_id = pool_id_of(pools, data.leftover_to)
    pool.mes_completion, pool.mes_add1_stop = data.mes_completion, data.mes_add1_stop
    pool.mes_add1_start, pool.mes_comparison = data.mes_add1_start, data.mes_comparison
    await session.flush()
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.pool_rules",
        edition=edition,
        details={"code": pool.code, **_rules_details(data)},
    )
    return pool


def _rules_details(data: PoolRulesIn) -> dict[str, Any]:
    """The rule settings for the audit log (JSON: the percentage as text)."""
    details = data.model_dump(include=set(PoolRulesIn.model_fields))
    if data.min_votes_percent is not None:
        details["min_votes_percent"] = str(data.min_votes_percent)
    return details
