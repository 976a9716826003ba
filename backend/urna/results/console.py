"""Results in the staff console (admin): the runs of an edition, computing a draft, a run's
tables with the draws still needed, recording a pool's tie draw, publishing a draft.

Refusals of the results service (a review still open, a draw that does not order every
tie…) come before anything is written, and are shown on the page they came from, never
as a server error."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.access import AdminUser
from urna.core.context import DbSession, ReplicaSession, get_ctx
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_openapi, form_parse
from urna.core.i18n import N_
from urna.core.views import form_values, render, see_other
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.results import display, repository
from urna.results import service as results
from urna.results.models import ResultRun
from urna.results.schemas import DrawForm

CONFIRM_PUBLIC = N_(
    "Confirm that you have read what becomes public: tick the box above the button."
)
router = APIRouter()
# A run number outside the column's range is a bad address (400), not a database error.
RunId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _base(slug: str) -> str:
    return f"/staff/editions/{slug}/results"


def _page_context(edition: Edition) -> dict[str, Any]:
    return {"edition": edition, "phase": editions.edition_phase(edition), "section": "results"}


async def _runs_page(
    request: Request, db: AsyncSession, edition: Edition, *, error=None, status_code=200
):
    runs = await repository.runs_of(db, edition.id)
    ids = {run.computed_by for run in runs} | {run.published_by for run in runs}
    # staff are above results: the app factory hands over their e-mail lookup
    emails = await get_ctx(request).staff_emails(db, {i for i in ids if i is not None})
    context = _page_context(edition)
    context.update(runs=runs, emails=emails, error=error)
    return await render(request, "results/console/runs.html", context, status_code=status_code)


async def _run_page(
    request: Request,
    db: AsyncSession,
    edition: Edition,
    run: ResultRun,
    *,
    error=None,
    values: dict[str, str] | None = None,
    draw_errors: dict[str, str] | None = None,
    status_code: int = 200,
):
    """``error``: a refusal of the results service; ``draw_errors``: the refused fields of
    a pool's draw form, by their id on the page (``draw-<pool>-<field>``)."""
    draws = await repository.draws_of(db, edition.id)
    pools = await editions_repository.pools_of(db, edition.id)
    context = _page_context(edition)
    context.update(display.results_context(run))
    context.update(
        staff_view=True,
        error=error,
        values=values or {},
        draw_errors=draw_errors or {},
        recorded_draws={pool.code: draws.get(pool.id) for pool in pools},
        published=await repository.run_published(db, edition.id),
    )
    return await render(request, "results/console/run.html", context, status_code=status_code)


async def _run_of(db: AsyncSession, edition: Edition, run_id: int) -> ResultRun:
    run = await repository.run_get(db, run_id)
    if run is None or run.edition_id != edition.id:
        raise NotFound()
    return run


@router.get("/staff/editions/{slug}/results")
async def runs_page(request: Request, slug: str, db: ReplicaSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    return await _runs_page(request, db, edition)


@router.post("/staff/editions/{slug}/results", openapi_extra=form_openapi())
async def run_compute(request: Request, slug: str, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    try:
        run = await results.run_create(session=db, edition=edition, actor_id=user.id)
    except results.ResultsError as error:
        return await _runs_page(request, db, edition, error=error, status_code=error.status_code)
    return see_other(f"{_base(slug)}/{run.id}")


@router.get("/staff/editions/{slug}/results/{run_id}")
async def run_page(request: Request, slug: str, run_id: RunId, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    return await _run_page(request, db, edition, await _run_of(db, edition, run_id))


@router.post(
    "/staff/editions/{slug}/results/{run_id}/publish",
    openapi_extra=form_openapi(confirm={"enum": ["yes"]}),
)
async def run_publish(request: Request, slug: str, run_id: RunId, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    run = await _run_of(db, edition, run_id)
    try:
        if (await form_values(request)).get("confirm") != "yes":
            raise results.ResultsError(CONFIRM_PUBLIC)
        await results.run_publish(
            session=db,
            edition=edition,
            run_id=run.id,
            actor_id=user.id,
            checks=get_ctx(request).publish_checks,
        )
    except results.ResultsError as error:
        return await _run_page(request, db, edition, run, error=error, status_code=409)
    return see_other(f"{_base(slug)}/{run_id}?published=1")


@router.post(
    "/staff/editions/{slug}/results/{run_id}/draw",
    openapi_extra=form_openapi(DrawForm, pool={"type": "string"}),
)
async def draw_record(request: Request, slug: str, run_id: RunId, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    run = await _run_of(db, edition, run_id)
    values = await form_values(request)
    pools = await editions_repository.pools_of(db, edition.id)
    pool = next((p for p in pools if p.code == values.get("pool")), None)
    if pool is None:
        raise NotFound()
    try:
        draw = form_parse(DrawForm, values)
        await results.draw_record(
            session=db,
            edition=edition,
            pool=pool,
            seed=draw.seed,
            order=draw.drawn_order,
            note=draw.note,
            actor_id=user.id,
            run=run,
        )
    except FormInvalid as error:
        refused = {f"draw-{pool.code}-{name}": message for name, message in error.errors.items()}
        return await _run_page(
            request, db, edition, run, values=values, draw_errors=refused, status_code=400
        )
    except results.ResultsError as error:
        return await _run_page(
            request, db, edition, run, error=error, values=values, status_code=400
        )
    return see_other(f"{_base(slug)}?draw={pool.code}")
