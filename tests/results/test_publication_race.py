"""Two admins publish two drafts of one edition at the same moment: the partial UNIQUE
index lets one through, and the other is refused with a message, not a server error.
PostgreSQL only: SQLite serialises the writers before they can meet."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from tests.factories.editions import edition_create, voting_close
from tests.factories.results import run_drawn
from urna.core.db import transaction
from urna.editions.models import Edition
from urna.results import repository as results_repository
from urna.results import service as results

pytestmark = pytest.mark.postgres_only


async def test_of_two_publications_at_once_the_second_is_refused(app):
    edition = await edition_create(app)
    await voting_close(app, edition.id)
    async with transaction(app.state.ctx.db) as session:
        found = await session.get(Edition, edition.id)
        drafts = [(await run_drawn(session, found)).id for _ in range(2)]  # 0-vote ties drawn

    async def blocked() -> bool:
        async with app.state.ctx.db() as session:
            waiting = await session.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            return waiting.scalar_one() > 0

    async with app.state.ctx.db() as first, app.state.ctx.db() as second:
        await results.run_publish(
            session=first,
            edition=await first.get(Edition, edition.id),
            run_id=drafts[0],
            actor_id=None,
        )
        racing = asyncio.create_task(
            results.run_publish(
                session=second,
                edition=await second.get(Edition, edition.id),
                run_id=drafts[1],
                actor_id=None,
            )
        )
        for _ in range(500):  # until the second waits on the first's publication
            if racing.done() or await blocked():
                break
            await asyncio.sleep(0.01)
        await first.commit()
        with pytest.raises(results.PublishedMeanwhile):
            await racing
    async with app.state.ctx.db() as session:
        statuses = {
            run.id: run.status for run in await results_repository.runs_of(session, edition.id)
        }
    published = [run_id for run_id, status in statuses.items() if status == "published"]
    assert published == [drafts[0]] and statuses[drafts[1]] == "draft"
