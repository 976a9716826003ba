"""The online flow takes approval ballots only: a points edition refuses, nothing is saved."""

import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from urna.voting.models import Ballot

pytestmark = pytest.mark.flow


async def test_points_edition_is_not_voted_online(app, client):
    edition = await edition_create(app, vote_type="cumulative")
    response = await client.get(f"/e/{edition.slug}/vote")
    assert response.status_code == 409
    assert "przez internet można oddać tylko głos" in response.text
    async with app.state.ctx.db() as session:
        assert (
            await session.execute(select(func.count()).where(Ballot.edition_id == edition.id))
        ).scalar() == 0
