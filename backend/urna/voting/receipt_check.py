"""The public receipt check: a resident types a receipt code and sees that ballot's
status (never its choices)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from limits import parse as parse_limit

from urna.core.context import DbSession, get_ctx
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_openapi
from urna.core.ratelimit import limit_hit
from urna.core.views import client_ip, form_values, render
from urna.editions import repository as editions_repository
from urna.voting import service
from urna.voting.schemas import ReceiptForm

router = APIRouter()


@router.get("/receipt")
async def receipt_check_page(request: Request):
    return await render(request, "voting/check.html", {"values": {}, "errors": {}, "ballot": None})


@router.post("/receipt", openapi_extra=form_openapi(ReceiptForm))
async def receipt_check(request: Request, db: DbSession):
    ctx = get_ctx(request)
    form = await form_values(request)
    ip = client_ip(request)
    await limit_hit(ctx.limiter, parse_limit(ctx.settings.receipt_check_per_ip), "receipt", ip)
    code = form.get("code", "")
    ballot, errors = None, {}
    try:
        ballot = await service.receipt_check(session=db, crypto=ctx.crypto, code=code)
    except FormInvalid as error:
        errors = error.errors
    except NotFound as error:
        errors = {"code": error.message}
    edition = await editions_repository.edition_by_id(db, ballot.edition_id) if ballot else None
    return await render(
        request,
        "voting/check.html",
        {"values": {"code": code}, "errors": errors, "ballot": ballot, "edition": edition},
        status_code=400 if errors else 200,
    )
