"""The scan: facts of the new ballots, the groups of every kind that fire, the signals
they make, the cases those form. One unit of work (flushed, never committed here).

The full scan recomputes every ballot's facts and looks at every group of the edition.
The incremental scan computes the facts of the ballots after the last mark only, and
looks at the groups those ballots (and the signals already found) belong to; it finds the
cases the full scan finds, at a cost that grows with the new ballots, not the edition."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.crypto import Crypto
from urna.core.db import utcnow
from urna.editions.models import Edition
from urna.fraud import cases as casework
from urna.fraud import facts, groups, kinds, repository, scope, scoring
from urna.fraud.agents import agent_browser
from urna.fraud.cases import Fired
from urna.fraud.dialect import Dialect, day_date, dialect_for
from urna.fraud.models import FraudScanMark
from urna.fraud.schemas import ScanResult
from urna.voting.fraud_keys import birth_order
from urna.voting.models import Ballot

PARAM = re.compile(r"%\((\w+)\)s")
NONE = "—"  # what evidence shows for a user agent that was not sent
AGENT_KINDS = ("program", "ip_browser")  # whose evidence names the group's client


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _moment(ts: float) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def _choices_label(choice_set: str, numbers: dict[int, str]) -> str:
    return ", ".join(numbers.get(int(p), p) for p in choice_set.split(",") if p)


def _fired(kind: str, key: str, scored: scoring.Scored, message: str, row: dict, **params) -> Fired:
    """A fired group's signal; its evidence says what the score's ``notes`` lowered."""
    first, last = _moment(row["first_ts"]), _moment(row["last_ts"])
    values = {
        "n": int(row["n"]),
        "label": kinds.key_label(key),
        "first": first.isoformat(),  # written out when read (``service.evidence_params``)
        "last": last.isoformat(),
    } | params
    evidence: dict = {"message": message, "params": values}
    if scored.notes:
        evidence["notes"] = scored.notes
    return Fired(
        kind=kind,
        key=key,
        score=scored.score,
        evidence=evidence,
        first_at=first,
        last_at=last,
    )


async def _group_signals(
    session: AsyncSession, d: Dialect, params: dict, numbers: dict[int, str], edition_id: int
) -> list[Fired]:
    fired: list[Fired] = []
    rows = await groups.kinds_groups(session, d, params)
    found = [(kinds.kind_of(row["key"]), row) for row in rows]
    quoted = {kind.prefix for kind, _row in found if kind.name in AGENT_KINDS}
    agents = await groups.groups_agents(session, sorted(quoted))
    peaks = {float(row["peak_ts"]) for kind, row in found if kind.traffic}
    traffic = await repository.edition_traffic(session, edition_id, peaks, kinds.HOUR)
    for kind, row in found:
        hour = traffic[float(row["peak_ts"])] if kind.traffic else 0
        named = set(PARAM.findall(kind.message)) - {"n", "label", "first", "last"}
        extra = {name: row[name] for name in named if name in row}
        for name in ("fastest", "slowest"):
            if name in extra:
                extra[name] = round(float(extra[name]), 1)
        if "#" in row["key"]:
            extra["choices"] = _choices_label(row["key"].rsplit("#", 1)[1], numbers)
        if "share" in named:  # what it is, whether or not it raised the score
            extra["share"] = round(100 * min(row["peak"] / max(hour, 1), 1.0))
        if kind.name == "program":  # a program's name and string ("" when none was sent)
            agent, extra["agents"] = agents[row["key"]]
            extra["client"] = row["key"].split("|", 1)[1] or NONE
            extra["agent"] = agent or NONE
        elif kind.name == "ip_browser":  # which of the address's browsers it is
            extra["browser"] = agent_browser(agents[row["key"]][0]) or NONE
        scored = scoring.kind_score(kind, row, hour=hour)
        fired.append(_fired(kind.name, row["key"], scored, kind.message, row, **extra))
    for row in await groups.births_groups(session, params):
        score = scoring.counted_score(kinds.BIRTHS_WEIGHT, row["n"], kinds.BIRTHS_FLOOR)
        message = kinds.BIRTHS_MESSAGES[row["key"].split(":")[1]]
        fired.append(_fired(kinds.BIRTHS_NAME, row["key"], scoring.Scored(score), message, row))
    for row in await groups.burst_groups(session, d, params):
        score = scoring.counted_score(kinds.BURST_WEIGHT, row["n"], kinds.BURST_NET_MIN)
        day = day_date(row["day"])  # a Polish calendar day
        fired.append(
            _fired(
                kinds.BURST_NAME,
                row["key"],
                scoring.Scored(score),
                kinds.BURST_MESSAGE,
                row,
                project=numbers.get(int(row["project_id"]), str(row["project_id"])),
                day=day.isoformat(),
                baseline=round(float(row["usual"]), 1),
                concentrated=int(row["n"]),
                networks=int(row["networks"]),
                label=row["label"],
                n=int(row["day_n"]),
            )
        )
    return fired


async def scan_run(
    *,
    session: AsyncSession,
    crypto: Crypto,
    edition: Edition,
    datacenters: Sequence[str],
    since: int | None,
    incremental: bool = False,
) -> ScanResult:
    now = utcnow()
    d = await dialect_for(session)
    await scope.scan_prepare(session, d, edition.id, incremental=incremental)
    mark = await session.get(FraudScanMark, edition.id)
    if mark is None:
        mark = FraudScanMark(edition_id=edition.id, last_ballot_id=0)
        session.add(mark)
    start = (since if since is not None else mark.last_ballot_id) if incremental else 0
    last = (
        await session.execute(select(func.max(Ballot.id)).where(Ballot.edition_id == edition.id))
    ).scalar_one() or 0
    before = (
        await facts.project_days_after(session, d, edition_id=edition.id, since=start)
        if incremental
        else None
    )
    scanned = await facts.facts_compute(
        session,
        d,
        edition_id=edition.id,
        slug=edition.slug,
        since=start,
        datacenters=[str(n) for n in datacenters],
    )
    if not incremental:
        await scope.table_analyze(session, d, "fraud_ballot_fact")
    if before is None:
        await facts.project_days_count(session, d, edition_id=edition.id)
    else:
        after = await facts.project_days_after(session, d, edition_id=edition.id, since=start)
        await facts.project_days_change(session, edition_id=edition.id, before=before, after=after)
    allowed = [row.cidr for row in await repository.allow_rows(session)]
    await scope.scope_build(
        session, d, edition_id=edition.id, since=start if incremental else None, allowed=allowed
    )
    opens = edition.voting_opens_at.date()
    params = {
        "edition_id": edition.id,
        "allowed": d.networks_param(allowed),
        "old_bound": birth_order(crypto, edition.id, _years_before(opens, 100)),
        "infant_bound": birth_order(crypto, edition.id, _years_before(opens, 1)),
    }
    numbers = await repository.project_numbers(session, edition.id)
    fired = await _group_signals(session, d, params, numbers, edition.id)
    await scope.table_analyze(session, d, "fraud_member")
    await casework.signals_store(session, edition_id=edition.id, fired=fired, now=now)
    reopened = await casework.cases_assemble(session, edition_id=edition.id, now=now)
    await scope.scope_drop(session, d)
    mark.last_ballot_id = max(mark.last_ballot_id, last)
    if incremental:
        mark.incremental_at = now
    else:
        mark.full_at = now
    await session.flush()
    return ScanResult(
        edition_id=edition.id,
        ballots_scanned=scanned,
        last_ballot_id=mark.last_ballot_id,
        signals=len(fired),
        cases=[],
        reopened=reopened,
    )
