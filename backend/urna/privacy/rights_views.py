"""The resident's data page: receipt code → one-time code → what is held, its JSON
download, requests and their answers. Every form works without JavaScript."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response
from limits import parse as parse_limit

from urna.core.context import DbSession, get_ctx
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_openapi
from urna.core.ratelimit import limit_hit
from urna.core.views import client_ip, form_values, render, see_other
from urna.privacy import rights
from urna.privacy.models import REQUEST_KINDS

router = APIRouter()
KEY = "rights"


def _verified(request: Request) -> int | None:
    state = request.state.session.get(KEY) or {}
    return state.get("ballot_id") if state.get("verified") else None


@router.get("/my-data")
async def rights_page(request: Request, db: DbSession):
    ballot_id = _verified(request)
    if ballot_id is None:
        return await render(request, "privacy/rights_start.html", {"values": {}, "errors": {}})
    ctx = get_ctx(request)
    report = await rights.rights_report(session=db, crypto=ctx.crypto, ballot_id=ballot_id)
    context = {"report": report, "kinds": rights.REQUEST_KINDS, "values": {}, "errors": {}}
    return await render(request, "privacy/rights.html", context, personal=True)


@router.post("/my-data", openapi_extra=form_openapi(code={"type": "string"}))
async def rights_start(request: Request, db: DbSession):
    ctx = get_ctx(request)
    form = await form_values(request)
    limit = parse_limit(ctx.settings.receipt_check_per_ip)
    await limit_hit(ctx.limiter, limit, "receipt", client_ip(request))
    try:
        state = await rights.rights_code_send(
            session=db, crypto=ctx.crypto, settings=ctx.settings, receipt=form.get("code", "")
        )
    except FormInvalid as error:
        errors = error.errors
    except (NotFound, rights.NoContact) as error:
        errors = {"code": error.message}
    else:
        request.state.session[KEY] = state
        return see_other("/my-data/code")
    context = {"values": {"code": form.get("code", "")}, "errors": errors}
    return await render(request, "privacy/rights_start.html", context, status_code=400)


@router.get("/my-data/code")
async def rights_code_page(request: Request):
    state = request.state.session.get(KEY)
    if not state:
        return see_other("/my-data")
    return await render(request, "privacy/rights_code.html", {"state": state, "errors": {}})


@router.post("/my-data/code", openapi_extra=form_openapi(code={"type": "string"}))
async def rights_code(request: Request):
    ctx = get_ctx(request)
    session = request.state.session
    state = session.get(KEY)
    if not state or not state.get("otp_hash"):
        return see_other("/my-data")
    form = await form_values(request)
    try:
        session[KEY] = rights.rights_code_verify(
            crypto=ctx.crypto, settings=ctx.settings, state=state, code=form.get("code", "")
        )
    except FormInvalid as error:
        session[KEY] = state  # a wrong code's attempt counted
        context = {"state": state, "errors": error.errors, "params": error.params}
        return await render(request, "privacy/rights_code.html", context, status_code=400)
    session.rotate()  # the session now opens personal data: a new id, as after the vote's code
    return see_other("/my-data")


@router.get("/my-data.json")
async def rights_download(request: Request, db: DbSession):
    ballot_id = _verified(request)
    if ballot_id is None:
        return see_other("/my-data")
    report = await rights.rights_report(
        session=db, crypto=get_ctx(request).crypto, ballot_id=ballot_id
    )
    report["requests"] = [vars_of(item) for item in report["requests"]]
    body = json.dumps(report, ensure_ascii=False, indent=2, default=str)
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-data.json"',
            "Cache-Control": "no-store",
        },
    )


def vars_of(item: rights.RequestView) -> dict:
    return {name: getattr(item, name) for name in item.__slots__}


@router.post(
    "/my-data/request",
    openapi_extra=form_openapi(kind={"enum": list(REQUEST_KINDS)}, text={"type": "string"}),
)
async def rights_request(request: Request, db: DbSession):
    ballot_id = _verified(request)
    if ballot_id is None:
        return see_other("/my-data")
    ctx = get_ctx(request)
    form = await form_values(request)
    try:
        await rights.request_file(
            session=db,
            crypto=ctx.crypto,
            ballot_id=ballot_id,
            kind=form.get("kind", ""),
            text=form.get("text", ""),
        )
    except FormInvalid as error:
        report = await rights.rights_report(session=db, crypto=ctx.crypto, ballot_id=ballot_id)
        context = {
            "report": report,
            "kinds": rights.REQUEST_KINDS,
            "values": form,
            "errors": error.errors,
        }
        return await render(request, "privacy/rights.html", context, status_code=400, personal=True)
    return see_other("/my-data")


@router.post("/my-data/leave", openapi_extra=form_openapi())
async def rights_leave(request: Request):
    request.state.session.pop(KEY, None)
    return see_other("/")
