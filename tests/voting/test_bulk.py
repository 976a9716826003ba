"""Imported ballots go in by voting's bulk insert: COPY on PostgreSQL, executemany on SQLite,
ids from the database, each choice in its project's pool, all or nothing with the unit."""

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from tests.factories.voting import person, vote
from urna.core.db import transaction, utcnow
from urna.editions.models import Project
from urna.voting.models import Ballot, BallotChoice
from urna.voting.repository import BulkBallot, ballots_insert_bulk

pytestmark = pytest.mark.flow


def bulk(projects: list[int], **overrides) -> BulkBallot:
    values = {
        "receipt_hash": secrets.token_hex(32),
        "channel": "paper",
        "submitted_at": utcnow() - timedelta(hours=1),
        "status": "counted",
        "area_id": None,
        "age_band": "25-34",
        "sex": "F",
        "choices": [(project, 3 - rank) for rank, project in enumerate(projects)],
    }
    values.update(overrides)
    return BulkBallot(**values)


async def test_ballots_and_choices_go_in_with_database_ids_and_their_pools(app, client):
    edition = await edition_create(app)
    other = await edition_create(app)
    async with transaction(app.state.ctx.db) as session:
        projects = (
            (await session.execute(select(Project).where(Project.edition_id == edition.id)))
            .scalars()
            .all()
        )
        pool_of = {p.number: (p.id, p.pool_id) for p in projects}
        c1, c2, n1 = (pool_of[n][0] for n in ("C1", "C2", "N1"))
        assert await ballots_insert_bulk(session, edition_id=other.id, ballots=[]) == 0
        written = await ballots_insert_bulk(
            session,
            edition_id=edition.id,
            ballots=[bulk([c1, c2]), bulk([n1], sex="", channel="online"), bulk([])],
        )
    assert written == 3
    async with app.state.ctx.db() as session:
        ballots = (
            (
                await session.execute(
                    select(Ballot).where(Ballot.edition_id == edition.id).order_by(Ballot.id)
                )
            )
            .scalars()
            .all()
        )
        choices = (
            await session.execute(
                select(BallotChoice.ballot_id, BallotChoice.project_id, BallotChoice.pool_id)
                .add_columns(BallotChoice.points)
                .where(BallotChoice.ballot_id.in_([b.id for b in ballots]))
                .order_by(BallotChoice.ballot_id, BallotChoice.points.desc())
            )
        ).all()
    assert [(b.channel, b.sex, b.voter_id, b.status) for b in ballots] == [
        ("paper", "F", None, "counted"),
        ("online", "", None, "counted"),
        ("paper", "F", None, "counted"),
    ]
    first, second, _ = (b.id for b in ballots)
    # the ids came from the database's own counter: the next online ballot takes another
    assert (await vote(client, app, edition.slug, person(), ["C1"])).status_code == 303
    assert [tuple(c) for c in choices] == [
        (first, c1, pool_of["C1"][1], 3),
        (first, c2, pool_of["C2"][1], 2),
        (second, n1, pool_of["N1"][1], 3),
    ]


async def test_a_project_of_another_edition_writes_nothing(app):
    edition = await edition_create(app)
    other = await edition_create(app)
    async with app.state.ctx.db() as session:
        foreign = (
            (await session.execute(select(Project.id).where(Project.edition_id == other.id)))
            .scalars()
            .first()
        )
    with pytest.raises(ValueError, match="not in edition"):
        async with transaction(app.state.ctx.db) as session:
            await ballots_insert_bulk(
                session, edition_id=edition.id, ballots=[bulk([]), bulk([foreign])]
            )
    async with app.state.ctx.db() as session:
        count = select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition.id)
        assert (await session.execute(count)).scalar_one() == 0


async def test_a_failed_import_rolls_back_with_its_unit_of_work(app):
    edition = await edition_create(app)
    async with app.state.ctx.db() as session:
        project = (
            (await session.execute(select(Project.id).where(Project.edition_id == edition.id)))
            .scalars()
            .first()
        )
    with pytest.raises(RuntimeError):
        async with transaction(app.state.ctx.db) as session:
            await ballots_insert_bulk(
                session, edition_id=edition.id, ballots=[bulk([project]) for _ in range(50)]
            )
            raise RuntimeError("the import fails later")
    async with app.state.ctx.db() as session:
        count = select(func.count()).select_from(Ballot).where(Ballot.edition_id == edition.id)
        assert (await session.execute(count)).scalar_one() == 0
