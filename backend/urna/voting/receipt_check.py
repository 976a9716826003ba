"""The public receipt check: a resident types a receipt code and sees that ballot's
status (never its choices).

Post → redirect → get: the answer to a code found is a 303 to ``/receipt``, which shows
the status once. The code is a secret and never goes in an address: the session keeps
the status, the edition's name and the day of the vote, never the code."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from limits import parse as parse_limit

from urna.core.context import DbSession, get_ctx
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_openapi
from urna.core.ratelimit import limit_hit
from urna.core.views import client_ip, form_values, render, see_other
from urna.editions import repository as editions_repository
from urna.voting import service
from urna.voting.flow import notice_put, notice_take
from urna.voting.models import Ballot
from urna.voting.schemas import ReceiptForm

router = APIRouter()
CHECKED = "receipt_checked"  # the session's one-time notice: the status last found


@router.get("/receipt")
async def receipt_check_page(request: Request):
    found = notice_take(request.state.session, CHECKED)
    if found:
        found = found | {"submitted_at": datetime.fromisoformat(found["submitted_at"])}
    context = {"values": {}, "errors": {}, "result": found or None}
    return await render(request, "voting/check.html", context, personal=bool(found))


@router.post("/receipt", openapi_extra=form_openapi(ReceiptForm))
async def receipt_check(request: Request, db: DbSession):
    ctx = get_ctx(request)
    form = await form_values(request)
    ip = client_ip(request)
    await limit_hit(ctx.limiter, parse_limit(ctx.settings.receipt_check_per_ip), "receipt", ip)
    code = form.get("code", "")
    try:
        ballot = await service.receipt_check(session=db, crypto=ctx.crypto, code=code)
    except FormInvalid as error:
        errors = error.errors
    except NotFound as error:
        errors = {"code": error.message}
    else:
        edition = await editions_repository.edition_by_id(db, ballot.edition_id)
        notice_put(request.state.session, CHECKED, _result(ballot, edition.name if edition else ""))
        return see_other("/receipt")
    return await render(
        request,
        "voting/check.html",
        {"values": {"code": code}, "errors": errors, "result": None},
        status_code=400,
    )


def _result(ballot: Ballot, edition_name: str) -> dict[str, str]:
    """What the page says of a ballot found: its status (with the reason of an invalid
    one), its edition and when it was cast. Never what was chosen, nor the code."""
    return {
        "edition": edition_name,
        "status": ballot.status,
        "reason": ballot.status_reason or "",
        "submitted_at": ballot.submitted_at.isoformat(),
    }
