"""The fraud domain's API: cases and signals to read, the scans that make them, and the
allow-list of known shared networks. It only flags: a person decides every ballot
(``urna.verification``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.audit import audit_append
from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_parse
from urna.core.i18n import N_, current_language, format_date, format_datetime, translate_in
from urna.editions.models import Edition
from urna.fraud import repository, scan
from urna.fraud.models import FraudAllow, FraudCase, FraudSignal
from urna.fraud.schemas import (
    AllowEntry,
    AllowForm,
    CaseDetail,
    CaseSummary,
    ScanResult,
    SignalView,
)


class CaseNotFound(NotFound):
    message = N_("There is no such case.")


# The moments and days of an evidence, kept by the scan as ISO text (UTC) and written out
# when read: in the reader's language, the moments in Polish time with their zone (the
# scan's own text, in the language and without the zone of the scan, was wrong for an
# English reader and an hour off in one of the seasons). Text stored before is kept.
MOMENTS, DAYS = ("first", "last", "at"), ("day",)


def _iso(value: object, kind: type) -> bool:
    try:
        kind.fromisoformat(value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return False
    return True


def evidence_params(params: dict, lang: str) -> dict:
    """The parameters of a stored evidence, its moments and days written out in ``lang``."""
    shown = dict(params)
    for name in MOMENTS:
        if _iso(shown.get(name), datetime):
            shown[name] = format_datetime(shown[name], lang, zone=True)
    for name in DAYS:
        if _iso(shown.get(name), date):
            shown[name] = format_date(shown[name], lang)
    return shown


def evidence_render(evidence: dict, lang: str | None = None) -> str:
    """A stored evidence ({"message": msgid, "params": {...}}, and any "notes" of the same
    shape) in ``lang`` (by default the current language)."""
    if not evidence:
        return ""
    lang = lang or current_language()
    said = [evidence, *evidence.get("notes", ())]  # notes: what lowered the signal's score
    return " ".join(
        translate_in(lang, part["message"], **evidence_params(part.get("params", {}), lang))
        for part in said
    )


def _summary(case: FraudCase, ballots: int, kinds: list[str]) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        edition_id=case.edition_id,
        key=case.key,
        score=round(case.score, 2),
        status=case.status,
        ballots=ballots,
        kinds=kinds,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


def _signal_view(signal: FraudSignal, ballot_ids: list[int]) -> SignalView:
    return SignalView(
        id=signal.id,
        kind=signal.kind,
        key=signal.key,
        score=round(signal.score, 2),
        evidence=evidence_render(signal.evidence),
        evidence_data=signal.evidence,
        first_at=signal.first_at,
        last_at=signal.last_at,
        case_id=signal.case_id,
        ballot_ids=ballot_ids,
    )


# ---- cases and signals --------------------------------------------------------------


async def cases_list(
    *, session: AsyncSession, edition_id: int, status: str | None = None
) -> list[CaseSummary]:
    """The edition's cases, highest score first (then the oldest first)."""
    rows = await repository.cases_of(session, edition_id, status=status)
    return [_summary(case, ballots, kinds) for case, ballots, kinds in rows]


async def case_get(*, session: AsyncSession, case_id: int) -> CaseDetail:
    case = await session.get(FraudCase, case_id)
    if case is None:
        raise CaseNotFound()
    signals = await repository.signals_of_case(session, case_id)
    ballot_ids = await repository.case_ballot_ids(session, case_id)
    views = [_signal_view(signal, ids) for signal, ids in signals]
    return CaseDetail(
        case=_summary(case, len(ballot_ids), sorted({view.kind for view in views})),
        note=evidence_render(case.evidence),
        note_data=case.evidence or {},
        signals=views,
        ballot_ids=ballot_ids,
    )


async def case_ballot_ids(*, session: AsyncSession, case_id: int) -> list[int]:
    if await session.get(FraudCase, case_id) is None:
        raise CaseNotFound()
    return await repository.case_ballot_ids(session, case_id)


async def signals_for_ballot(*, session: AsyncSession, ballot_id: int) -> list[SignalView]:
    """The signals that name this ballot, strongest first (ballot ids not listed)."""
    signals = await repository.signals_of_ballot(session, ballot_id)
    return [_signal_view(signal, []) for signal in signals]


async def ballot_request_ids(
    *, session: AsyncSession, ballot_ids: list[int]
) -> dict[int, str | None]:
    """Ballot id → the id of the request that cast it (the X-Request-ID the browser got)."""
    return await repository.request_ids(session, ballot_ids)


# ---- scans --------------------------------------------------------------------------


async def scan_full(
    *, session: AsyncSession, crypto: Crypto, settings: Settings, edition: Edition
) -> ScanResult:
    """Recompute every signal of the edition from its ballots and request logs, and
    regroup them into cases (flushed, not committed)."""
    return await _scan(session, crypto, settings, edition, since=None, incremental=False)


async def scan_incremental(
    *,
    session: AsyncSession,
    crypto: Crypto,
    settings: Settings,
    edition: Edition,
    since_ballot_id: int | None = None,
) -> ScanResult:
    """Read the ballots after ``since_ballot_id`` (by default, after the last scan's
    mark) and re-examine only the groups they and the signals found so far belong to;
    gives the cases a full scan gives."""
    return await _scan(session, crypto, settings, edition, since=since_ballot_id, incremental=True)


async def _scan(session, crypto, settings, edition, *, since, incremental) -> ScanResult:
    result = await scan.scan_run(
        session=session,
        crypto=crypto,
        edition=edition,
        datacenters=settings.fraud_datacenter_cidrs,
        since=since,
        incremental=incremental,
    )
    return replace(result, cases=await cases_list(session=session, edition_id=edition.id))


# ---- allow-list ---------------------------------------------------------------------


def _allow_entry(row: FraudAllow) -> AllowEntry:
    return AllowEntry(
        id=row.id,
        cidr=row.cidr,
        note=row.note,
        created_by=row.created_by,
        created_at=row.created_at,
    )


async def allow_list(*, session: AsyncSession) -> list[AllowEntry]:
    return [_allow_entry(row) for row in await repository.allow_rows(session)]


async def allow_add(
    *, session: AsyncSession, cidr: str, note: str, actor_id: int | None
) -> AllowEntry:
    """Add a known shared network with a note saying what it is (``AllowForm``, from the
    console's form or the command line); audited."""
    data = form_parse(AllowForm, {"cidr": cidr, "note": note})
    network = data.cidr
    row = FraudAllow(cidr=network, note=data.note, created_by=actor_id)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError as error:
        raise FormInvalid({"cidr": N_("This network is already on the list.")}) from error
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="fraud.allow.add",
        target=f"cidr:{network}",
        details={"note": row.note},
    )
    return _allow_entry(row)


async def allow_remove(*, session: AsyncSession, allow_id: int, actor_id: int | None) -> None:
    row = await session.get(FraudAllow, allow_id)
    if row is None:
        raise NotFound(N_("This network is not on the list."))
    await session.delete(row)
    await session.flush()
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="fraud.allow.remove",
        target=f"cidr:{row.cidr}",
        details={"note": row.note},
    )
