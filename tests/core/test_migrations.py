"""The schema is built by the migrations: upgrade from empty, downgrade, upgrade again."""

import asyncio

import pytest
from sqlalchemy import inspect

from tests.conftest import fresh_database
from urna.core import migrate
from urna.core.db import create_engine
from urna.models import metadata

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
