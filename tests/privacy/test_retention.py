"""Identity data are purged when the edition's retention period ends; ballots and results stay."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories.editions import edition_create
from tests.factories.voting import person, vote
from urna.core.audit import AuditEvent
from urna.core.db import transaction
from urna.editions.models import Edition
from urna.privacy import service as privacy
from urna.results import service as results
from urna.voting.models import Ballot, BallotChoice, Voter

pytestmark = pytest.mark.flow


def test_retention_ends_months_after_the_results_date():
    edition = Edition(
        slug="x",
        name="x",
        municipality="x",
        voting_opens_at=datetime(2026, 9, 1, tzinfo=UTC),
        voting_closes_at=datetime(2026, 10, 1, tzinfo=UTC),
        results_at=datetime(2026, 11, 30, 12, tzinfo=UTC),
        retention_months=3,
    )
    assert privacy.retention_ends_at(edition) == datetime(2027, 2, 28, 12, tzinfo=UTC)


async def test_purge_drops_identities_keeps_ballots_and_is_idempotent(app, client):
    """Other tests' editions share the database: everything is looked at by this edition."""
    edition = await edition_create(app)
    response = await vote(client, app, edition.slug, person(), ["C1", "N2"])
    assert response.status_code == 303

    def mine(reports):
        return [
            (r.edition_slug, r.voters, r.ballots, r.keys)
            for r in reports
            if r.edition_slug == edition.slug
        ]

    async with transaction(app.state.ctx.db) as session:
        before = await results.results_compute(
            session=session, edition=await session.get(Edition, edition.id)
        )
        ends = privacy.retention_ends_at(await session.get(Edition, edition.id))
        # a day early: nothing is touched
        assert (
            mine(
                await privacy.retention_purge(
                    session=session, crypto=app.state.ctx.crypto, now=ends - timedelta(days=1)
                )
            )
            == []
        )
        voter = (
            await session.execute(select(Voter).where(Voter.edition_id == edition.id))
        ).scalar_one()
        assert voter.identity_enc is not None and voter.purged_at is None
        ballot = (
            await session.execute(select(Ballot).where(Ballot.edition_id == edition.id))
        ).scalar_one()
        assert ballot.session_hash and ballot.request_id  # its way to its request trail

    async with transaction(app.state.ctx.db) as session:
        reports = await privacy.retention_purge(
            session=session, crypto=app.state.ctx.crypto, now=ends + timedelta(hours=1)
        )
        assert mine(reports) == [(edition.slug, 1, 1, 1)]

    async with transaction(app.state.ctx.db) as session:
        voter = (
            await session.execute(select(Voter).where(Voter.edition_id == edition.id))
        ).scalar_one()
        assert voter.identity_enc is None and voter.identity_key is None
        assert voter.contact_key is None and voter.pesel_key is None
        assert voter.purged_at is not None
        ballot = (
            await session.execute(select(Ballot).where(Ballot.edition_id == edition.id))
        ).scalar_one()
        assert ballot.status == "counted" and ballot.ip is None and ballot.user_agent is None
        # nor a way back to its requests: the request log keeps addresses by its own policy
        # (forever by default), and a ballot's choices must not lead to one after the purge
        assert ballot.session_hash is None and ballot.request_id is None
        assert ballot.receipt_hash and ballot.age_band  # anonymous facts stay
        choices = await session.execute(
            select(BallotChoice).where(BallotChoice.ballot_id == ballot.id)
        )
        assert len(choices.all()) == 2
        after = await results.results_compute(
            session=session, edition=await session.get(Edition, edition.id)
        )
        assert [p.projects for p in after.pools] == [p.projects for p in before.pools]
        audit_actions = await session.execute(
            select(AuditEvent.action).where(AuditEvent.target == f"edition:{edition.slug}")
        )
        assert audit_actions.scalars().all().count("privacy.retention_purge") == 1

        again = await privacy.retention_purge(
            session=session, crypto=app.state.ctx.crypto, now=ends + timedelta(days=30)
        )
        assert mine(again) == []
