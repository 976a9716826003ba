"""Public results of an edition, from its published run only: the page, and the open data
(JSON payload, CSV of projects, pabulib `.pb` per pool)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from urna.core.context import DbSession
from urna.core.views import render
from urna.editions import service as editions
from urna.results import display, opendata
from urna.results import service as results
from urna.results.schemas import canonical_json

router = APIRouter()


def _download(content: str, media_type: str, filename: str) -> Response:
    return Response(
        content.encode(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/e/{slug}/results")
async def results_page(request: Request, slug: str, db: DbSession):
    edition = await editions.edition_get(session=db, slug=slug)
    run = await results.run_published(session=db, edition=edition)
    context = {"edition": edition, "phase": editions.edition_phase(edition)}
    return await render(request, "results/results.html", context | display.results_context(run))


@router.get("/e/{slug}/results.json")
async def results_json(slug: str, db: DbSession):
    edition = await editions.edition_get(session=db, slug=slug)
    run = await results.run_published(session=db, edition=edition)
    content = canonical_json(run.payload)
    return _download(content, "application/json", f"{slug}-results.json")


@router.get("/e/{slug}/results.csv")
async def results_csv(slug: str, db: DbSession):
    edition = await editions.edition_get(session=db, slug=slug)
    run = await results.run_published(session=db, edition=edition)
    return _download(opendata.results_csv(run), "text/csv; charset=utf-8", f"{slug}-results.csv")


@router.get("/e/{slug}/results.pb")
async def results_pabulib(slug: str, db: DbSession, pool: str | None = None):
    edition = await editions.edition_get(session=db, slug=slug)
    run = await results.run_published(session=db, edition=edition)
    # The .pb file lists each ballot, read now: it must match the published tally.
    await results.run_ensure_current(session=db, edition=edition, run=run)
    code, content = await opendata.results_pabulib(
        session=db, edition=edition, run=run, pool_code=pool
    )
    return _download(content, "text/plain; charset=utf-8", f"{slug}-{code}.pb")
