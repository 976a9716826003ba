import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.voting import person, receipt_of, vote
from urna.editions.models import Project
from urna.voting import service as voting
from urna.voting.models import BallotChoice

pytestmark = pytest.mark.flow


async def test_resident_votes_and_gets_a_receipt(app, client):
    edition = await edition_create(app)
    response = await vote(client, app, edition.slug, person(), ["C1", "N1"])
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/e/{edition.slug}/vote/receipt?receipt=")
    receipt = await receipt_of(client, edition.slug)
    # the receipt names a stored ballot of this edition, counted, with the choices made
    async with app.state.ctx.db() as session:
        ballot = await voting.receipt_check(
            session=session, crypto=app.state.ctx.crypto, code=receipt
        )
        chosen = await session.scalars(
            select(Project.number)
            .join(BallotChoice, BallotChoice.project_id == Project.id)
            .where(BallotChoice.ballot_id == ballot.id)
        )
        numbers = sorted(chosen)
    assert ballot.edition_id == edition.id and ballot.status == "counted"
    assert ballot.channel == "online" and numbers == ["C1", "N1"]
