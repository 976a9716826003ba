"""Result runs as the office computes and publishes them in the console, straight
through the service (session-level, for the in-process tests and the live server's)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.editions import repository as editions_repository
from urna.editions.models import Edition
from urna.results import deciding
from urna.results import service as results
from urna.results.models import ResultFile, ResultRun
from urna.results.schemas import ResultsPayload

DRAW_NOTE = "Losowanie publiczne w urzędzie (test)"


async def run_drawn(session: AsyncSession, edition: Edition) -> ResultRun:
    """A draft that may be published: computed, and when a tie waiting for its draw decides
    what a pool funds (publishing is refused then), the draw of that pool recorded as the
    office records it in the console (the tied projects in number order) and the results
    computed again. Flushed, not committed."""
    run = await results.run_create(session=session, edition=edition, actor_id=None)
    payload = ResultsPayload.model_validate(run.payload)
    found = await deciding.ties_deciding(session=session, edition=edition, payload=payload)
    if not found:
        return run
    pools = {pool.code: pool for pool in await editions_repository.pools_of(session, edition.id)}
    for result in {result.code: result for result, _ in found}.values():
        await results.draw_record(
            session=session,
            edition=edition,
            pool=pools[result.code],
            seed=None,
            order=result.tied(),
            note=DRAW_NOTE,
            actor_id=None,
            run=run,
        )
    return await results.run_create(session=session, edition=edition, actor_id=None)


async def result_run_add(session: AsyncSession, edition_id: int, *, publish: bool) -> int:
    """A run of ``edition_id``'s results (voting must have closed to publish), a draft
    or published (after the draw of any tie that decides funding: `run_drawn`); flushed,
    not committed. Returns the run's id."""
    edition = await session.get(Edition, edition_id)
    if not publish:
        return (await results.run_create(session=session, edition=edition, actor_id=None)).id
    run = await run_drawn(session, edition)
    await results.run_publish(session=session, edition=edition, run_id=run.id, actor_id=None)
    return run.id


async def result_files(session: AsyncSession, run_id: int) -> list[str]:
    """The digests of a published run's open-data files (``/results/files/{sha256}``)."""
    found = await session.execute(select(ResultFile.sha256).where(ResultFile.run_id == run_id))
    return list(found.scalars())
