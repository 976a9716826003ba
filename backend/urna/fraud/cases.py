"""Signals stored from a scan's fired groups, and signals grouped into cases.

Signals that share a ballot belong to one case (union-find over the ballots). A case
keeps its id across scans: each group of signals goes to the case that already holds
most of its ballots. A case a person decided is never changed by a scan, except when new
ballots join it: they are added and the case reopens, saying so in its evidence."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.i18n import N_
from urna.fraud.models import FraudCase, FraudCaseBallot, FraudSignal

_SIGNAL = FraudSignal.__table__
_CASE_BALLOT = FraudCaseBallot.__table__
REOPENED = N_("Reopened after the decision: new ballots that joined this case: %(count)s (%(at)s).")


@dataclass(frozen=True)
class Fired:
    kind: str
    key: str
    score: float
    evidence: dict[str, Any]
    first_at: datetime
    last_at: datetime


_DECIDED_SIGNALS = """
    SELECT g.id FROM fraud_signal g JOIN fraud_case c ON c.id = g.case_id
    WHERE g.edition_id = :edition_id AND c.status = 'decided'"""
_GREW = """
    SELECT DISTINCT g.id FROM fraud_member m
    JOIN fraud_signal g ON g.edition_id = :edition_id AND g.key = m.key
    WHERE g.id IN ({decided}) AND NOT EXISTS (
      SELECT 1 FROM fraud_signal_ballot x WHERE x.signal_id = g.id AND x.ballot_id = m.ballot_id)"""


async def signals_store(
    session: AsyncSession, *, edition_id: int, fired: list[Fired], now: datetime
) -> None:
    """Make the edition's signals those that fired (their ballots are in ``fraud_member``).

    A signal of a decided case is left as it was unless new ballots joined it (then it
    is updated and keeps its old ballots too); it is never deleted by a scan."""
    params = {"edition_id": edition_id}
    decided = {row[0] for row in await session.execute(text(_DECIDED_SIGNALS), params)}
    grew = {
        row[0]
        for row in await session.execute(text(_GREW.format(decided=_DECIDED_SIGNALS)), params)
    }
    existing = {
        (kind, key): signal_id
        for signal_id, kind, key in await session.execute(
            select(FraudSignal.id, FraudSignal.kind, FraudSignal.key).where(
                FraudSignal.edition_id == edition_id
            )
        )
    }
    fields = ("score", "evidence", "first_at", "last_at")
    new, changed = [], []
    for signal in fired:
        signal_id = existing.pop((signal.kind, signal.key), None)
        values = {name: getattr(signal, name) for name in fields} | {"computed_at": now}
        if signal_id is None:
            new.append(values | {"edition_id": edition_id, "kind": signal.kind, "key": signal.key})
        elif signal_id not in decided or signal_id in grew:
            changed.append(values | {"signal_id": signal_id})
    gone = [signal_id for signal_id in existing.values() if signal_id not in decided]
    if gone:
        await session.execute(_SIGNAL.delete().where(_SIGNAL.c.id.in_(gone)))
    if changed:
        await session.execute(
            _SIGNAL.update().where(_SIGNAL.c.id == bindparam("signal_id")), changed
        )
    if new:
        await session.execute(_SIGNAL.insert(), new)
    # only the links that changed: a rescan keeps most of them, and each row rewritten
    # costs its two foreign-key checks and index entries
    await session.execute(
        text(
            "DELETE FROM fraud_signal_ballot WHERE signal_id IN (SELECT id FROM fraud_signal "
            f"WHERE edition_id = :edition_id AND id NOT IN ({_DECIDED_SIGNALS})) "
            "AND NOT EXISTS (SELECT 1 FROM fraud_member m JOIN fraud_signal g "
            "ON g.edition_id = :edition_id AND g.key = m.key "
            "WHERE g.id = fraud_signal_ballot.signal_id "
            "AND m.ballot_id = fraud_signal_ballot.ballot_id)"
        ),
        params,
    )
    await session.execute(
        text(
            """INSERT INTO fraud_signal_ballot (signal_id, ballot_id)
            SELECT DISTINCT g.id, m.ballot_id FROM fraud_member m
            JOIN fraud_signal g ON g.edition_id = :edition_id AND g.key = m.key
            WHERE NOT EXISTS (SELECT 1 FROM fraud_signal_ballot x
                              WHERE x.signal_id = g.id AND x.ballot_id = m.ballot_id)"""
        ),
        params,
    )


def case_score(scores: list[float]) -> float:
    """The strongest signal counts fully, each other one half: corroboration raises a
    case, many weak signals do not outweigh one strong one by much."""
    if not scores:
        return 0.0
    top = max(scores)
    return round(top + 0.5 * (sum(scores) - top), 3)


def _components(links: list[tuple[int, int]]) -> list[tuple[list[int], set[int]]]:
    """Signals joined by shared ballots: [(signal ids, ballot ids)], in signal-id order."""
    parent: dict[int, int] = {}

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    owner: dict[int, int] = {}
    for signal_id, ballot_id in links:
        parent.setdefault(signal_id, signal_id)
        if ballot_id in owner:
            a, b = find(owner[ballot_id]), find(signal_id)
            if a != b:
                parent[max(a, b)] = min(a, b)
        else:
            owner[ballot_id] = signal_id
    signals: dict[int, list[int]] = defaultdict(list)
    ballots: dict[int, set[int]] = defaultdict(set)
    for signal_id in sorted(parent):
        signals[find(signal_id)].append(signal_id)
    for ballot_id, signal_id in owner.items():
        ballots[find(signal_id)].add(ballot_id)
    return [(signals[root], ballots[root]) for root in sorted(signals)]


async def _state(session: AsyncSession, edition_id: int):
    params = {"edition_id": edition_id}
    links = [
        (row[0], row[1])
        for row in await session.execute(
            text(
                "SELECT sb.signal_id, sb.ballot_id FROM fraud_signal_ballot sb "
                "JOIN fraud_signal g ON g.id = sb.signal_id WHERE g.edition_id = :edition_id "
                "ORDER BY sb.signal_id, sb.ballot_id"
            ),
            params,
        )
    ]
    signals = {
        row.id: row
        for row in await session.execute(
            select(
                FraudSignal.id,
                FraudSignal.kind,
                FraudSignal.key,
                FraudSignal.score,
                FraudSignal.case_id,
            ).where(FraudSignal.edition_id == edition_id)
        )
    }
    cases = {
        case.id: case
        for case in (
            await session.execute(select(FraudCase).where(FraudCase.edition_id == edition_id))
        ).scalars()
    }
    case_ballots: dict[int, set[int]] = defaultdict(set)
    for case_id, ballot_id in await session.execute(
        select(FraudCaseBallot.case_id, FraudCaseBallot.ballot_id)
        .join(FraudCase, FraudCase.id == FraudCaseBallot.case_id)
        .where(FraudCase.edition_id == edition_id)
    ):
        case_ballots[case_id].add(ballot_id)
    return links, signals, cases, case_ballots


def _assign(components, case_ballots: dict[int, set[int]]) -> dict[int, int]:
    """Component index → the existing case holding most of its ballots (each case to one
    component at most; the larger overlap wins, then the older case)."""
    case_of_ballot: dict[int, list[int]] = defaultdict(list)
    for case_id, ballots in case_ballots.items():
        for ballot_id in ballots:
            case_of_ballot[ballot_id].append(case_id)
    pairs = []
    for index, (_signals, ballots) in enumerate(components):
        overlap: dict[int, int] = defaultdict(int)
        for ballot_id in ballots:
            for case_id in case_of_ballot.get(ballot_id, ()):
                overlap[case_id] += 1
        pairs.extend((-count, case_id, index) for case_id, count in overlap.items())
    assigned: dict[int, int] = {}
    taken: set[int] = set()
    for _count, case_id, index in sorted(pairs):
        if index not in assigned and case_id not in taken:
            assigned[index] = case_id
            taken.add(case_id)
    return assigned


async def cases_assemble(session: AsyncSession, *, edition_id: int, now: datetime) -> list[int]:
    """Regroup the edition's signals into cases; return the ids of cases reopened."""
    links, signals, cases, case_ballots = await _state(session, edition_id)
    components = _components(links)
    assigned = _assign(components, case_ballots)
    used_keys = {case.key for case in cases.values()}
    reopened: list[int] = []
    add_links: list[dict] = []
    drop_links: list[dict] = []
    signal_case: list[dict] = []
    holding: set[int] = set()
    for index, (signal_ids, ballots) in enumerate(components):
        score = case_score([signals[s].score for s in signal_ids])
        case = cases.get(assigned.get(index, -1))
        if case is None:
            strongest = max(signal_ids, key=lambda s: (signals[s].score, -s))
            key = signals[strongest].key
            while key in used_keys:
                key += "+"
            used_keys.add(key)
            case = FraudCase(
                edition_id=edition_id, key=key, score=score, created_at=now, updated_at=now
            )
            session.add(case)
            await session.flush()
            cases[case.id] = case
        old = case_ballots.get(case.id, set())
        added, removed = ballots - old, old - ballots
        if case.status == "decided":
            if added:
                case.status, case.score, case.updated_at = "open", score, now
                case.evidence = {
                    "message": REOPENED,
                    "params": {"count": len(added), "at": now.isoformat()},
                }
                reopened.append(case.id)
            removed = set()
        elif added or removed or case.score != score:
            case.score, case.updated_at = score, now
        add_links += [{"case_id": case.id, "ballot_id": b} for b in sorted(added)]
        drop_links += [{"c": case.id, "b": b} for b in sorted(removed)]
        signal_case += [
            {"signal_id": s, "case_id": case.id}
            for s in signal_ids
            if signals[s].case_id != case.id
        ]
        case_ballots[case.id] = old | ballots
        holding.add(case.id)
    for case in list(cases.values()):
        if case.id not in holding and case.status != "decided":
            await session.delete(case)
    if drop_links:
        await session.execute(
            _CASE_BALLOT.delete().where(
                _CASE_BALLOT.c.case_id == bindparam("c"), _CASE_BALLOT.c.ballot_id == bindparam("b")
            ),
            drop_links,
        )
    if add_links:
        await session.execute(_CASE_BALLOT.insert(), add_links)
    if signal_case:
        await session.execute(
            _SIGNAL.update().where(_SIGNAL.c.id == bindparam("signal_id")), signal_case
        )
    await session.flush()
    return reopened
