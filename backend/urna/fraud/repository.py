"""Reads of cases, signals and the allow-list (the scan's set-based SQL is in scan_sql)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from urna.editions.models import Project
from urna.fraud.models import (
    FraudAllow,
    FraudBallotFact,
    FraudCase,
    FraudCaseBallot,
    FraudSignal,
    FraudSignalBallot,
)
from urna.voting.models import Ballot


async def cases_of(
    session: AsyncSession, edition_id: int, *, status: str | None = None
) -> list[tuple[FraudCase, int, list[str]]]:
    """(case, ballots, signal kinds), highest score first."""
    ballots = (
        select(FraudCaseBallot.case_id, func.count().label("n"))
        .group_by(FraudCaseBallot.case_id)
        .subquery()
    )
    query = (
        select(FraudCase, func.coalesce(ballots.c.n, 0))
        .outerjoin(ballots, ballots.c.case_id == FraudCase.id)
        .where(FraudCase.edition_id == edition_id)
        .order_by(FraudCase.score.desc(), FraudCase.id)
    )
    if status is not None:
        query = query.where(FraudCase.status == status)
    rows = (await session.execute(query)).all()
    kinds: dict[int, set[str]] = defaultdict(set)
    for case_id, kind in await session.execute(
        select(FraudSignal.case_id, FraudSignal.kind).where(
            FraudSignal.edition_id == edition_id, FraudSignal.case_id.is_not(None)
        )
    ):
        kinds[case_id].add(kind)
    return [(case, int(n), sorted(kinds[case.id])) for case, n in rows]


async def case_ballot_ids(session: AsyncSession, case_id: int) -> list[int]:
    result = await session.execute(
        select(FraudCaseBallot.ballot_id)
        .where(FraudCaseBallot.case_id == case_id)
        .order_by(FraudCaseBallot.ballot_id)
    )
    return list(result.scalars())


async def signals_of_case(
    session: AsyncSession, case_id: int
) -> list[tuple[FraudSignal, list[int]]]:
    signals = (
        (
            await session.execute(
                select(FraudSignal)
                .where(FraudSignal.case_id == case_id)
                .order_by(FraudSignal.score.desc(), FraudSignal.id)
            )
        )
        .scalars()
        .all()
    )
    ballots: dict[int, list[int]] = defaultdict(list)
    for signal_id, ballot_id in await session.execute(
        select(FraudSignalBallot.signal_id, FraudSignalBallot.ballot_id)
        .join(FraudSignal, FraudSignal.id == FraudSignalBallot.signal_id)
        .where(FraudSignal.case_id == case_id)
        .order_by(FraudSignalBallot.ballot_id)
    ):
        ballots[signal_id].append(ballot_id)
    return [(signal, ballots[signal.id]) for signal in signals]


async def signals_of_ballot(session: AsyncSession, ballot_id: int) -> Sequence[FraudSignal]:
    result = await session.execute(
        select(FraudSignal)
        .join(FraudSignalBallot, FraudSignalBallot.signal_id == FraudSignal.id)
        .where(FraudSignalBallot.ballot_id == ballot_id)
        .order_by(FraudSignal.score.desc(), FraudSignal.id)
    )
    return result.scalars().all()


async def allow_rows(session: AsyncSession) -> Sequence[FraudAllow]:
    result = await session.execute(select(FraudAllow).order_by(FraudAllow.cidr))
    return result.scalars().all()


async def project_numbers(session: AsyncSession, edition_id: int) -> dict[int, str]:
    """Project id → the number residents know it by (evidence names projects so)."""
    result = await session.execute(
        select(Project.id, Project.number).where(Project.edition_id == edition_id)
    )
    return {project_id: number for project_id, number in result}


async def edition_traffic(
    session: AsyncSession, edition_id: int, ends: set[float], length: int
) -> dict[float, int]:
    """The whole edition's ballots in the ``length`` seconds up to each of ``ends`` (the
    busiest hour of a group, compared with everyone's). Counted window by window through
    the time index, never over the whole edition."""
    if not ends:
        return {}
    counts = [
        select(literal(end).label("end"), func.count().label("n")).where(
            FraudBallotFact.edition_id == edition_id,
            FraudBallotFact.ts >= end - length,
            FraudBallotFact.ts <= end,
        )
        for end in sorted(ends)
    ]
    result = await session.execute(union_all(*counts))
    return {float(end): int(n) for end, n in result}


async def request_ids(session: AsyncSession, ballot_ids: list[int]) -> dict[int, str | None]:
    result = await session.execute(
        select(Ballot.id, Ballot.request_id).where(Ballot.id.in_(ballot_ids))
    )
    return dict(result.all())
