"""Queries of the verification domain: decisions, the ballots a verifier reads (with their
voters, choices and request trails), the cases still undecided, and the evidence scopes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from urna.editions.models import Project
from urna.fraud.models import FraudCase, FraudCaseBallot
from urna.requestlog.models import RequestLog
from urna.verification.models import Decision
from urna.voting.models import Ballot, BallotChoice, Voter

# A decision that counts: not reversed, and not an invalidation still waiting for the
# second verifier.
D = Decision.__table__.c
EFFECTIVE = and_(
    D.reversed_at.is_(None), or_(D.needs_confirmation.is_(False), D.confirmed_at.isnot(None))
)


# ---- decisions ----------------------------------------------------------------------


async def decision_get(session: AsyncSession, decision_id: int) -> Decision | None:
    """Locked until the unit of work ends: two verifiers confirming or reversing the same
    decision at once take turns, and the second sees what the first did."""
    return await session.get(Decision, decision_id, with_for_update=True, populate_existing=True)


async def decisions_active(session: AsyncSession, ballot_ids: Sequence[int]) -> dict[int, Decision]:
    """Ballot id -> its decision in force (or pending), for the ballots that have one."""
    if not ballot_ids:
        return {}
    result = await session.execute(
        select(Decision).where(Decision.ballot_id.in_(ballot_ids), D.reversed_at.is_(None))
    )
    return {decision.ballot_id: decision for decision in result.scalars()}


async def decisions_of(session: AsyncSession, ballot_ids: Sequence[int]) -> list[Decision]:
    """Every decision on these ballots, reversed ones too, oldest first (the history)."""
    if not ballot_ids:
        return []
    result = await session.execute(
        select(Decision).where(Decision.ballot_id.in_(ballot_ids)).order_by(Decision.id)
    )
    return list(result.scalars())


async def decisions_pending(session: AsyncSession, edition_id: int) -> list[Decision]:
    result = await session.execute(
        select(Decision)
        .where(
            Decision.edition_id == edition_id,
            D.reversed_at.is_(None),
            D.needs_confirmation.is_(True),
            D.confirmed_at.is_(None),
        )
        .order_by(Decision.id)
    )
    return list(result.scalars())


def _undecided_ballot():
    """A case's ballot without an effective decision (correlated on fraud_case_ballot)."""
    decided = exists().where(D.ballot_id == FraudCaseBallot.ballot_id, EFFECTIVE)
    return not_(decided)


async def case_undecided_count(session: AsyncSession, case_id: int) -> int:
    result = await session.execute(
        select(func.count())
        .select_from(FraudCaseBallot)
        .where(FraudCaseBallot.case_id == case_id, _undecided_ballot())
    )
    return int(result.scalar_one())


async def case_status_set(session: AsyncSession, case_id: int, status: str) -> None:
    await session.execute(
        update(FraudCase)
        .where(FraudCase.id == case_id, FraudCase.status != status)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )


async def cases_of_ballots(session: AsyncSession, ballot_ids: Sequence[int]) -> list[int]:
    result = await session.execute(
        select(FraudCaseBallot.case_id)
        .where(FraudCaseBallot.ballot_id.in_(ballot_ids))
        .distinct()
        .order_by(FraudCaseBallot.case_id)
    )
    return list(result.scalars())


async def undecided_cases_exist(session: AsyncSession, edition_id: int) -> bool:
    """Whether a case of the edition holds a ballot no person has decided yet, or an
    invalidation waits for its second verifier."""
    undecided = (
        select(FraudCaseBallot.ballot_id)
        .join(FraudCase, FraudCase.id == FraudCaseBallot.case_id)
        .where(FraudCase.edition_id == edition_id, _undecided_ballot())
        .limit(1)
    )
    pending = (
        select(Decision.id)
        .where(
            Decision.edition_id == edition_id,
            D.reversed_at.is_(None),
            D.needs_confirmation.is_(True),
            D.confirmed_at.is_(None),
        )
        .limit(1)
    )
    for statement in (undecided, pending):
        if (await session.execute(statement)).first() is not None:
            return True
    return False


# ---- ballots, voters, choices, trails ------------------------------------------------


async def ballots_by_ids(
    session: AsyncSession, edition_id: int, ballot_ids: Sequence[int]
) -> list[Ballot]:
    if not ballot_ids:
        return []
    result = await session.execute(
        select(Ballot)
        .where(Ballot.edition_id == edition_id, Ballot.id.in_(ballot_ids))
        .order_by(Ballot.submitted_at, Ballot.id)
    )
    return list(result.scalars())


async def voters_by_ids(session: AsyncSession, voter_ids: Sequence[int]) -> dict[int, Voter]:
    if not voter_ids:
        return {}
    result = await session.execute(select(Voter).where(Voter.id.in_(voter_ids)))
    return {voter.id: voter for voter in result.scalars()}


async def choices_of(
    session: AsyncSession, ballot_ids: Sequence[int]
) -> dict[int, list[tuple[Project, int]]]:
    """Ballot id -> (project, points) chosen, by project number."""
    chosen: dict[int, list[tuple[Project, int]]] = defaultdict(list)
    if not ballot_ids:
        return chosen
    result = await session.execute(
        select(BallotChoice.ballot_id, Project, BallotChoice.points)
        .join(Project, Project.id == BallotChoice.project_id)
        .where(BallotChoice.ballot_id.in_(ballot_ids))
        .order_by(Project.number)
    )
    for ballot_id, project, points in result.all():
        chosen[ballot_id].append((project, points))
    return chosen


async def trail_rows(
    session: AsyncSession, ballots: Sequence[Ballot], *, limit: int
) -> list[RequestLog]:
    """The requests of the sessions that cast these ballots (and the casting requests),
    in time order."""
    hashes = {b.session_hash for b in ballots if b.session_hash}
    request_ids = {b.request_id for b in ballots if b.request_id}
    if not hashes and not request_ids:
        return []
    result = await session.execute(
        select(RequestLog)
        .where(or_(RequestLog.session_hash.in_(hashes), RequestLog.request_id.in_(request_ids)))
        .order_by(RequestLog.arrived_at, RequestLog.request_id)
        .limit(limit)
    )
    return list(result.scalars())


async def ballots_by_lookup_key(session: AsyncSession, edition_id: int, key: str) -> list[Ballot]:
    result = await session.execute(
        select(Ballot)
        .join(Voter, Voter.id == Ballot.voter_id)
        .where(Voter.edition_id == edition_id, Voter.lookup_key == key)
        .order_by(Ballot.id)
    )
    return list(result.scalars())


async def ballots_in_window(
    session: AsyncSession, edition_id: int, since: datetime, until: datetime, *, limit: int
) -> list[Ballot]:
    """Ballots cast in [since, until) that came over the network (with an address)."""
    result = await session.execute(
        select(Ballot)
        .where(
            Ballot.edition_id == edition_id,
            Ballot.submitted_at >= since,
            Ballot.submitted_at < until,
            Ballot.ip.isnot(None),
        )
        .order_by(Ballot.submitted_at, Ballot.id)
        .limit(limit)
    )
    return list(result.scalars())
