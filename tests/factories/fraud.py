"""Fraud cases as the scan stores them (the scan's heuristics are the fraud tests'
business; elsewhere a case is a given). Session-level, so that the in-process tests
(``app.state.ctx.db``) and the live server's (``LiveServer._with_db``) seed the same way."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import utcnow
from urna.fraud.models import FraudCase, FraudCaseBallot, FraudSignal, FraudSignalBallot


async def fraud_case_add(
    session: AsyncSession, *, edition_id: int, ballot_ids: list[int], ip: str
) -> int:
    """A case holding ``ballot_ids`` with one signal (many ballots from ``ip``); flushed,
    not committed. Returns the case's id."""
    now = utcnow()
    key = f"ip:{ip}:{now.timestamp()}"
    case = FraudCase(edition_id=edition_id, key=key, score=7.5)
    session.add(case)
    await session.flush()
    signal = FraudSignal(
        edition_id=edition_id,
        case_id=case.id,
        kind="ip",
        key=key,
        score=7.5,
        evidence={
            "message": "%(count)s ballots from %(ip)s",
            "params": {"count": len(ballot_ids), "ip": ip},
        },
        first_at=now,
        last_at=now,
    )
    session.add(signal)
    await session.flush()
    for ballot_id in ballot_ids:
        session.add(FraudCaseBallot(case_id=case.id, ballot_id=ballot_id))
        session.add(FraudSignalBallot(signal_id=signal.id, ballot_id=ballot_id))
    await session.flush()
    return case.id
