"""The allow-list in the staff console: known shared networks (the town hall's kiosk, a
library, a school) whose ballots do not raise the network signals. For the verification
team and the office; every change is in the audit log (the service writes it)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from urna.core.access import VerifierUser
from urna.core.context import DbSession
from urna.core.errors import FormInvalid
from urna.core.forms import form_openapi
from urna.core.views import form_values, render, see_other
from urna.fraud import service
from urna.fraud.schemas import AllowForm

router = APIRouter()
ALLOW = "/staff/fraud/allow"


async def _allow_page(request, db, *, values=None, errors=None, status_code=200):
    context = {
        "entries": await service.allow_list(session=db),
        "values": values or {},
        "errors": errors or {},
    }
    return await render(request, "fraud/allow.html", context, status_code=status_code)


@router.get(ALLOW)
async def allow_page(request: Request, db: DbSession, user: VerifierUser):
    return await _allow_page(request, db)


@router.post(ALLOW, openapi_extra=form_openapi(AllowForm))
async def allow_add(request: Request, db: DbSession, user: VerifierUser):
    form = await form_values(request)
    try:
        await service.allow_add(
            session=db, cidr=form.get("cidr", ""), note=form.get("note", ""), actor_id=user.id
        )
    except FormInvalid as error:
        return await _allow_page(request, db, values=form, errors=error.errors, status_code=400)
    return see_other(ALLOW)


@router.post(ALLOW + "/{allow_id}/remove", openapi_extra=form_openapi())
async def allow_remove(request: Request, allow_id: int, db: DbSession, user: VerifierUser):
    await service.allow_remove(session=db, allow_id=allow_id, actor_id=user.id)
    return see_other(ALLOW)
