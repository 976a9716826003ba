"""The staff console's screens (admin): an edition's information clause, its versions
and a new one until voting opens; the import of an edition from a JSON file, which
publishes the file's clause together with the edition (the rest of an edition's setup
is in ``editions.console``); the queue of residents' data-subject requests."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from urna.core.access import AdminUser
from urna.core.context import DbSession, get_ctx
from urna.core.errors import FormInvalid
from urna.core.forms import form_openapi, form_parse
from urna.core.views import form_values, render, see_other
from urna.documents import service as documents
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.snapshot import EditionsChanged
from urna.privacy import requests, service
from urna.privacy.forms import ClauseForm
from urna.privacy.models import REQUEST_STATES
from urna.privacy.schemas import AnswerForm

router = APIRouter()


@router.post("/staff/editions/import", openapi_extra=form_openapi(files=["file"]))
async def edition_import(request: Request, db: DbSession, user: AdminUser):
    upload = (await request.form()).get("file")
    raw = b""
    if isinstance(upload, UploadFile):
        raw = await upload.read(editions.MAX_UPLOAD_BYTES + 1)
    try:
        data = editions.edition_json_read(raw)
        edition = await service.edition_import(session=db, data=data, actor_id=user.id)
    except FormInvalid as error:
        items = await editions.editions_list(session=db)
        phases = {item.id: editions.edition_phase(item) for item in items}
        context = {"editions": items, "phases": phases, "errors": error.errors}
        return await render(request, "editions/console/editions.html", context, status_code=400)
    return see_other(f"/staff/editions/{edition.slug}")


async def _clause_page(
    request: Request, db: AsyncSession, edition: Edition, *, values=None, errors=None, status=200
) -> Response:
    versions = await documents.document_register(session=db, kind="clause", edition=edition)
    current = versions[0] if versions else None
    if values is None and current is not None:
        values = {
            "title": current.title,
            "title_en": current.title_en,
            "body": current.body,
            "body_en": current.body_en,
        }
    context = {
        "edition": edition,
        "phase": editions.edition_phase(edition),
        "section": "clause",
        "versions": versions,
        "values": values or {},
        "errors": errors or {},
    }
    return await render(request, "privacy/console/clause.html", context, status_code=status)


@router.get("/staff/editions/{slug}/clause")
async def clause_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    return await _clause_page(request, db, edition)


# A new clause bumps the edition generation once committed: the vote keeps the clause
# with the edition's snapshot (``documents.service.clause_current``).
@router.post(
    "/staff/editions/{slug}/clause",
    openapi_extra=form_openapi(ClauseForm),
    dependencies=[EditionsChanged],
)
async def clause_publish(request: Request, slug: str, db: DbSession, user: AdminUser):
    values = await form_values(request)
    edition = await editions.edition_get(session=db, slug=slug)
    try:
        data = form_parse(ClauseForm, values)
        await service.clause_publish(session=db, edition=edition, data=data, actor_id=user.id)
    except FormInvalid as error:
        return await _clause_page(
            request, db, edition, values=values, errors=error.errors, status=400
        )
    return see_other(f"/staff/editions/{slug}/clause")


# ---- data-subject requests ----------------------------------------------------------------


@router.get("/staff/privacy/requests")
async def requests_page(request: Request, db: DbSession, user: AdminUser):
    queue = await requests.requests_queue(session=db)
    return await render(request, "privacy/console/requests.html", {"queue": queue})


async def _request_page(
    request: Request,
    db,
    user,
    request_id: int,
    *,
    errors=None,
    status=200,
    held=False,
    corrected=None,
):
    """``corrected``: the correction form as posted (values, errors and their parameters),
    shown again."""
    crypto = get_ctx(request).crypto
    item, report = await requests.request_open(
        session=db, crypto=crypto, request_id=request_id, actor_id=user.id, held=held
    )
    correction = None
    if report is not None:
        correction = await requests.correction_open(
            session=db, crypto=crypto, request_id=request_id
        )
    values, correction_errors, params = corrected or (None, {}, {})
    context = {
        "item": item,
        "report": report,
        "states": REQUEST_STATES,
        "erasing_kinds": requests.ERASING_KINDS,
        "errors": errors or {},
        "correction": correction,
        "correction_values": values or (correction.values if correction else {}),
        "correction_errors": correction_errors,
        "correction_params": params,
    }
    return await render(
        request, "privacy/console/request.html", context, status_code=status, personal=True
    )


@router.get("/staff/privacy/requests/{request_id}")
async def request_page(request: Request, request_id: int, db: DbSession, user: AdminUser):
    return await _request_page(request, db, user, request_id)


@router.post("/staff/privacy/requests/{request_id}/held", openapi_extra=form_openapi())
async def request_held(request: Request, request_id: int, db: DbSession, user: AdminUser):
    """What is held about the request's ballot, opened on purpose (audited): the request's
    page itself shows no identity."""
    return await _request_page(request, db, user, request_id, held=True)


@router.post(
    "/staff/privacy/requests/{request_id}",
    openapi_extra=form_openapi(AnswerForm),
)
async def request_answer(request: Request, request_id: int, db: DbSession, user: AdminUser):
    form = await form_values(request)
    try:
        await requests.request_answer(
            session=db,
            crypto=get_ctx(request).crypto,
            request_id=request_id,
            data=form_parse(AnswerForm, form),
            actor_id=user.id,
        )
    except FormInvalid as error:
        return await _request_page(request, db, user, request_id, errors=error.errors, status=400)
    return see_other(f"/staff/privacy/requests/{request_id}")


@router.post("/staff/privacy/requests/{request_id}/erase", openapi_extra=form_openapi())
async def request_erase(request: Request, request_id: int, db: DbSession, user: AdminUser):
    await requests.request_erase(session=db, request_id=request_id, actor_id=user.id)
    return see_other(f"/staff/privacy/requests/{request_id}")


@router.post("/staff/privacy/requests/{request_id}/correct", openapi_extra=form_openapi())
async def request_correct(request: Request, request_id: int, db: DbSession, user: AdminUser):
    """The office's correction of the identity a rectification request asks for."""
    form = await form_values(request)
    values = {name: str(value) for name, value in form.items() if name != "csrf_token"}
    try:
        await requests.request_correct(
            session=db,
            crypto=get_ctx(request).crypto,
            request_id=request_id,
            form=values,
            actor_id=user.id,
        )
    except FormInvalid as error:
        return await _request_page(
            request,
            db,
            user,
            request_id,
            held=True,
            corrected=(values, error.errors, error.params),
            status=400,
        )
    return see_other(f"/staff/privacy/requests/{request_id}")
