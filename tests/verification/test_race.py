"""Two verifiers deciding the same ballot at the same moment, on PostgreSQL: one decision
is recorded, the other refused (the partial UNIQUE index, never a check-then-insert)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from tests.factories.staff import staff_user_create
from tests.verification.conftest import cast
from urna.core.db import transaction
from urna.editions.models import Edition
from urna.verification import service as verification
from urna.verification.models import Decision
from urna.verification.schemas import DecisionForm

pytestmark = pytest.mark.postgres_only


async def test_two_verifiers_decide_one_ballot_at_once(app, edition):
    ballot = await cast(app, edition.slug, ["C1"])
    verifiers = [(await staff_user_create(app, "verifier"))[0] for _ in range(2)]
    factory = app.state.ctx.db
    started = asyncio.Barrier(2)

    async def decide(verifier, verdict: str, reason: str) -> str:
        try:
            async with transaction(factory) as session:
                row = await session.get(Edition, edition.id)
                await started.wait()
                await verification.ballots_decide(
                    session=session,
                    edition=row,
                    ballot_ids=[ballot.ballot_id],
                    decision=DecisionForm(verdict=verdict, reason=reason, note="seen in the logs"),
                    actor_id=verifier.id,
                )
            return "decided"
        except verification.DecisionRefused:
            return "refused"

    outcomes = await asyncio.gather(
        decide(verifiers[0], "invalid", "automated"), decide(verifiers[1], "valid", "genuine")
    )
    assert sorted(outcomes) == ["decided", "refused"]
    async with factory() as session:
        rows = (
            (await session.execute(select(Decision).where(Decision.ballot_id == ballot.ballot_id)))
            .scalars()
            .all()
        )
    assert len(rows) == 1
