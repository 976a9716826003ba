"""The schema is built by the migrations: upgrade from empty, downgrade, upgrade again; the
keys it declares hold."""

import asyncio

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from tests.conftest import fresh_database, make_settings
from tests.factories.editions import edition_create
from tests.results.test_importer import bulk_ballot
from urna.core import migrate
from urna.core.db import create_engine, transaction
from urna.editions.repository import projects_of
from urna.main import create_app
from urna.models import metadata
from urna.voting.models import Ballot, BallotChoice
from urna.voting.receipts import receipt_hashes_unheld
from urna.voting.repository import ballots_insert_bulk

pytestmark = pytest.mark.flow


async def tables(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    return names - {"alembic_version"}


async def test_upgrade_downgrade_upgrade(tmp_path):
    url, drop = await fresh_database(tmp_path)
    try:
        assert await tables(url) == set(metadata.tables)
        await asyncio.to_thread(migrate.downgrade, url, "base")
        assert await tables(url) == set()
        await asyncio.to_thread(migrate.upgrade, url)
        assert await tables(url) == set(metadata.tables)
    finally:
        await drop()


async def test_models_and_migrations_agree(tmp_path):
    """Autogenerate finds nothing to add: the migrations describe the models exactly."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url, drop = await fresh_database(tmp_path)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": False}), metadata
                )
            )
        assert diff == []
    finally:
        await engine.dispose()
        await drop()


async def test_a_choice_names_an_existing_ballot_and_a_project_in_its_pool(app):
    """The database keeps each choice to an existing ballot and to its project's own pool
    (one key to ``project (id, pool_id)``), on both backends."""
    edition = await edition_create(app)
    async with transaction(app.state.ctx.db) as session:
        projects = {p.number: p for p in await projects_of(session, edition.id)}
        await ballots_insert_bulk(
            session, edition_id=edition.id, ballots=[bulk_ballot(receipt_hashes_unheld(1)[0], [])]
        )
        ballot = await session.scalar(select(Ballot.id).where(Ballot.edition_id == edition.id))
    city, north = projects["C1"], projects["N1"]
    assert city.pool_id != north.pool_id
    refused = [
        {"ballot_id": ballot, "project_id": city.id, "pool_id": north.pool_id},
        {"ballot_id": ballot + 1_000_000, "project_id": city.id, "pool_id": city.pool_id},
        {"ballot_id": ballot, "project_id": 1_000_000, "pool_id": city.pool_id},
    ]
    for row in refused:
        with pytest.raises(IntegrityError):
            async with transaction(app.state.ctx.db) as session:
                await session.execute(insert(BallotChoice).values(**row))
    async with transaction(app.state.ctx.db) as session:
        await session.execute(
            insert(BallotChoice).values(ballot_id=ballot, project_id=city.id, pool_id=city.pool_id)
        )
    async with app.state.ctx.db() as session:
        choices = await session.execute(
            select(BallotChoice.project_id, BallotChoice.pool_id).where(
                BallotChoice.ballot_id == ballot
            )
        )
        assert [tuple(row) for row in choices] == [(city.id, city.pool_id)]


async def test_the_choice_key_revision_keeps_the_choices(tmp_path):
    """Down to the revision before one key to ``project (id, pool_id)`` and up again (on
    SQLite both rebuild the tables): every choice is still there."""
    url, drop = await fresh_database(tmp_path)
    try:
        application = create_app(make_settings(url))
        async with LifespanManager(application):
            edition = await edition_create(application)
            async with transaction(application.state.ctx.db) as session:
                projects = await projects_of(session, edition.id)
                ballot = bulk_ballot(
                    receipt_hashes_unheld(1)[0], [project.id for project in projects]
                )
                await ballots_insert_bulk(session, edition_id=edition.id, ballots=[ballot])
        expected = {(project.id, project.pool_id) for project in projects}
        await asyncio.to_thread(migrate.downgrade, url, "0012_result_files")
        assert await choices(url) == expected
        await asyncio.to_thread(migrate.upgrade, url)
        assert await choices(url) == expected
    finally:
        await drop()


async def choices(url: str) -> set[tuple[int, int]]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = await conn.execute(select(BallotChoice.project_id, BallotChoice.pool_id))
        found = {tuple(row) for row in rows}
    await engine.dispose()
    return found
