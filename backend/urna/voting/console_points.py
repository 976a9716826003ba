"""The paper desk's lists (admin): the office's collection points, a sheet recorded as
invalid with its reason, when it is typed or after (``voting.paper_points``), and a counted
sheet withdrawn to be typed again (``voting.paper_withdraw``)."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response

from urna.core.access import AdminUser
from urna.core.context import DbSession, get_ctx
from urna.core.db import utcnow
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_openapi, query_openapi
from urna.core.views import form_values, render, see_other
from urna.editions import service as editions
from urna.voting import paper_points, paper_repository, paper_sheets, paper_withdraw
from urna.voting.console import results_published
from urna.voting.paper_ballot import local_date
from urna.voting.paper_points import CollectionPointForm, PaperInvalidForm, ReasonForm

router = APIRouter()


async def _page(request, db, slug, template, *, values=None, errors=None, status_code=200):
    snapshot = await editions.edition_snapshot_cached(request, db, slug)
    edition = snapshot.edition
    published = await results_published(request, db, edition)
    context = {
        "edition": edition,
        "closed": paper_sheets.paper_closed_reason(snapshot, published=published),
        "points": await paper_sheets.paper_collection_points(session=db, edition_id=edition.id),
        "point_rows": await paper_repository.collection_point_rows(db, edition.id),
        "values": values or {"collected_on": local_date(utcnow()).isoformat()},
        "errors": errors or {},
    }
    return await render(
        request, f"voting/console/{template}", context, status_code=status_code, personal=True
    )


@router.get("/staff/paper/{slug}/points")
async def points_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _page(request, db, slug, "points.html")


@router.post("/staff/paper/{slug}/points", openapi_extra=form_openapi(CollectionPointForm))
async def point_add(request: Request, slug: str, db: DbSession, user: AdminUser):
    values = await form_values(request)
    edition = await editions.edition_get(session=db, slug=slug)
    try:
        await paper_points.collection_point_add(
            session=db, edition=edition, form=values, actor_id=user.id
        )
    except FormInvalid as error:
        return await _page(
            request, db, slug, "points.html", values=values, errors=error.errors, status_code=400
        )
    return see_other(f"/staff/paper/{slug}/points?added=1")


async def _point_page(
    request, db, slug, point_id, *, values=None, errors=None, params=None, status_code=200
):
    """One point of the list: renamed, or removed while no sheet names it."""
    edition = await editions.edition_get(session=db, slug=slug)
    point = await paper_repository.collection_point_get(db, edition.id, point_id)
    if point is None:
        raise NotFound()
    context = {"edition": edition, "point": point, "errors": errors or {}, "params": params or {}}
    context["values"] = values or {"name": point.name}
    return await render(
        request, "voting/console/point.html", context, status_code=status_code, personal=True
    )


@router.get("/staff/paper/{slug}/points/{point_id}")
async def point_page(request: Request, slug: str, point_id: int, db: DbSession, user: AdminUser):
    return await _point_page(request, db, slug, point_id)


@router.post(
    "/staff/paper/{slug}/points/{point_id}", openapi_extra=form_openapi(CollectionPointForm)
)
async def point_rename(request: Request, slug: str, point_id: int, db: DbSession, user: AdminUser):
    values = await form_values(request)
    edition = await editions.edition_get(session=db, slug=slug)
    try:
        await paper_points.collection_point_rename(
            session=db, edition=edition, point_id=point_id, form=values, actor_id=user.id
        )
    except FormInvalid as error:
        return await _point_page(
            request, db, slug, point_id, values=values, errors=error.errors, status_code=400
        )
    return see_other(f"/staff/paper/{slug}/points?added=1")


@router.post("/staff/paper/{slug}/points/{point_id}/remove", openapi_extra=form_openapi())
async def point_remove(request: Request, slug: str, point_id: int, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    try:
        await paper_points.collection_point_remove(
            session=db, edition=edition, point_id=point_id, actor_id=user.id
        )
    except paper_points.PointInUse as error:
        errors, params = {"__all__": error.message}, error.params
        return await _point_page(
            request, db, slug, point_id, errors=errors, params=params, status_code=409
        )
    return see_other(f"/staff/paper/{slug}/points?removed=1")


@router.get("/staff/paper/{slug}/invalid")
async def invalid_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _page(request, db, slug, "paper_invalid.html")


async def _recorded(request: Request, db, slug: str, user, record, page) -> Response:
    """A sheet recorded as invalid (``record``: as it is typed, or after): to the desk's
    outcome; refused, ``page`` again with what was typed (400)."""
    values = await form_values(request)
    snapshot = await editions.edition_snapshot_cached(request, db, slug)
    try:
        entry = await record(
            session=db,
            snapshot=snapshot,
            operator_id=user.id,
            form=values,
            published=get_ctx(request).results_published,
        )
    except FormInvalid as error:
        return await page(values=values, errors=error.errors, status_code=400)
    return see_other(f"/staff/paper/{slug}?entered={entry.id}")


@router.post("/staff/paper/{slug}/invalid", openapi_extra=form_openapi(PaperInvalidForm))
async def invalid_record(request: Request, slug: str, db: DbSession, user: AdminUser):
    page = partial(_page, request, db, slug, "paper_invalid.html")
    return await _recorded(request, db, slug, user, paper_points.paper_invalid_record, page)


async def _void_page(request, db, slug, entry_id, *, values=None, errors=None, status_code=200):
    """A sheet typed but not counted yet, to record as invalid after all (its reason)."""
    snapshot = await editions.edition_snapshot_cached(request, db, slug)
    edition = snapshot.edition
    entry = await paper_sheets.paper_sheet_get(session=db, edition_id=edition.id, entry_id=entry_id)
    if entry is None:
        raise NotFound()
    published = await results_published(request, db, edition)
    context = {
        "edition": edition,
        "entry": entry,
        "closed": paper_sheets.paper_closed_reason(snapshot, published=published, settling=True),
        "voidable": entry.status in paper_points.VOIDABLE,
        "values": values or {},
        "errors": errors or {},
    }
    return await render(
        request, "voting/console/paper_void.html", context, status_code=status_code,
        personal=True,
    )  # fmt: skip


@router.get("/staff/paper/{slug}/void/{entry_id}")
async def void_page(request: Request, slug: str, entry_id: int, db: DbSession, user: AdminUser):
    return await _void_page(request, db, slug, entry_id)


@router.post("/staff/paper/{slug}/void/{entry_id}", openapi_extra=form_openapi(ReasonForm))
async def void_record(request: Request, slug: str, entry_id: int, db: DbSession, user: AdminUser):
    void = partial(paper_points.paper_sheet_void, entry_id=entry_id)
    page = partial(_void_page, request, db, slug, entry_id)
    return await _recorded(request, db, slug, user, void, page)


async def _withdraw_page(
    request, db, slug, *, entry=None, values=None, errors=None, status_code=200
):  # fmt: skip
    """A counted sheet found by its number (``?sheet=``), to withdraw with the reason."""
    snapshot = await editions.edition_snapshot_cached(request, db, slug)
    edition = snapshot.edition
    typed = entry.sheet if entry else request.query_params.get("sheet", "")
    if entry is None and typed.strip():
        entry = await paper_withdraw.paper_sheet_find(
            session=db, edition_id=edition.id, typed=typed
        )
    published = await results_published(request, db, edition)
    context = {
        "edition": edition,
        "typed": typed,
        "entry": entry,
        "withdrawable": entry is not None and entry.status in paper_withdraw.WITHDRAWABLE,
        "closed": paper_sheets.paper_closed_reason(
            snapshot, published=published, settling=True, out=paper_withdraw.RESULTS_FINAL
        ),
        "values": values or {},
        "errors": errors or {},
    }
    return await render(
        request, "voting/console/paper_withdraw.html", context, status_code=status_code,
        personal=True,
    )  # fmt: skip


@router.get("/staff/paper/{slug}/withdraw", openapi_extra=query_openapi(sheet={"type": "string"}))
async def withdraw_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _withdraw_page(request, db, slug)


@router.post("/staff/paper/{slug}/withdraw/{entry_id}", openapi_extra=form_openapi(ReasonForm))
async def withdraw_record(
    request: Request, slug: str, entry_id: int, db: DbSession, user: AdminUser
):
    """Withdrawn, the desk opens with the sheet's number to type it again."""
    values = await form_values(request)
    snapshot = await editions.edition_snapshot_cached(request, db, slug)
    ctx = get_ctx(request)
    try:
        entry = await paper_withdraw.paper_sheet_withdraw(
            session=db,
            snapshot=snapshot,
            operator_id=user.id,
            entry_id=entry_id,
            form=values,
            published=ctx.results_published,
            reviewed=ctx.ballot_reviewed,
        )
    except FormInvalid as error:
        entry = await paper_sheets.paper_sheet_get(
            session=db, edition_id=snapshot.edition.id, entry_id=entry_id
        )
        if entry is None:
            raise NotFound() from error
        return await _withdraw_page(
            request, db, slug, entry=entry, values=values, errors=error.errors, status_code=400
        )
    return see_other(f"/staff/paper/{slug}?again={entry.id}")
