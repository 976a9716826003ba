"""results_compute on an edition built in the database: leftover transfers between pools,
a % threshold of the pool's voters, paper and online ballots alike, invalid ones left out."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories.editions import edition_create
from tests.results.factories import ballot_add
from urna.editions import repository as editions_repository
from urna.editions.models import Edition
from urna.results import service as results

pytestmark = pytest.mark.flow


async def test_leftover_moves_to_the_target_pool_and_thresholds_use_the_pools_voters(app):
    edition = await edition_create(app)
    async with app.state.ctx.db() as session:
        pools = {p.code: p for p in await editions_repository.pools_of(session, edition.id)}
        pools["N"].leftover_to_pool_id = pools["CITY"].id
        pools["CITY"].min_votes_percent = Decimal("50")
        projects = {p.number: p for p in await editions_repository.projects_of(session, edition.id)}
        for numbers in (["C1", "C2"], ["C1", "C2"], ["C3"], ["N1"], ["N1"]):
            await ballot_add(session, projects, numbers)
        await ballot_add(session, projects, ["C1"], channel="paper")
        await ballot_add(session, projects, ["C3"], status="invalid")
        await ballot_add(session, projects, ["C3"], status="under_review")
        await session.commit()

    async with app.state.ctx.db() as session:
        payload = await results.results_compute(
            session=session, edition=await session.get(Edition, edition.id)
        )
    city, north = payload.pool("CITY"), payload.pool("N")
    votes = {row.number: row.votes for row in city.projects}
    # the paper ballot counts like an online one; invalid and under-review ballots do not
    assert votes == {"C1": 3, "C2": 2, "C3": 1}
    assert payload.ballots == {"counted": 6, "under_review": 1, "invalid": 1}
    # CITY's voters are the 4 counted ballots with a CITY choice: 50 % needs 2 votes
    assert city.voters == 4 and city.threshold == 2
    assert {row.number: row.outcome for row in city.projects}["C3"] == "below_threshold"
    # N funds N1 (8 000 zł) and passes its 22 000 zł on; with 122 000 zł CITY funds C1 and C2,
    # which its own 100 000 zł could not (60 000 + 50 000)
    assert north.funded == ["N1"] and north.given == 22_000_00
    assert north.money_left == 0
    assert city.received == 22_000_00
    assert city.funded == ["C1", "C2"] and city.money_left == 12_000_00
    kinds = [(step["kind"], step["pool_id"]) for step in payload.transfers]
    assert ("transfer_out", "N") in kinds and ("transfer_in", "CITY") in kinds
    assert ("recomputed", "CITY") in kinds
