"""The paper desk's queries: sheets and their entries, the collection points, the lock
that orders a sheet's write against the results' publication."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import is_postgres
from urna.voting.models import CollectionPoint, PaperEntry

PAPER_DESK_LOCK = 0x50415045  # "PAPE": the advisory lock class of a desk, one per edition


async def paper_entry_get(session: AsyncSession, entry_id: int) -> PaperEntry | None:
    return await session.get(PaperEntry, entry_id)


async def paper_sheet_exists(session: AsyncSession, edition_id: int, sheet: str) -> bool:
    result = await session.execute(
        select(PaperEntry.id)
        .where(PaperEntry.edition_id == edition_id, PaperEntry.sheet == sheet)
        .limit(1)
    )
    return result.first() is not None


async def paper_desk_lock(session: AsyncSession, edition_id: int) -> None:
    """Hold the edition's paper desk until the unit of work ends: a sheet's write and the
    results' publication each take it before reading the other's state (SQLite: no-op)."""
    if is_postgres(session):
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:kind, :edition_id)"),
            {"kind": PAPER_DESK_LOCK, "edition_id": edition_id},
        )


async def paper_sheet_void(session: AsyncSession, first: PaperEntry, reason: str) -> None:
    """The sheet of ``first`` (its first entry) invalid with ``reason``; what any of its
    entries held of the resident dropped."""
    await session.execute(
        update(PaperEntry)
        .where(PaperEntry.edition_id == first.edition_id, PaperEntry.sheet == first.sheet)
        .values(data_enc=None)
    )
    first.status, first.invalid_reason, first.data_enc = "invalid", reason, None
    first.mismatch_fields = []
    await session.flush()


async def paper_sheet_waiting_exists(session: AsyncSession, edition_id: int) -> bool:
    """Whether a sheet of the edition waits for its second entry or for its resolution."""
    result = await session.execute(
        select(PaperEntry.id)
        .where(
            PaperEntry.edition_id == edition_id,
            PaperEntry.kind == "first",
            PaperEntry.status.in_(("awaiting_second", "mismatch")),
        )
        .limit(1)
    )
    return result.first() is not None


async def paper_entries(
    session: AsyncSession,
    edition_id: int,
    *,
    kind: str = "first",
    status: str | None = None,
    sheet: str | None = None,
    limit: int = 200,
) -> Sequence[PaperEntry]:
    query = select(PaperEntry).where(PaperEntry.edition_id == edition_id, PaperEntry.kind == kind)
    if status is not None:
        query = query.where(PaperEntry.status == status)
    if sheet is not None:
        query = query.where(PaperEntry.sheet == sheet)
    result = await session.execute(query.order_by(PaperEntry.id.desc()).limit(limit))
    return result.scalars().all()


async def paper_subtotal_rows(
    session: AsyncSession, edition_id: int
) -> list[tuple[str, date, str, int]]:
    """(collection point, day, status, sheets) over the sheets (first entries)."""
    result = await session.execute(
        select(
            PaperEntry.collection_point,
            PaperEntry.collected_on,
            PaperEntry.status,
            func.count(),
        )
        .where(PaperEntry.edition_id == edition_id, PaperEntry.kind == "first")
        .group_by(PaperEntry.collection_point, PaperEntry.collected_on, PaperEntry.status)
        .order_by(PaperEntry.collection_point, PaperEntry.collected_on)
    )
    return [(row[0], row[1], row[2], int(row[3])) for row in result.all()]


async def collection_points_of(session: AsyncSession, edition_id: int) -> list[str]:
    """The office's collection points of an edition, by name."""
    result = await session.execute(
        select(CollectionPoint.name)
        .where(CollectionPoint.edition_id == edition_id)
        .order_by(CollectionPoint.name)
    )
    return list(result.scalars().all())


# ---- retention ----------------------------------------------------------------------
