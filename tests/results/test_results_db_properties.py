"""Properties of the results on random small elections, through the database (import,
tally, allocate): the outcome does not depend on the order the ballots were cast in, and
only counted ballots count."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import fresh_database
from urna.core.db import create_engine, session_factory, transaction
from urna.results.importer import ImportSummary, edition_import_pabulib
from urna.results.pabulib import PbInstance, PbProject, PbVote
from urna.results.pabulib_write import pabulib_write
from urna.results.service import results_compute
from urna.voting.models import Ballot


@dataclass
class Scratch:
    engine: AsyncEngine
    directory: Path

    async def load(self, instance: PbInstance) -> ImportSummary:
        path = self.directory / f"{uuid.uuid4().hex}.pb"
        pabulib_write(instance, path)
        async with transaction(session_factory(self.engine)) as session:
            return await edition_import_pabulib(
                session=session, path=path, slug=f"prop-{uuid.uuid4().hex[:12]}"
            )

    async def pools(self, summary: ImportSummary) -> list[dict[str, Any]]:
        return (await self.compute(summary))["pools"]

    async def compute(self, summary: ImportSummary) -> dict[str, Any]:
        async with session_factory(self.engine)() as session:
            return (await results_compute(session=session, edition=summary.edition)).as_json()


@pytest.fixture(scope="module")
async def scratch(tmp_path_factory) -> AsyncIterator[Scratch]:
    directory = tmp_path_factory.mktemp("elections")
    url, drop = await fresh_database(directory)
    engine = create_engine(url, pool_size=2)
    try:
        yield Scratch(engine, directory)
    finally:
        await engine.dispose()
        await drop()


RULES = (
    "greedy",
    "greedy-no-skip",
    "greedy-threshold",
    "equalshares",
    "equalshares/add1",
    "equalshares/add1-comparison",
)


@st.composite
def elections(draw) -> PbInstance:
    """Up to 6 projects and 25 approval ballots, small scores on purpose (ties are common)."""
    count = draw(st.integers(1, 6))
    ids = [str(number) for number in range(1, count + 1)]
    projects = [PbProject(project_id=i, cost=draw(st.integers(1, 60)), name=f"P{i}") for i in ids]
    votes = [
        PbVote(voter_id=str(index), vote=tuple(ballot))
        for index, ballot in enumerate(
            draw(
                st.lists(
                    st.lists(st.sampled_from(ids), min_size=1, max_size=count, unique=True),
                    min_size=1,
                    max_size=25,
                )
            )
        )
    ]
    rule = draw(st.sampled_from(RULES))
    meta = {
        "description": "hypothesis",
        "unit": "Testowo",
        "budget": str(draw(st.integers(1, 150))),
        "vote_type": "approval",
        "rule": rule,
    }
    if rule == "greedy-threshold":
        meta["min_project_score_threshold"] = str(draw(st.integers(0, 5)))
    return PbInstance(meta=meta, projects=projects, votes=votes)


PROPERTY_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.flow
@PROPERTY_SETTINGS
@given(election=elections(), seed=st.integers(0, 2**32 - 1))
async def test_results_do_not_depend_on_the_order_of_casting(scratch, election, seed):
    shuffled = list(election.votes)
    random.Random(seed).shuffle(shuffled)

    as_cast = await scratch.pools(await scratch.load(election))
    reordered = await scratch.pools(await scratch.load(replace(election, votes=shuffled)))

    assert as_cast == reordered  # funded, spent, every step of the allocation, the tallies


@pytest.mark.flow
@PROPERTY_SETTINGS
@given(election=elections(), data=st.data())
async def test_only_counted_ballots_count(scratch, election, data):
    statuses = data.draw(
        st.lists(
            st.sampled_from(("counted", "under_review", "invalid")),
            min_size=len(election.votes),
            max_size=len(election.votes),
        )
    )
    summary = await scratch.load(election)
    before = await scratch.compute(summary)
    async with session_factory(scratch.engine)() as session:
        ids = (
            await session.execute(
                select(Ballot.id).where(Ballot.edition_id == summary.edition.id).order_by(Ballot.id)
            )
        ).scalars()
        ids = list(ids)
        dropped: Counter[str] = Counter()
        for ballot_id, vote, status in zip(ids, election.votes, statuses, strict=True):
            if status != "counted":
                dropped.update(vote.vote)
                await session.execute(
                    update(Ballot).where(Ballot.id == ballot_id).values(status=status)
                )
        await session.commit()
    after = await scratch.compute(summary)
    # The same election holding the counted votes only: what the rule must decide.
    counted = [
        vote for vote, status in zip(election.votes, statuses, strict=True) if status == "counted"
    ]
    only_counted = await scratch.pools(await scratch.load(replace(election, votes=counted)))

    [pool_before], [pool_after] = before["pools"], after["pools"]
    votes_before = {row["number"]: row["votes"] for row in pool_before["projects"]}
    votes_after = {row["number"]: row["votes"] for row in pool_after["projects"]}
    assert votes_after == {
        number: votes_before[number] - dropped[number] for number in votes_before
    }
    assert {row["number"]: row["points"] for row in pool_after["projects"]} == votes_after
    assert after["ballots"] == {status: statuses.count(status) for status in before["ballots"]}
    assert after["turnout"]["total"] == statuses.count("counted")
    assert after["pools"] == only_counted
