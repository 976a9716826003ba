"""Paper ballots in the staff console (admin): entry, second (blind) entry, mismatches
and their resolution, subtotals per collection point and per day."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.access import AdminUser, Principal
from urna.core.context import DbSession, get_ctx
from urna.core.db import utcnow
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import MAX_ID, form_openapi, query_openapi, whole_in
from urna.core.views import form_list, form_values, render, request_id, see_other
from urna.editions import service as editions
from urna.voting import paper, paper_sheets
from urna.voting.choices import ballot_options_all
from urna.voting.paper_ballot import PaperHeaderForm, PaperResolveForm, local_date
from urna.voting.schemas import PROJECT_BOXES, IdentityForm, project_id

router = APIRouter()
NOT_KEPT = {"csrf_token", "pesel"}


async def _render(request: Request, name: str, context: dict, *, status_code: int = 200):
    return await render(
        request, f"voting/console/{name}", context, status_code=status_code, personal=True
    )


async def _emails(request: Request, db: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """The operators' e-mail addresses (the staff domain answers, through the context)."""
    staff_emails = get_ctx(request).staff_emails
    return await staff_emails(db, set(ids)) if staff_emails else {}


async def results_published(request: Request, db: AsyncSession, edition) -> bool:
    """Whether the edition's results are out (the results domain answers, through the
    context): paper entry ends with them. A page reads it; a sheet's write asks it itself,
    holding the desk (``paper_sheets.paper_desk_hold``)."""
    published = get_ctx(request).results_published
    return bool(published and await published(session=db, edition=edition))


def _ballot_context(snapshot, values, picked, errors, params=None) -> dict:
    return {
        "edition": snapshot.edition,
        "pools": ballot_options_all(snapshot=snapshot),
        "required": set(snapshot.edition.required_fields),
        "values": {k: v for k, v in values.items() if k not in NOT_KEPT},
        "picked": {pid for pid in map(project_id, picked) if pid is not None},
        "errors": errors,
        "params": params or {},
    }


async def _entered(
    request: Request,
    db: AsyncSession,
    user: Principal,
    slug: str,
    *,
    enter: Callable[..., Awaitable[Any]],
    page: Callable[..., Awaitable[Response]],
    landing: Callable[[AsyncSession, Any], Awaitable[str]] | None = None,
) -> Response:
    """The shape of every entry of a sheet (first, second, resolution): ``enter`` (a
    ``paper`` function) records the ballot on the form; refused, ``page`` shows the sheet
    again as it was typed (400); recorded, the page the work goes on from (``landing``:
    its path, the entry page if None) says how the sheet stands."""
    snapshot = await editions.edition_snapshot_cached(request, db, slug, streets=True)
    values = await form_values(request)
    picked = await form_list(request, "project")
    try:
        outcome = await enter(
            session=db,
            crypto=get_ctx(request).crypto,
            snapshot=snapshot,
            operator_id=user.id,
            form=values,
            picked=picked,
            published=get_ctx(request).results_published,
            request_id=request_id(request),
        )
    except FormInvalid as error:
        return await page(
            snapshot,
            values=values,
            picked=picked,
            errors=error.errors,
            params=error.params,
            code=400,
        )
    path = await landing(db, snapshot.edition) if landing else ""
    return see_other(f"/staff/paper/{slug}{path}?entered={outcome.entry_id}")


@router.get("/staff/paper")
async def paper_editions(request: Request, db: DbSession, user: AdminUser):
    items = await editions.editions_list(session=db)
    phases = {e.id: editions.edition_phase(e) for e in items}
    return await _render(
        request,
        "paper_editions.html",
        {"editions": [e for e in items if phases[e.id] in ("open", "closed")], "phases": phases},
    )


async def _outcome(request: Request, db: AsyncSession, edition):
    """The sheet just typed (``?entered=``), to say how it stands, or None."""
    entered = whole_in(request.query_params.get("entered"))  # no id column holds more
    if entered is None:
        return None
    return await paper_sheets.paper_sheet_get(session=db, edition_id=edition.id, entry_id=entered)


async def _entry_page(
    request, db, snapshot, *, values=None, picked=(), errors=None, params=None, code=200
):
    edition = snapshot.edition
    outcome = await _outcome(request, db, edition)
    withdrawn = await paper_sheets.paper_withdrawn_waiting(session=db, edition_id=edition.id)
    again = whole_in(request.query_params.get("again"))
    again = next((sheet for sheet in withdrawn if sheet.id == again), None)
    if values is None:
        today = local_date(utcnow()).isoformat()
        values = {
            "collection_point": outcome.collection_point if outcome else "",
            "collected_on": outcome.collected_on.isoformat() if outcome else today,
        }
        if again is not None:  # a sheet withdrawn: typed again under its number
            values = {
                "sheet": again.sheet,
                "collection_point": again.collection_point,
                "collected_on": again.collected_on.isoformat(),
            }
    recent = await paper_sheets.paper_sheets(session=db, edition_id=edition.id, limit=20)
    context = _ballot_context(snapshot, values, picked, errors or {}, params)
    context.update(
        closed=paper_sheets.paper_closed_reason(
            snapshot,
            published=await results_published(request, db, edition),
            settling=bool(withdrawn),  # those sheets are typed until the results are out
        ),
        outcome=outcome,
        withdrawn=withdrawn,
        again=again,
        subtotals=await paper_sheets.paper_subtotals(session=db, edition_id=edition.id),
        recent=recent,
        points=await paper_sheets.paper_collection_points(session=db, edition_id=edition.id),
        emails=await _emails(request, db, (e.operator_id for e in recent)),
    )
    return await _render(request, "paper.html", context, status_code=code)


@router.get(
    "/staff/paper/{slug}",
    openapi_extra=query_openapi(
        entered={"type": "integer", "minimum": 1, "maximum": MAX_ID},
        again={"type": "integer", "minimum": 1, "maximum": MAX_ID},
    ),
)
async def paper_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    snapshot = await editions.edition_snapshot_cached(request, db, slug, streets=True)
    return await _entry_page(request, db, snapshot)


@router.post(
    "/staff/paper/{slug}",
    openapi_extra=form_openapi(PaperHeaderForm, IdentityForm, project=PROJECT_BOXES),
)
async def paper_enter(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _entered(
        request,
        db,
        user,
        slug,
        enter=paper.paper_first_enter,
        page=partial(_entry_page, request, db),
    )


async def _sheets_page(request, db, slug, user, *, status: str, mode: str):
    snapshot = await editions.edition_snapshot_cached(request, db, slug, streets=True)
    sheets = await paper_sheets.paper_sheets(
        session=db, edition_id=snapshot.edition.id, status=status
    )
    return await _render(
        request,
        "paper_list.html",
        {
            "edition": snapshot.edition,
            "sheets": sheets,
            "emails": await _emails(request, db, (s.operator_id for s in sheets)),
            "mode": mode,
            "me": user.id,
            "outcome": await _outcome(request, db, snapshot.edition),
        },
    )


async def _second_landing(db: AsyncSession, edition) -> str:
    """After a second entry, where the work goes on: the sheets still waiting for theirs,
    or the desk when none waits."""
    waiting = await paper_sheets.paper_sheets(
        session=db, edition_id=edition.id, status="awaiting_second", limit=1
    )
    return "/second" if waiting else ""


@router.get(
    "/staff/paper/{slug}/second",
    openapi_extra=query_openapi(entered={"type": "integer", "minimum": 1, "maximum": MAX_ID}),
)
async def second_list(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _sheets_page(request, db, slug, user, status="awaiting_second", mode="second")


async def _sheet_page(
    request, db, entry_id, mode, snapshot, *, values=None, picked=(), errors=None, params=None,
    mismatch=None, code=200,
):  # fmt: skip
    entry = await paper_sheets.paper_sheet_get(
        session=db, edition_id=snapshot.edition.id, entry_id=entry_id
    )
    if entry is None:
        raise NotFound()
    context = _ballot_context(snapshot, values or {}, picked, errors or {}, params)
    context.update(entry=entry, mode=mode, mismatch=mismatch)
    return await _render(request, "paper_sheet.html", context, status_code=code)


async def _second_page(request, db, user, entry_id, snapshot, **page):
    """A sheet to type again, blind (shown again with a refused second entry)."""
    return await _sheet_page(request, db, entry_id, "second", snapshot, **page)


async def _sheet_entered(request, db, user, slug, entry_id, *, enter, page, landing=None):
    """A typing of a sheet already entered once (second entry, resolution): refused,
    ``page`` (``_second_page``, ``_resolve_page``) shows the sheet again."""
    return await _entered(
        request,
        db,
        user,
        slug,
        enter=partial(enter, entry_id=entry_id),
        page=partial(page, request, db, user, entry_id),
        landing=landing,
    )


@router.get("/staff/paper/{slug}/second/{entry_id}")
async def second_page(request: Request, slug: str, entry_id: int, db: DbSession, user: AdminUser):
    snapshot = await editions.edition_snapshot_cached(request, db, slug, streets=True)
    await paper.paper_second_sheet(
        session=db, snapshot=snapshot, operator_id=user.id, entry_id=entry_id
    )
    return await _second_page(request, db, user, entry_id, snapshot)


@router.post(
    "/staff/paper/{slug}/second/{entry_id}",
    openapi_extra=form_openapi(IdentityForm, project=PROJECT_BOXES),
)
async def second_enter(request: Request, slug: str, entry_id: int, db: DbSession, user: AdminUser):
    second = partial(_sheet_entered, enter=paper.paper_second_enter, landing=_second_landing)
    return await second(request, db, user, slug, entry_id, page=_second_page)


@router.get("/staff/paper/{slug}/mismatches")
async def mismatch_list(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _sheets_page(request, db, slug, user, status="mismatch", mode="mismatch")


async def _resolve_page(request, db, user, entry_id, snapshot, **page):
    """A sheet whose entries differ: both side by side, and the form to settle it (shown
    again with a refused resolution: the comparison is what the clerk works from)."""
    mismatch = await paper.paper_mismatch_show(
        session=db,
        crypto=get_ctx(request).crypto,
        snapshot=snapshot,
        operator_id=user.id,
        entry_id=entry_id,
    )
    return await _sheet_page(request, db, entry_id, "resolve", snapshot, mismatch=mismatch, **page)


@router.get("/staff/paper/{slug}/mismatches/{entry_id}")
async def mismatch_page(request: Request, slug: str, entry_id: int, db: DbSession, user: AdminUser):
    snapshot = await editions.edition_snapshot_cached(request, db, slug, streets=True)
    return await _resolve_page(request, db, user, entry_id, snapshot)


@router.post(
    "/staff/paper/{slug}/mismatches/{entry_id}",
    openapi_extra=form_openapi(PaperResolveForm, IdentityForm, project=PROJECT_BOXES),
)
async def mismatch_resolve(
    request: Request, slug: str, entry_id: int, db: DbSession, user: AdminUser
):
    return await _sheet_entered(
        request, db, user, slug, entry_id, enter=paper.paper_resolve, page=_resolve_page
    )
