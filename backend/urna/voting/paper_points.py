"""Where paper sheets come from, and the sheets that cannot be counted.

The office keeps a list of collection points per edition: every sheet names one of them
(``PaperWindow.points``), so the subtotals per point add up. A sheet that cannot be
counted (unreadable, unsigned, not this edition's ballot) is recorded as invalid with the
operator's reason: it appears in the subtotals and the audit log, and no ballot is cast."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import field_validator
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.context import ResultsPublished
from urna.core.errors import AppError, FormInvalid, NotFound
from urna.core.i18n import N_
from urna.editions.models import Edition
from urna.editions.service import EditionSnapshot
from urna.voting import paper_repository, paper_sheets
from urna.voting.models import CollectionPoint, PaperEntry
from urna.voting.paper import SHEET_TAKEN, EntryNotAwaiting
from urna.voting.paper_ballot import PaperHeaderForm, paper_form_read
from urna.voting.schemas import REQUIRED, FormModel, form_parse, text

POINT_EXISTS = N_("This collection point is already on the list.")


class PointInUse(AppError):
    status_code = 409
    message = N_(
        "Paper sheets name this collection point (%(sheets)s), so it cannot be removed: "
        "their subtotals are made per point. If its name is wrong, rename it."
    )


class CollectionPointForm(FormModel):
    name: str

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        return text(value, limit=120, missing=REQUIRED)


class ReasonForm(FormModel):
    """Why a sheet is not counted, in the operator's words (kept with it, audited)."""

    reason: str

    @field_validator("reason", mode="before")
    @classmethod
    def _reason(cls, value: Any) -> str:
        return text(value, limit=500, missing=REQUIRED)


class PaperInvalidForm(PaperHeaderForm, ReasonForm):
    """A sheet that cannot be counted, and why (validation context: ``PaperWindow``)."""


async def _added(session: AsyncSession, row: object, refused: FormInvalid) -> None:
    """Write ``row`` in a SAVEPOINT; a UNIQUE clash is ``refused`` (the request goes on)."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as error:
        raise refused from error


async def collection_point_add(
    *, session: AsyncSession, edition: Edition, form: Mapping[str, str], actor_id: int | None
) -> str:
    """Add a point to the office's list (refused, on ``name``, when it is there already,
    in whatever letters: two spellings of one point would split its subtotals)."""
    name = form_parse(CollectionPointForm, form).name
    listed = await paper_repository.collection_points_of(session, edition.id)
    if name.casefold() in {point.casefold() for point in listed}:
        raise FormInvalid({"name": POINT_EXISTS})
    point = CollectionPoint(edition_id=edition.id, name=name)
    await _added(session, point, FormInvalid({"name": POINT_EXISTS}))
    await _point_audit(session, edition, actor_id, action="paper.point_add", details={"name": name})
    return name


async def _point_audit(
    session: AsyncSession, edition: Edition, actor_id: int | None, *, action: str, details: dict
) -> None:
    """A change of the edition's list of collection points, in the audit log."""
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action=action,
        target=f"paper:{edition.slug}",
        details=details,
    )


async def _point_held(session: AsyncSession, edition: Edition, point_id: int) -> CollectionPoint:
    """The point, with the desk held: a sheet typed meanwhile names the point as it is
    after this write (it reads the list under the same lock)."""
    await paper_repository.paper_desk_lock(session, edition.id)
    point = await paper_repository.collection_point_get(session, edition.id, point_id)
    if point is None:
        raise NotFound()
    return point


async def collection_point_rename(
    *,
    session: AsyncSession,
    edition: Edition,
    point_id: int,
    form: Mapping[str, str],
    actor_id: int | None,
) -> str:
    """Rename a point of the list, and the sheets that name it (their subtotals stay
    one); refused, on ``name``, when another point has that name in whatever letters."""
    point = await _point_held(session, edition, point_id)
    name = form_parse(CollectionPointForm, form).name
    listed = await paper_repository.collection_points_of(session, edition.id)
    if name.casefold() in {other.casefold() for other in listed if other != point.name}:
        raise FormInvalid({"name": POINT_EXISTS})
    old, point.name = point.name, name
    await _added(session, point, FormInvalid({"name": POINT_EXISTS}))
    sheets = await paper_repository.collection_point_rename_sheets(session, edition.id, old, name)
    details = {"from": old, "to": name, "sheets": sheets}
    await _point_audit(session, edition, actor_id, action="paper.point_rename", details=details)
    return name


async def collection_point_remove(
    *, session: AsyncSession, edition: Edition, point_id: int, actor_id: int | None
) -> str:
    """Remove a point no sheet names (one that sheets name: ``PointInUse``)."""
    point = await _point_held(session, edition, point_id)
    sheets = await paper_repository.collection_point_sheets(session, edition.id, point.name)
    if sheets:
        raise PointInUse(params={"sheets": sheets})
    await session.delete(point)
    await session.flush()
    await _point_audit(
        session, edition, actor_id, action="paper.point_remove", details={"name": point.name}
    )
    return point.name


async def paper_invalid_record(
    *,
    session: AsyncSession,
    snapshot: EditionSnapshot,
    operator_id: int,
    form: Mapping[str, str],
    published: ResultsPublished,
) -> PaperEntry:
    """Record a sheet that is not counted, with its reason; nothing about the resident is
    stored (no identity, no choices). A withdrawn sheet's number may be recorded so."""
    edition = snapshot.edition
    await paper_repository.paper_desk_lock(session, edition.id)  # the points too
    points = await paper_repository.collection_points_of(session, edition.id)
    sheet, errors = paper_form_read(
        snapshot=snapshot, form=form, model=PaperInvalidForm, points=points
    )
    await paper_sheets.paper_desk_hold_sheet(
        session=session, snapshot=snapshot, published=published, sheet=sheet and sheet.sheet
    )
    if errors:
        raise FormInvalid(errors)
    entry = PaperEntry(
        edition_id=edition.id,
        sheet=sheet.sheet,
        kind="first",
        collection_point=sheet.collection_point,
        collected_on=sheet.collected_on,
        operator_id=operator_id,
        status="invalid",
        invalid_reason=sheet.reason,
    )
    await _added(session, entry, FormInvalid({"sheet": SHEET_TAKEN}))
    await audit.audit_append(
        session=session,
        actor_id=operator_id,
        action="paper.invalid",
        target=f"paper:{edition.slug}/{entry.sheet}",
        reason=sheet.reason,
        details={"collection_point": sheet.collection_point, "day": sheet.collected_on},
    )
    return entry


# A sheet typed but not counted yet: a second typing or a settling is still to come.
VOIDABLE = ("awaiting_second", "mismatch")


async def paper_sheet_settle(
    *,
    session: AsyncSession,
    snapshot: EditionSnapshot,
    operator_id: int,
    entry_id: int,
    form: Mapping[str, str],
    published: ResultsPublished,
    statuses: tuple[str, ...],
    refused: type[AppError],
    action: str,
    settle: Callable[[PaperEntry, str], Awaitable[dict[str, Any]]],
    out: str = paper_sheets.RESULTS_OUT,
) -> PaperEntry:
    """Settle a sheet already typed, with the reason given for it (voided, withdrawn):
    the desk held (``out`` once the results are published), the sheet (its first entry)
    at one of ``statuses`` or ``refused``; ``settle(first, reason)`` writes and returns
    the details for the audit log, ``action``."""
    await paper_sheets.paper_desk_hold(
        session=session, snapshot=snapshot, published=published, settling=True, out=out
    )
    reason = form_parse(ReasonForm, form).reason
    edition = snapshot.edition
    first = await paper_sheets.paper_sheet_get(
        session=session, edition_id=edition.id, entry_id=entry_id
    )
    if first is None:
        raise NotFound()
    if first.status not in statuses:
        raise refused()
    details = await settle(first, reason)
    await audit.audit_append(
        session=session,
        actor_id=operator_id,
        action=action,
        target=f"paper:{edition.slug}/{first.sheet}",
        reason=reason,
        details=details,
    )
    return first


async def paper_sheet_void(
    *,
    session: AsyncSession,
    snapshot: EditionSnapshot,
    operator_id: int,
    entry_id: int,
    form: Mapping[str, str],
    published: ResultsPublished,
) -> PaperEntry:
    """A sheet typed but not counted yet recorded as invalid after all, with the reason:
    its paper turns out void on a second reading, or its number was typed by mistake (the
    ballot is then typed again under its right number). What was typed is dropped; the
    publication, which waits for every sheet to be settled, no longer waits for it."""

    async def void(first: PaperEntry, reason: str) -> dict[str, Any]:
        was = first.status
        await paper_repository.paper_sheet_void(session, first, reason)
        return {"was": was}

    return await paper_sheet_settle(
        session=session,
        snapshot=snapshot, operator_id=operator_id, entry_id=entry_id, form=form,
        published=published,
        statuses=VOIDABLE, refused=EntryNotAwaiting, action="paper.void", settle=void,
    )  # fmt: skip
