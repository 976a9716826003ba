"""Paper sheets as the office follows them: lists by status and subtotals per collection
point and per day; when the desk is open, and its lock, which a sheet's write and the
results' publication both take."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.context import ResultsPublished
from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.editions import service as editions
from urna.editions.service import EditionSnapshot
from urna.voting import paper_repository
from urna.voting.models import PaperEntry

SUBTOTAL_STATUSES = ("counted", "conflict", "invalid", "awaiting_second", "mismatch")
SHEETS_UNSETTLED = N_(
    "Paper ballots are not settled yet: a sheet waits for its second entry, or its two "
    "entries differ. Results can be published when every sheet is settled (Paper ballots)."
)
RESULTS_OUT = N_(
    "The results of this edition have been published: paper ballots can no longer be entered."
)
WITHDRAWN_WAITING = N_(
    "A withdrawn paper sheet has not been entered again: type it again under its number, "
    "or record that number as an invalid sheet. Results can be published when it is "
    "(Paper ballots)."
)


@dataclass
class Subtotal:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUBTOTAL_STATUSES, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Subtotals:
    by_point_and_day: dict[tuple[str, date], Subtotal]
    by_point: dict[str, Subtotal]
    by_day: dict[date, Subtotal]
    overall: Subtotal


async def paper_subtotals(*, session: AsyncSession, edition_id: int) -> Subtotals:
    """Sheets per collection point and per day, by status."""
    cells: dict[tuple[str, date], Subtotal] = defaultdict(Subtotal)
    points: dict[str, Subtotal] = defaultdict(Subtotal)
    days: dict[date, Subtotal] = defaultdict(Subtotal)
    overall = Subtotal()
    rows = await paper_repository.paper_subtotal_rows(session, edition_id)
    for point, day, status, count in rows:
        for bucket in (cells[(point, day)], points[point], days[day], overall):
            bucket.counts[status] = bucket.counts.get(status, 0) + count
    return Subtotals(
        by_point_and_day=dict(cells),
        by_point=dict(sorted(points.items())),
        by_day=dict(sorted(days.items())),
        overall=overall,
    )


async def paper_sheet_get(
    *, session: AsyncSession, edition_id: int, entry_id: int
) -> PaperEntry | None:
    """A sheet (its first entry) of the edition."""
    entry = await paper_repository.paper_entry_get(session, entry_id)
    if entry is None or entry.edition_id != edition_id or entry.kind != "first":
        return None
    return entry


async def paper_sheets(
    *, session: AsyncSession, edition_id: int, status: str | None = None, limit: int = 200
) -> Sequence[PaperEntry]:
    return await paper_repository.paper_entries(session, edition_id, status=status, limit=limit)


async def paper_collection_points(*, session: AsyncSession, edition_id: int) -> list[str]:
    """The office's list of collection points (``voting.paper_points`` keeps it)."""
    return await paper_repository.collection_points_of(session, edition_id)


class PaperClosed(AppError):
    status_code = 409
    message = N_(
        "Paper ballots can be entered only from the opening of voting until the results date."
    )


def paper_closed_reason(
    snapshot: EditionSnapshot, *, published: bool, settling: bool = False, out: str = RESULTS_OUT
) -> str | None:
    """Why no sheet can be typed now (a msgid), or None. Paper ballots are typed while
    voting is open and after it, until the results date; a sheet already typed once is
    ``settling`` (second entry, resolution, withdrawal, typing a withdrawn one again)
    until the results are ``published``, which wait for it: then ``out``. A sheet typed
    once they are published is a ballot they do not count."""
    if not settling and editions.edition_phase(snapshot.edition) not in ("open", "closed"):
        return PaperClosed.message
    return out if published else None


async def paper_desk_hold(
    *,
    session: AsyncSession,
    snapshot: EditionSnapshot,
    published: ResultsPublished,
    settling: bool = False,
    out: str = RESULTS_OUT,
) -> None:
    """Hold the edition's desk for a sheet's write, then refuse it if the desk is closed.
    Held before ``published`` (``AppContext.results_published``) is asked, as
    ``paper_publication_blocker`` holds it: asked before a publication commits, it would
    let in a sheet those results leave out, stranded once they are out."""
    await paper_repository.paper_desk_lock(session, snapshot.edition.id)
    await _desk_open_ensure(session, snapshot, published, settling=settling, out=out)


async def paper_desk_hold_sheet(
    *, session: AsyncSession, snapshot: EditionSnapshot, published: ResultsPublished, sheet
) -> None:
    """``paper_desk_hold`` for a new sheet, numbered ``sheet`` (None: not read): one
    withdrawn and not typed again is settled by its typing, after the results date too
    (read once the desk is held)."""
    await paper_repository.paper_desk_lock(session, snapshot.edition.id)
    again = sheet is not None and bool(
        await paper_repository.paper_withdrawn_waiting(
            session, snapshot.edition.id, sheet=sheet, limit=1
        )
    )
    await _desk_open_ensure(session, snapshot, published, settling=again)


async def _desk_open_ensure(
    session: AsyncSession,
    snapshot: EditionSnapshot,
    published: ResultsPublished,
    *,
    settling: bool,
    out: str = RESULTS_OUT,
) -> None:
    """Refuse a sheet's write when the desk is closed (the desk already held)."""
    is_out = await published(session=session, edition=snapshot.edition)
    reason = paper_closed_reason(snapshot, published=is_out, settling=settling, out=out)
    if reason:
        raise PaperClosed(reason)


async def paper_withdrawn_waiting(*, session: AsyncSession, edition_id: int) -> list[PaperEntry]:
    """Sheets withdrawn whose number waits to be typed again (their withdrawn first entry)."""
    return list(await paper_repository.paper_withdrawn_waiting(session, edition_id))


async def paper_publication_blocker(session: AsyncSession, edition_id: int) -> str | None:
    """A reason (msgid) why the results must wait, or None (``AppContext.publish_checks``):
    a sheet typed once, or typed twice differently, is a ballot they would leave out.
    The desk is held from here to the publication's commit: a sheet typed meanwhile waits,
    then finds the results out (``paper_desk_hold``)."""
    await paper_repository.paper_desk_lock(session, edition_id)
    if await paper_repository.paper_sheet_waiting_exists(session, edition_id):
        return SHEETS_UNSETTLED
    return None


async def paper_withdrawn_blocker(session: AsyncSession, edition_id: int) -> str | None:
    """A reason (msgid) why the results must wait, or None (``AppContext.publish_checks``):
    a sheet withdrawn is a ballot to type again, which they would leave out. Ordered with
    the withdrawal and the typing by the desk, as ``paper_publication_blocker`` is."""
    await paper_repository.paper_desk_lock(session, edition_id)
    if await paper_repository.paper_withdrawn_waiting(session, edition_id, limit=1):
        return WITHDRAWN_WAITING
    return None
