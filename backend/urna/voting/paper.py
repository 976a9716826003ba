"""Paper ballots, typed in by staff operators.

A paper ballot goes through the same identity rules, the same keyed HMACs
(``service.voter_keys``) and the same single insert with its UNIQUE keys
(``repository.ballot_insert``, channel ``paper``) as an online ballot: a resident who
voted online cannot also vote on paper, nor the other way round. The conflict is shown
to the operator and written, with every other entry, to the audit log.

Optional double entry: the first typing waits; a second operator re-types the sheet
without seeing the first; equal typings are cast, differences are listed by field and
settled by a resolution typing.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.crypto import Crypto
from urna.core.db import utcnow, violated_constraint
from urna.core.errors import AppError, FormInvalid, NotFound
from urna.core.i18n import LOCAL_ZONE, N_
from urna.editions import service as editions
from urna.editions.service import EditionSnapshot
from urna.privacy import repository as privacy_repository
from urna.voting import identity as rules
from urna.voting import repository
from urna.voting import service as voting
from urna.voting.models import PaperEntry

PAPER_CONTEXT = "paper-entry"
CONTACT_FIELDS = ("phone", "email")
COMPARED_FIELDS = (
    "first_name",
    "last_name",
    "street",
    "house_number",
    "birth_date",
    "pesel",
    "phone",
    "email",
    "guardian_name",
    "guardian_role",
    "choices",
)


class PaperClosed(AppError):
    status_code = 409
    message = N_(
        "Paper ballots can be entered only after voting opens and before the results are computed."
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
class PaperBallot:
    """A validated paper ballot, ready to be cast."""

    person: rules.Identity
    area_id: int | None
    keys: voting.VoterKeys
    choices: tuple[tuple[int, int], ...]
    values: dict[str, Any]


@dataclass
class PaperOutcome:
    status: str  # counted | conflict | awaiting_second | mismatch
    sheet: str
    entry_id: int
    conflict: str = ""
    mismatch_fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PaperHeader:
    sheet: str
    collection_point: str
    collected_on: date


def _phase_ensure(snapshot: EditionSnapshot) -> None:
    if editions.edition_phase(snapshot.edition) not in ("open", "closed"):
        raise PaperClosed()


def _local_date(moment) -> date:
    return moment.astimezone(LOCAL_ZONE).date()


def header_validate(
    *, snapshot: EditionSnapshot, sheet: str, collection_point: str, collected_on: str
) -> tuple[PaperHeader | None, dict[str, str]]:
    errors: dict[str, str] = {}
    sheet = rules.clean(sheet).upper()
    point = rules.clean(collection_point)
    if not sheet:
        errors["sheet"] = N_("This field is required.")
    elif len(sheet) > 40:
        errors["sheet"] = N_("This value is too long.")
    if not point:
        errors["collection_point"] = N_("This field is required.")
    elif len(point) > 120:
        errors["collection_point"] = N_("This value is too long.")
    day = rules.parse_date(collected_on) if collected_on else None
    edition = snapshot.edition
    if day is None:
        errors["collected_on"] = N_("Give the date as DD.MM.YYYY.")
    elif not (
        _local_date(edition.voting_opens_at)
        <= day
        <= min(_local_date(edition.voting_closes_at), _local_date(utcnow()))
    ):
        errors["collected_on"] = N_("The ballot must have been collected while voting was open.")
    if errors:
        return None, errors
    return PaperHeader(sheet=sheet, collection_point=point, collected_on=day), errors


async def paper_validate(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    form: dict[str, str],
    picked: Sequence[str],
    collected_on: date | None,
    header_errors: dict[str, str] | None = None,
) -> PaperBallot:
    """The online rules, for a ballot typed from paper: the edition's identity fields
    (the contact is optional on paper: there is no code to send), then the choices."""
    edition = snapshot.edition
    errors = dict(header_errors or {})
    required = [f for f in edition.required_fields if f not in CONTACT_FIELDS]
    required += [
        f for f in CONTACT_FIELDS if f in edition.required_fields and rules.clean(form.get(f))
    ]
    person, area_id = None, None
    try:
        person, area_id = await voting.identity_check(
            session=session,
            edition=edition,
            form=form,
            required=required,
            today=collected_on or _local_date(utcnow()),
        )
    except FormInvalid as error:
        errors.update(error.errors)
    state = voting.VoteState(
        edition=edition.slug, clause_id=0, channel="paper", area_id=area_id, confirmed=True
    )
    if person is None:
        # The address is not known yet: check the counts in every pool, not the district.
        by_pool: dict[int, list] = defaultdict(list)
        for project in snapshot.projects:
            by_pool[project.pool_id].append(project)
        options = [
            voting.PoolChoice(pool=pool, projects=by_pool[pool.id], chosen=[])
            for pool in snapshot.pools
        ]
    else:
        options = voting.ballot_options(snapshot=snapshot, state=state)
    try:
        errors.update(
            voting.choices_apply(options=options, state=state, picked=picked, strict=True)
        )
    except voting.NotEligible:
        errors["choices"] = N_(
            "The ballot marks projects of a district pool that the resident's address does "
            "not belong to."
        )
    if errors or person is None:
        raise FormInvalid(errors)
    pool_of = {p.id: o.pool.id for o in options for p in o.projects}
    number_of = {p.id: p.number for p in snapshot.projects}
    chosen = [pid for ids in state.choices.values() for pid in ids]
    values: dict[str, Any] = {
        name: person.fields.get(name, "") for name in COMPARED_FIELDS if name != "choices"
    }
    values.update(
        pesel=person.pesel or "",
        phone=person.phone or "",
        email=person.email or "",
        guardian_role=person.guardian_role or "",
        choices=sorted(number_of[pid] for pid in chosen),
    )
    return PaperBallot(
        person=person,
        area_id=area_id,
        keys=voting.voter_keys(crypto=crypto, edition_id=edition.id, person=person),
        choices=tuple((pid, pool_of[pid]) for pid in chosen),
        values=values,
    )


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(str(item).casefold() for item in value)
    return " ".join(str(value or "").split()).casefold()


def entries_differences(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    return [
        name
        for name in COMPARED_FIELDS
        if _comparable(first.get(name)) != _comparable(second.get(name))
    ]


def _sealed(crypto: Crypto, ballot: PaperBallot) -> bytes:
    return crypto.encrypt({"values": ballot.values}, context=PAPER_CONTEXT)


def entry_values(*, crypto: Crypto, entry: PaperEntry) -> dict[str, Any]:
    if entry.data_enc is None:
        return {}
    return crypto.decrypt(entry.data_enc, context=PAPER_CONTEXT)["values"]


async def _clause_id(session: AsyncSession, snapshot: EditionSnapshot) -> int:
    clause = await privacy_repository.document_latest(session, "clause", snapshot.edition.id)
    if clause is None:
        raise NoClause()
    return clause.id


async def _ballot_write(
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    ballot: PaperBallot,
    *,
    clause_id: int,
    request_id: str | None,
) -> tuple[int | None, str]:
    """Insert in the session's transaction: (ballot id, "") or, when this resident already
    has a ballot, (None, the key that clashed) with the transaction rolled back."""
    edition = snapshot.edition
    code = "".join(secrets.choice(voting.RECEIPT_ALPHABET) for _ in range(voting.RECEIPT_LENGTH))
    slots = edition.max_ballots_per_contact if ballot.keys.contact_key else 1
    identity_enc = crypto.encrypt(ballot.person.fields, context=voting.IDENTITY_CONTEXT)
    now = utcnow()
    for slot in range(slots):
        row = repository.BallotRow(
            edition_id=edition.id,
            identity_key=ballot.keys.identity_key,
            contact_key=ballot.keys.contact_key,
            contact_slot=slot,
            pesel_key=ballot.keys.pesel_key,
            identity_enc=identity_enc,
            area_id=ballot.area_id,
            age_band=rules.age_band(ballot.person.age) if ballot.person.age is not None else "",
            guardian_role=ballot.person.guardian_role,
            clause_id=clause_id,
            channel="paper",
            receipt_hash=voting.receipt_hash(crypto, code),
            submitted_at=now,
            request_id=request_id,
            ip=None,
            user_agent=None,
            session_hash=None,
            choices=ballot.choices,
            **ballot.keys.fraud,
        )
        try:
            return await repository.ballot_insert(session, row, in_transaction=True), ""
        except IntegrityError as error:
            await session.rollback()
            constraint = violated_constraint(error)
            if "contact_key" not in constraint:
                return None, "pesel" if "pesel" in constraint else "identity"
    return None, "contact"


def _target(snapshot: EditionSnapshot, sheet: str) -> str:
    return f"paper:{snapshot.edition.slug}/{sheet}"


async def _cast_record(
    session: AsyncSession,
    snapshot: EditionSnapshot,
    *,
    operator_id: int,
    sheet: str,
    ballot_id: int | None,
    conflict: str,
    action: str,
    details: dict[str, Any],
) -> None:
    if ballot_id is None:
        action = "paper.conflict"
        details = {**details, "conflict": conflict}
    else:
        details = {**details, "ballot_id": ballot_id}
    await audit.audit_append(
        session=session,
        actor_id=operator_id,
        action=action,
        target=_target(snapshot, sheet),
        details=details,
    )


async def paper_enter(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    operator_id: int,
    sheet: str,
    collection_point: str,
    collected_on: str,
    double_entry: bool,
    form: dict[str, str],
    picked: Sequence[str],
    request_id: str | None = None,
) -> PaperOutcome:
    """The first (or only) typing of a sheet. Without double entry the ballot is cast at
    once; with it, the entry waits for a second operator."""
    _phase_ensure(snapshot)
    header, header_errors = header_validate(
        snapshot=snapshot, sheet=sheet, collection_point=collection_point, collected_on=collected_on
    )
    ballot = await paper_validate(
        session=session,
        crypto=crypto,
        snapshot=snapshot,
        form=form,
        picked=picked,
        collected_on=header.collected_on if header else None,
        header_errors=header_errors,
    )
    assert header is not None  # header errors raised above
    edition_id = snapshot.edition.id
    if await repository.paper_sheet_exists(session, edition_id, header.sheet):
        raise FormInvalid({"sheet": N_("This sheet number has already been entered.")})
    clause_id = await _clause_id(session, snapshot)
    details = {"collection_point": header.collection_point, "day": header.collected_on}
    ballot_id, conflict = None, ""
    if not double_entry:
        ballot_id, conflict = await _ballot_write(
            session, crypto, snapshot, ballot, clause_id=clause_id, request_id=request_id
        )
    entry = PaperEntry(
        edition_id=edition_id,
        sheet=header.sheet,
        kind="first",
        double_entry=double_entry,
        collection_point=header.collection_point,
        collected_on=header.collected_on,
        operator_id=operator_id,
        status="awaiting_second" if double_entry else ("counted" if ballot_id else "conflict"),
        data_enc=_sealed(crypto, ballot),
        conflict=conflict,
        ballot_id=ballot_id,
    )
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError as error:  # the same sheet typed at the same moment elsewhere
        await session.rollback()
        raise FormInvalid({"sheet": N_("This sheet number has already been entered.")}) from error
    if double_entry:
        await audit.audit_append(
            session=session,
            actor_id=operator_id,
            action="paper.first_entry",
            target=_target(snapshot, header.sheet),
            details=details,
        )
    else:
        await _cast_record(
            session,
            snapshot,
            operator_id=operator_id,
            sheet=header.sheet,
            ballot_id=ballot_id,
            conflict=conflict,
            action="paper.cast",
            details=details,
        )
    await session.commit()
    return PaperOutcome(
        status=entry.status, sheet=entry.sheet, entry_id=entry.id, conflict=conflict
    )


async def _first_entry(
    session: AsyncSession, snapshot: EditionSnapshot, entry_id: int, status: str
) -> PaperEntry:
    entry = await repository.paper_entry_get(session, entry_id)
    if entry is None or entry.edition_id != snapshot.edition.id or entry.kind != "first":
        raise NotFound()
    if entry.status != status:
        raise EntryNotAwaiting()
    return entry


async def paper_second_enter(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    operator_id: int,
    entry_id: int,
    form: dict[str, str],
    picked: Sequence[str],
    request_id: str | None = None,
) -> PaperOutcome:
    """The second, blind typing by another operator: cast if both typings agree,
    otherwise list the fields that differ."""
    _phase_ensure(snapshot)
    first = await _first_entry(session, snapshot, entry_id, "awaiting_second")
    if first.operator_id == operator_id:
        raise SecondOperatorRequired()
    header = PaperHeader(first.sheet, first.collection_point, first.collected_on)
    ballot = await paper_validate(
        session=session,
        crypto=crypto,
        snapshot=snapshot,
        form=form,
        picked=picked,
        collected_on=header.collected_on,
    )
    differences = entries_differences(entry_values(crypto=crypto, entry=first), ballot.values)
    details = {"collection_point": header.collection_point, "day": header.collected_on}
    ballot_id, conflict = None, ""
    if not differences:
        clause_id = await _clause_id(session, snapshot)
        ballot_id, conflict = await _ballot_write(
            session, crypto, snapshot, ballot, clause_id=clause_id, request_id=request_id
        )
        first = await _first_entry(session, snapshot, entry_id, "awaiting_second")
        first.status = "counted" if ballot_id else "conflict"
        first.ballot_id, first.conflict = ballot_id, conflict
    else:
        first.status, first.mismatch_fields = "mismatch", differences
    second = PaperEntry(
        edition_id=first.edition_id,
        sheet=header.sheet,
        kind="second",
        double_entry=True,
        collection_point=header.collection_point,
        collected_on=header.collected_on,
        operator_id=operator_id,
        status="mismatch" if differences else "matched",
        data_enc=_sealed(crypto, ballot),
        mismatch_fields=differences,
    )
    session.add(second)
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        raise EntryNotAwaiting() from error
    if differences:
        await audit.audit_append(
            session=session,
            actor_id=operator_id,
            action="paper.mismatch",
            target=_target(snapshot, header.sheet),
            details={**details, "fields": differences},
        )
    else:
        await _cast_record(
            session,
            snapshot,
            operator_id=operator_id,
            sheet=header.sheet,
            ballot_id=ballot_id,
            conflict=conflict,
            action="paper.cast",
            details={**details, "double_entry": True},
        )
    await session.commit()
    return PaperOutcome(
        status="mismatch" if differences else first.status,
        sheet=header.sheet,
        entry_id=first.id,
        conflict=conflict,
        mismatch_fields=differences,
    )


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
    first = await _first_entry(session, snapshot, entry_id, "mismatch")
    seconds = await repository.paper_entries(
        session, first.edition_id, kind="second", sheet=first.sheet, limit=1
    )
    one = entry_values(crypto=crypto, entry=first)
    two = entry_values(crypto=crypto, entry=seconds[0]) if seconds else {}
    rows = [(name, one.get(name, ""), two.get(name, "")) for name in first.mismatch_fields]
    await audit.audit_append(
        session=session,
        actor_id=operator_id,
        action="identity.unmask",
        target=_target(snapshot, first.sheet),
        reason="double entry mismatch review",
        details={"fields": list(first.mismatch_fields)},
    )
    await session.commit()
    return Mismatch(entry=first, rows=rows)


async def paper_resolve(
    *,
    session: AsyncSession,
    crypto: Crypto,
    snapshot: EditionSnapshot,
    operator_id: int,
    entry_id: int,
    form: dict[str, str],
    picked: Sequence[str],
    reason: str = "",
    request_id: str | None = None,
) -> PaperOutcome:
    """Settle a mismatch: an operator types the sheet once more from the paper, and that
    typing is cast."""
    _phase_ensure(snapshot)
    first = await _first_entry(session, snapshot, entry_id, "mismatch")
    header = PaperHeader(first.sheet, first.collection_point, first.collected_on)
    ballot = await paper_validate(
        session=session,
        crypto=crypto,
        snapshot=snapshot,
        form=form,
        picked=picked,
        collected_on=header.collected_on,
    )
    clause_id = await _clause_id(session, snapshot)
    ballot_id, conflict = await _ballot_write(
        session, crypto, snapshot, ballot, clause_id=clause_id, request_id=request_id
    )
    first = await _first_entry(session, snapshot, entry_id, "mismatch")
    first.status = "counted" if ballot_id else "conflict"
    first.ballot_id, first.conflict = ballot_id, conflict
    session.add(
        PaperEntry(
            edition_id=first.edition_id,
            sheet=header.sheet,
            kind="resolution",
            double_entry=True,
            collection_point=header.collection_point,
            collected_on=header.collected_on,
            operator_id=operator_id,
            status=first.status,
            data_enc=_sealed(crypto, ballot),
            conflict=conflict,
            ballot_id=ballot_id,
        )
    )
    try:
        await session.flush()
    except IntegrityError as error:
        await session.rollback()
        raise EntryNotAwaiting() from error
    await _cast_record(
        session,
        snapshot,
        operator_id=operator_id,
        sheet=header.sheet,
        ballot_id=ballot_id,
        conflict=conflict,
        action="paper.resolve",
        details={"collection_point": header.collection_point, "reason": reason[:500]},
    )
    await session.commit()
    return PaperOutcome(
        status=first.status, sheet=header.sheet, entry_id=first.id, conflict=conflict
    )


# ---- lists and subtotals ------------------------------------------------------------

SUBTOTAL_STATUSES = ("counted", "conflict", "awaiting_second", "mismatch")


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
    for point, day, status, count in await repository.paper_subtotal_rows(session, edition_id):
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
    entry = await repository.paper_entry_get(session, entry_id)
    if entry is None or entry.edition_id != edition_id or entry.kind != "first":
        return None
    return entry


async def paper_sheets(
    *, session: AsyncSession, edition_id: int, status: str | None = None, limit: int = 200
) -> Sequence[PaperEntry]:
    return await repository.paper_entries(session, edition_id, status=status, limit=limit)


async def paper_collection_points(*, session: AsyncSession, edition_id: int) -> list[str]:
    return await repository.paper_points(session, edition_id)
