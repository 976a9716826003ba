"""The audit log in the staff console: filter, page back, verify the chain (admin)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.audit import service
from urna.core.access import require_role
from urna.core.context import DbSession
from urna.core.i18n import LOCAL_ZONE, N_
from urna.core.views import render
from urna.staff import service as staff
from urna.staff.models import StaffUser

router = APIRouter()
admin_only = require_role("admin")
PAGE_SIZE = 100


def _day_start(value: str | None) -> datetime | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return datetime.combine(day, time(0), tzinfo=LOCAL_ZONE) if day else None


async def _log_page(request: Request, db: AsyncSession, query: dict[str, str], report=None):
    since = _day_start(query.get("since"))
    until = _day_start(query.get("until"))
    actor = query.get("actor", "")
    before = query.get("before", "")
    errors = {}
    if query.get("since") and since is None:
        errors["since"] = N_("Give the date as DD.MM.YYYY.")
    if query.get("until") and until is None:
        errors["until"] = N_("Give the date as DD.MM.YYYY.")
    filters = service.AuditFilters(
        actor_id=int(actor) if actor.isdigit() else None,
        action=query.get("action") or None,
        target=query.get("target") or None,
        since=since,
        until=until + timedelta(days=1) if until else None,
        before_id=int(before) if before.isdigit() else None,
    )
    events = list(await service.audit_search(session=db, filters=filters, limit=PAGE_SIZE + 1))
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    accounts = await staff.staff_list(session=db)
    return await render(
        request,
        "audit/log.html",
        {
            "events": events,
            "more": more,
            "emails": {a.id: a.email for a in accounts},
            "accounts": accounts,
            "actions": await service.audit_actions(session=db),
            "filters": {
                k: query.get(k, "") for k in ("actor", "action", "target", "since", "until")
            },
            "errors": errors,
            "report": report,
        },
        block="events",
    )


@router.get("/staff/audit")
async def audit_log(
    request: Request,
    db: DbSession,
    user: StaffUser = Depends(admin_only),
):
    return await _log_page(request, db, dict(request.query_params))


@router.post("/staff/audit/verify")
async def audit_verify(
    request: Request,
    db: DbSession,
    user: StaffUser = Depends(admin_only),
):
    report = await service.audit_verify_recorded(session=db, actor_id=user.id)
    return await _log_page(request, db, {}, report=report)
