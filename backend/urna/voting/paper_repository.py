"""The paper desk's queries: sheets and their entries, the collection points, the lock
that orders a sheet's write against the results' publication."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from urna.core.db import is_postgres, utcnow
from urna.voting.models import Ballot, CollectionPoint, PaperEntry, Voter

WITHDRAWN = "withdrawn"
LIVE = PaperEntry.status != WITHDRAWN  # a typing not withdrawn (``PAPER_LIVE``)

PAPER_DESK_LOCK = 0x50415045  # "PAPE": the advisory lock class of a desk, one per edition


async def paper_entry_get(session: AsyncSession, entry_id: int) -> PaperEntry | None:
    return await session.get(PaperEntry, entry_id)


async def paper_sheet_exists(session: AsyncSession, edition_id: int, sheet: str) -> bool:
    """Whether the sheet is typed in (a withdrawn typing aside: its number is free)."""
    result = await session.execute(
        select(PaperEntry.id)
        .where(PaperEntry.edition_id == edition_id, PaperEntry.sheet == sheet, LIVE)
        .limit(1)
    )
    return result.first() is not None


async def paper_sheet_live(
    session: AsyncSession, edition_id: int, sheets: Sequence[str]
) -> PaperEntry | None:
    """The sheet (its first entry, not withdrawn) under one of these spellings."""
    result = await session.execute(
        select(PaperEntry).where(
            PaperEntry.edition_id == edition_id,
            PaperEntry.kind == "first",
            PaperEntry.sheet.in_(sheets),
            LIVE,
        )
    )
    return result.scalars().first()


def _withdrawn_waiting(edition_id: int):
    """Sheets withdrawn (their first entry) whose number has not been typed again."""
    live = aliased(PaperEntry)
    again = (
        select(live.id)
        .where(
            live.edition_id == PaperEntry.edition_id,
            live.sheet == PaperEntry.sheet,
            live.kind == "first",
            live.status != WITHDRAWN,
        )
        .exists()
    )
    return select(PaperEntry).where(
        PaperEntry.edition_id == edition_id,
        PaperEntry.kind == "first",
        PaperEntry.status == WITHDRAWN,
        ~again,
    )


async def paper_withdrawn_waiting(
    session: AsyncSession, edition_id: int, *, sheet: str | None = None, limit: int = 200
) -> Sequence[PaperEntry]:
    query = _withdrawn_waiting(edition_id)
    if sheet is not None:
        query = query.where(PaperEntry.sheet == sheet)
    result = await session.execute(query.order_by(PaperEntry.id.desc()).limit(limit))
    return result.scalars().all()


async def paper_sheet_withdraw(
    session: AsyncSession, first: PaperEntry, reason: str, ballot: Ballot | None
) -> None:
    """Every typing of the sheet of ``first`` withdrawn, ``reason`` on its first entry,
    what they hold kept; its ``ballot`` withdrawn and its voter's keys released (the
    UNIQUE ones, so that the person can be typed again, and the lookup and signal ones,
    so that neither the verification team's search nor a fraud signal takes the
    withdrawn record for a second person). The sealed identity stays, until retention."""
    await session.execute(
        update(PaperEntry)
        .where(PaperEntry.edition_id == first.edition_id, PaperEntry.sheet == first.sheet, LIVE)
        .values(status=WITHDRAWN)
        .execution_options(synchronize_session="fetch")
    )
    first.status, first.invalid_reason = WITHDRAWN, reason
    if ballot is not None:
        ballot.status, ballot.withdrawn_at = WITHDRAWN, utcnow()
        released = dict.fromkeys(
            ("identity_key", "contact_key", "pesel_key", "lookup_key", "address_key",
             "guardian_key", "birth_order"),
        )  # fmt: skip
        await session.execute(update(Voter).where(Voter.id == ballot.voter_id).values(**released))
    await session.flush()


async def ballot_get(session: AsyncSession, ballot_id: int) -> Ballot | None:
    return await session.get(Ballot, ballot_id)


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
        .where(PaperEntry.edition_id == first.edition_id, PaperEntry.sheet == first.sheet, LIVE)
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
        query = query.where(PaperEntry.sheet == sheet, LIVE)
    result = await session.execute(query.order_by(PaperEntry.id.desc()).limit(limit))
    return result.scalars().all()


async def paper_subtotal_rows(
    session: AsyncSession, edition_id: int
) -> list[tuple[str, date, str, int]]:
    """(collection point, day, status, sheets) over the sheets (first entries) as they
    stand: a withdrawn typing is not a sheet of its own (its number is typed again)."""
    result = await session.execute(
        select(
            PaperEntry.collection_point,
            PaperEntry.collected_on,
            PaperEntry.status,
            func.count(),
        )
        .where(PaperEntry.edition_id == edition_id, PaperEntry.kind == "first", LIVE)
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


async def collection_point_rows(session: AsyncSession, edition_id: int) -> list[CollectionPoint]:
    result = await session.execute(
        select(CollectionPoint)
        .where(CollectionPoint.edition_id == edition_id)
        .order_by(CollectionPoint.name)
    )
    return list(result.scalars().all())


async def collection_point_get(
    session: AsyncSession, edition_id: int, point_id: int
) -> CollectionPoint | None:
    point = await session.get(CollectionPoint, point_id)
    return point if point is not None and point.edition_id == edition_id else None


async def collection_point_sheets(session: AsyncSession, edition_id: int, name: str) -> int:
    """Typings (of any sheet, withdrawn ones too) that name the point."""
    result = await session.execute(
        select(func.count()).where(
            PaperEntry.edition_id == edition_id, PaperEntry.collection_point == name
        )
    )
    return int(result.scalar_one())


async def collection_point_rename_sheets(
    session: AsyncSession, edition_id: int, old: str, new: str
) -> int:
    """Every typing that names the point ``old`` names it ``new``; how many."""
    result = await session.execute(
        update(PaperEntry)
        .where(PaperEntry.edition_id == edition_id, PaperEntry.collection_point == old)
        .values(collection_point=new)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)


# ---- retention ----------------------------------------------------------------------
