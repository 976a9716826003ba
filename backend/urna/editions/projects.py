"""One project of an edition, as the console adds, changes or deletes it: only before voting
opens (every resident chooses among the same projects, described the same way), each
change in the audit log in the caller's unit of work; nothing here commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.errors import AppError, FormInvalid
from urna.core.i18n import N_
from urna.editions import repository
from urna.editions.conflicts import unique_writes
from urna.editions.models import Edition, Project
from urna.editions.phases import rules_ensure_editable
from urna.editions.schemas import OUTSIDE_POOL_AREA, ProjectIn, area_outside_pool
from urna.editions.service import change_record, rows_create

# What a project's form sets directly; its pool and area are named by their codes.
FIELDS = ("number", "title", "description", "cost", "category", "location", "latitude", "longitude")
UNKNOWN_POOL = N_("Unknown pool code.")
UNKNOWN_AREA = N_("Unknown area code.")


class ProjectInUse(AppError):
    """A ballot names the project already (voting opened while the change was on its way):
    the database refused the change, and it is told as the conflict it is."""

    status_code = 409
    message = N_(
        "Ballots already name this project, so it can no longer be changed or deleted. "
        "Nothing was saved."
    )


async def project_create(
    *, session: AsyncSession, edition: Edition, data: ProjectIn, actor_id: int | None
) -> None:
    """Add one project (the console's form) to an edition that has not opened yet."""
    rules_ensure_editable(edition=edition)
    await _places(session, edition, data)  # its pool and area, refused on their fields
    await rows_create(session=session, edition=edition, projects=[data])
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.project_add",
        edition=edition,
        details={"number": data.number},
    )


async def _places(session: AsyncSession, edition: Edition, data: ProjectIn) -> dict[str, Any]:
    """The pool and area ``data`` names by code, as the project's columns; an unknown code
    is refused on its field."""
    pools = {pool.code: pool for pool in await repository.pools_of(session, edition.id)}
    areas = {area.code: area.id for area in await repository.areas_of(session, edition.id)}
    errors = {}
    if data.pool not in pools:
        errors["pool"] = UNKNOWN_POOL
    if data.area and data.area not in areas:
        errors["area"] = UNKNOWN_AREA
    elif data.pool in pools and pools[data.pool].kind == "district":
        if area_outside_pool(areas.get(data.area or ""), pools[data.pool].area_id):
            errors["area"] = OUTSIDE_POOL_AREA
    if errors:
        raise FormInvalid(errors)
    return {"pool_id": pools[data.pool].id, "area_id": areas[data.area] if data.area else None}


async def project_update(
    *,
    session: AsyncSession,
    edition: Edition,
    project: Project,
    data: ProjectIn,
    actor_id: int | None,
    now: datetime | None = None,
) -> Project:
    """Change a project (the same fields and checks as adding one) before voting opens;
    a new number must be free in the edition (``FormInvalid`` on ``number``)."""
    rules_ensure_editable(edition=edition, now=now)
    wanted = {name: getattr(data, name) for name in FIELDS} | await _places(session, edition, data)
    changes = {name: value for name, value in wanted.items() if getattr(project, name) != value}
    if not changes:
        return project
    previous = project.number
    async with unique_writes(session, otherwise=ProjectInUse()):
        for name, value in changes.items():
            setattr(project, name, value)
        await session.flush()
    details: dict[str, Any] = {
        "number": project.number,
        "fields": sorted(name.removesuffix("_id") for name in changes),
    }
    if previous != project.number:
        details["previous_number"] = previous
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.project_update",
        edition=edition,
        details=details,
    )
    return project


async def project_delete(
    *,
    session: AsyncSession,
    edition: Edition,
    project: Project,
    actor_id: int | None,
    now: datetime | None = None,
) -> None:
    """Delete a project, with its pictures, before voting opens."""
    rules_ensure_editable(edition=edition, now=now)
    number, title = project.number, project.title
    async with unique_writes(session, otherwise=ProjectInUse()):
        await session.delete(project)
        await session.flush()
    await change_record(
        session=session,
        actor_id=actor_id,
        action="edition.project_delete",
        edition=edition,
        details={"number": number, "title": title},
    )
