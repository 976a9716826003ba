"""Paper ballots, typed in by staff operators.

A paper ballot goes through the same identity rules, the same keyed HMACs and the same
insert with its UNIQUE keys (``ballots.ballot_place``, channel ``paper``) as an online
ballot: a resident who voted online cannot also vote on paper, nor the other way round.
The conflict is shown to the operator and written, with every other entry, to the audit
log.

Optional double entry: the first typing waits; a second operator re-types the sheet
without seeing the first; equal typings are cast, differences are listed by field and
settled by a resolution typing.

Each typing is written first, in a SAVEPOINT (a sheet typed twice at the same moment is
refused before anything else is written), then the ballot is cast in a SAVEPOINT of its
own (a resident who already voted is a conflict recorded on the sheet, not an error), then
the audit log; the request's unit of work commits them together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.context import ResultsPublished
from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.core.errors import AppError, FormInvalid, NotFound
from urna.core.i18n import N_
from urna.documents import service as documents
from urna.editions.service import EditionSnapshot
from urna.voting import ballots, paper_repository, receipts
from urna.voting.models import PaperEntry
from urna.voting.paper_ballot import (
    PaperBallot,
    PaperHeaderForm,
    PaperResolveForm,
    entries_differences,
    entry_values,
    paper_form_read,
    paper_validate,
)
from urna.voting.paper_sheets import paper_desk_hold, paper_desk_hold_sheet, paper_sheet_get

SHEET_TAKEN = N_(
    "This sheet number has already been entered. If you have just saved this sheet, it is "
    "recorded: do not type it again. Otherwise check the number written on the paper."
)


class EntryNotAwaiting(AppError):
    status_code = 409
    message = N_("This sheet is not waiting for this entry (it may have been entered already).")


class SecondOperatorRequired(AppError):
    status_code = 409
    message = N_("The second entry must be typed by another operator.")


class NoClause(AppError):
    status_code = 409
    message = N_("This edition has no information clause; publish it first.")


@dataclass
class PaperOutcome:
    status: str  # counted | conflict | awaiting_second | mismatch | invalid
    sheet: str
    entry_id: int
    conflict: str = ""
    mismatch_fields: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, entry: PaperEntry) -> PaperOutcome:
        """How the sheet stands, as its first entry carries it."""
        return cls(
            status=entry.status,
            sheet=entry.sheet,
            entry_id=entry.id,
            conflict=entry.conflict,
            mismatch_fields=list(entry.mismatch_fields),
        )


@dataclass
class _Desk:
    """One operator typing sheets of one edition, in the request's unit of work."""

    session: AsyncSession
    crypto: Crypto
    snapshot: EditionSnapshot
    operator_id: int
    request_id: str | None = None

    async def clause_id(self) -> int:
        """The clause version a paper voter is taken to have been shown: the latest."""
        clause = await documents.document_latest(
            session=self.session, kind="clause", edition=self.snapshot.edition
        )
        if clause is None:
            raise NoClause()
        return clause.id

    async def audit(self, sheet: str, *, action: str, details: dict[str, Any]) -> None:
        await audit.audit_append(
            session=self.session,
            actor_id=self.operator_id,
            action=action,
            target=f"paper:{self.snapshot.edition.slug}/{sheet}",
            details=details,
        )

    async def entry_record(
        self,
        ballot: PaperBallot,
        *,
        sheet: PaperHeaderForm | PaperEntry,
        kind: str,
        status: str,
        refused: AppError,
        double_entry: bool = True,
        mismatch_fields: Sequence[str] = (),
    ) -> PaperEntry:
        """Write one typing of ``sheet`` (encrypted) in a SAVEPOINT; ``refused`` when this
        typing of the sheet exists already (typed elsewhere at the same moment)."""
        entry = PaperEntry(
            edition_id=self.snapshot.edition.id,
            sheet=sheet.sheet,
            kind=kind,
            double_entry=double_entry,
            collection_point=sheet.collection_point,
            collected_on=sheet.collected_on,
            operator_id=self.operator_id,
            status=status,
            data_enc=ballot.sealed(self.crypto),
            mismatch_fields=list(mismatch_fields),
        )
        try:
            async with self.session.begin_nested():
                self.session.add(entry)
                await self.session.flush()
        except IntegrityError as error:
            raise refused from error
        return entry

    async def cast(
        self,
        ballot: PaperBallot,
        *,
        marked: Sequence[PaperEntry],
        action: str,
        details: dict[str, Any],
    ) -> None:
        """Cast the ballot (or find that this resident already has one), mark the entries
        that carry the sheet's status, and write it to the audit log."""
        placed = await ballots.ballot_place(
            session=self.session,
            edition=self.snapshot.edition,
            voter=ballot.voter,
            clause_id=await self.clause_id(),
            channel="paper",
            receipt_hash=receipts.receipt_hash(self.crypto, receipts.receipt_new()),
            submitted_at=utcnow(),
            meta=ballots.RequestMeta(request_id=self.request_id),
            choices=ballot.choices,
            autocommit=False,
        )
        for entry in marked:
            entry.status = "counted" if placed.ballot_id else "conflict"
            entry.ballot_id, entry.conflict = placed.ballot_id, placed.conflict
        if placed.ballot_id is None:
            action, details = "paper.conflict", {**details, "conflict": placed.conflict}
        else:
            details = {**details, "ballot_id": placed.ballot_id}
        await self.audit(marked[0].sheet, action=action, details=details)


async def _sheet_at(
    session: AsyncSession, snapshot: EditionSnapshot, entry_id: int, status: str
) -> PaperEntry:
    """The sheet (its first entry), which must be at ``status``."""
    entry = await paper_sheet_get(
        session=session, edition_id=snapshot.edition.id, entry_id=entry_id
    )
    if entry is None:
        raise NotFound()
    if entry.status != status:
        raise EntryNotAwaiting()
    return entry


async def paper_first_enter(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    operator_id: int,
    form: Mapping[str, str],
    picked: Sequence[str],
    published: ResultsPublished,
    request_id: str | None = None,
) -> PaperOutcome:
    """The first (or only) typing of a sheet. Without double entry the ballot is cast at
    once; with it, the entry waits for a second operator. A sheet withdrawn is typed
    again so, under its number (``paper_withdraw``)."""
    await paper_repository.paper_desk_lock(session, snapshot.edition.id)  # the points too
    points = await paper_repository.collection_points_of(session, snapshot.edition.id)
    header, errors = paper_form_read(
        snapshot=snapshot, form=form, model=PaperHeaderForm, points=points
    )
    await paper_desk_hold_sheet(
        session=session, snapshot=snapshot, published=published, sheet=header and header.sheet
    )
    desk = _Desk(session, crypto, snapshot, operator_id, request_id)
    ballot = await paper_validate(
        session=session,
        crypto=crypto,
        snapshot=snapshot,
        form=form,
        picked=picked,
        collected_on=header.collected_on if header else None,
        errors=errors,
    )
    if await paper_repository.paper_sheet_exists(session, snapshot.edition.id, header.sheet):
        raise FormInvalid({"sheet": SHEET_TAKEN})
    await desk.clause_id()  # refused before anything is written
    entry = await desk.entry_record(
        ballot,
        sheet=header,
        kind="first",
        status="awaiting_second" if header.double_entry else "counted",
        refused=FormInvalid({"sheet": SHEET_TAKEN}),
        double_entry=header.double_entry,
    )
    details = {"collection_point": header.collection_point, "day": header.collected_on}
    if header.double_entry:
        await desk.audit(entry.sheet, action="paper.first_entry", details=details)
    else:
        await desk.cast(ballot, marked=[entry], action="paper.cast", details=details)
    return PaperOutcome.of(entry)


async def paper_second_sheet(
    *, session: AsyncSession, snapshot: EditionSnapshot, operator_id: int, entry_id: int
) -> PaperEntry:
    """The sheet this operator may type a second time: waiting for it, first typed by
    someone else (the page says so before the typing, the typing is refused after)."""
    first = await _sheet_at(session, snapshot, entry_id, "awaiting_second")
    if first.operator_id == operator_id:
        raise SecondOperatorRequired()
    return first


async def paper_second_enter(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    operator_id: int,
    entry_id: int,
    form: Mapping[str, str],
    picked: Sequence[str],
    published: ResultsPublished,
    request_id: str | None = None,
) -> PaperOutcome:
    """The second, blind typing by another operator: cast if both typings agree,
    otherwise list the fields that differ."""
    await paper_desk_hold(session=session, snapshot=snapshot, published=published, settling=True)
    desk = _Desk(session, crypto, snapshot, operator_id, request_id)
    first = await paper_second_sheet(
        session=session, snapshot=snapshot, operator_id=operator_id, entry_id=entry_id
    )
    ballot = await paper_validate(
        session=session,
        crypto=crypto,
        snapshot=snapshot,
        form=form,
        picked=picked,
        collected_on=first.collected_on,
    )
    differences = entries_differences(
        await entry_values(session=session, crypto=crypto, entry=first), ballot.values
    )
    await desk.entry_record(
        ballot,
        sheet=first,
        kind="second",
        status="mismatch" if differences else "matched",
        refused=EntryNotAwaiting(),
        mismatch_fields=differences,
    )
    details = {"collection_point": first.collection_point, "day": first.collected_on}
    if differences:
        first.status, first.mismatch_fields = "mismatch", differences
        mismatch = {**details, "fields": differences}
        await desk.audit(first.sheet, action="paper.mismatch", details=mismatch)
    else:
        details["double_entry"] = True
        await desk.cast(ballot, marked=[first], action="paper.cast", details=details)
    return PaperOutcome.of(first)


@dataclass
class Mismatch:
    entry: PaperEntry
    rows: list[tuple[str, Any, Any]]


async def paper_mismatch_show(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    operator_id: int,
    entry_id: int,
) -> Mismatch:
    """Both typings of a mismatched sheet, field by field. Showing them reveals identity
    data, so it is written to the audit log."""
    first = await _sheet_at(session, snapshot, entry_id, "mismatch")
    seconds = await paper_repository.paper_entries(
        session, first.edition_id, kind="second", sheet=first.sheet, limit=1
    )
    one = await entry_values(session=session, crypto=crypto, entry=first)
    two = await entry_values(session=session, crypto=crypto, entry=seconds[0]) if seconds else {}
    rows = [(name, one.get(name, ""), two.get(name, "")) for name in first.mismatch_fields]
    await audit.audit_append(
        session=session,
        actor_id=operator_id,
        action="identity.unmask",
        target=f"paper:{snapshot.edition.slug}/{first.sheet}",
        reason="double entry mismatch review",
        details={"fields": list(first.mismatch_fields)},
    )
    return Mismatch(entry=first, rows=rows)


async def paper_resolve(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    operator_id: int,
    entry_id: int,
    form: Mapping[str, str],
    picked: Sequence[str],
    published: ResultsPublished,
    request_id: str | None = None,
) -> PaperOutcome:
    """Settle a mismatch: an operator types the sheet once more from the paper, and that
    typing is cast."""
    await paper_desk_hold(session=session, snapshot=snapshot, published=published, settling=True)
    desk = _Desk(session, crypto, snapshot, operator_id, request_id)
    first = await _sheet_at(session, snapshot, entry_id, "mismatch")
    note, errors = paper_form_read(snapshot=snapshot, form=form, model=PaperResolveForm)
    ballot = await paper_validate(
        session=session,
        crypto=crypto,
        snapshot=snapshot,
        form=form,
        picked=picked,
        collected_on=first.collected_on,
        errors=errors,
    )
    resolution = await desk.entry_record(
        ballot, sheet=first, kind="resolution", status="counted", refused=EntryNotAwaiting()
    )
    details = {"collection_point": first.collection_point, "reason": note.reason}
    await desk.cast(ballot, marked=[first, resolution], action="paper.resolve", details=details)
    return PaperOutcome.of(first)
