"""A SAVEPOINT nests in the unit of work on SQLite too: a write refused inside it leaves the
rest, and the rest still commits or rolls back as one (the paper entry relies on it)."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from urna.core.db import create_engine, session_factory, transaction

pytestmark = pytest.mark.flow


async def test_a_savepoint_is_part_of_the_unit_of_work_on_sqlite(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'savepoint.db'}")
    factory = session_factory(engine)
    try:
        async with transaction(factory) as session:
            await session.execute(text("CREATE TABLE sheet (number INTEGER UNIQUE)"))

        # the first write of the unit in a SAVEPOINT: released, it is not yet committed
        with pytest.raises(RuntimeError):
            async with transaction(factory) as session:
                await session.execute(text("SELECT 1"))
                async with session.begin_nested():
                    await session.execute(text("INSERT INTO sheet VALUES (1)"))
                raise RuntimeError("the request fails after the savepoint")

        # a refused write rolls back to its savepoint; the unit goes on and commits
        async with transaction(factory) as session:
            with pytest.raises(IntegrityError):
                async with session.begin_nested():
                    await session.execute(text("INSERT INTO sheet VALUES (2), (2)"))
            async with session.begin_nested():
                await session.execute(text("INSERT INTO sheet VALUES (3)"))

        async with factory() as session:
            numbers = (await session.execute(text("SELECT number FROM sheet"))).scalars().all()
        assert numbers == [3]
    finally:
        await engine.dispose()
