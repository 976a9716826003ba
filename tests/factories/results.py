"""Result runs as the office computes and publishes them in the console, straight
through the service (session-level, for the in-process tests and the live server's)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.editions.models import Edition
from urna.results import service as results
from urna.results.models import ResultFile


async def result_run_add(session: AsyncSession, edition_id: int, *, publish: bool) -> int:
    """A run of ``edition_id``'s results (voting must have closed to publish), a draft
    or published; flushed, not committed. Returns the run's id."""
    edition = await session.get(Edition, edition_id)
    run = await results.run_create(session=session, edition=edition, actor_id=None)
    if publish:
        await results.run_publish(session=session, edition=edition, run_id=run.id, actor_id=None)
    return run.id


async def result_files(session: AsyncSession, run_id: int) -> list[str]:
    """The digests of a published run's open-data files (``/results/files/{sha256}``)."""
    found = await session.execute(select(ResultFile.sha256).where(ResultFile.run_id == run_id))
    return list(found.scalars())
