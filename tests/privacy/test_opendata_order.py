"""The public `.pb` file cannot be linked back to ballots: ballots are listed in a random
permutation drawn at publication (the same at every download), never in id order."""

from __future__ import annotations

import itertools

import pytest

from tests.factories.editions import edition_create, voting_close
from tests.factories.results import run_drawn
from tests.results.factories import ballots_add
from urna.core.db import transaction
from urna.editions.models import Edition
from urna.results import repository as results_repository
from urna.results import service as results
from urna.results.pabulib import pabulib_loads

pytestmark = pytest.mark.flow

NUMBERS = ("C1", "C2", "C3", "N1", "N2")


async def test_pb_lists_ballots_in_a_random_order_fixed_at_publication(app, client):
    edition = await edition_create(app)
    # twelve ballots, each choosing a different pair of projects: their order is visible
    choices = [list(pair) for pair in itertools.combinations(NUMBERS, 2)]
    choices += [[number] for number in NUMBERS[:2]]
    await ballots_add(app, edition, choices)
    await voting_close(app, edition.id)
    async with transaction(app.state.ctx.db) as session:
        found = await session.get(Edition, edition.id)
        run = await run_drawn(session, found)  # N1 and N2 tie, and N funds one: drawn
        assert run.ballot_order_seed is None  # drawn at publication, not before
        await results.run_publish(session=session, edition=found, run_id=run.id, actor_id=None)
    async with app.state.ctx.db() as session:
        published = await results_repository.run_published(session, edition.id)
        assert published.ballot_order_seed is not None

    first = (await client.get(f"/e/{edition.slug}/results.pb")).text
    second = (await client.get(f"/e/{edition.slug}/results.pb")).text
    assert first == second  # fixed, not reshuffled at each download
    instance = pabulib_loads(first)
    listed = [sorted(vote.vote) for vote in instance.votes]
    in_city_pool = [sorted(n for n in ballot if n.startswith("C")) for ballot in choices]
    in_id_order = [ballot for ballot in in_city_pool if ballot]
    assert sorted(listed) == sorted(in_id_order)  # the same ballots ...
    assert listed != in_id_order  # ... but not in the order they were cast
    assert [vote.voter_id for vote in instance.votes] == [str(i) for i in range(1, len(listed) + 1)]
    assert set(instance.vote_columns) <= {"voter_id", "vote", "points", "age_band", "sex"}
