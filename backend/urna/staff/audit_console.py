"""The audit log in the staff console (admin): filter, page back, verify the chain.

The trail is written by every domain (``core.audit``) and read by ``urna.audit``; this
screen lives in the console shell because it names staff accounts (who did what)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.audit import service as audit
from urna.audit.actions import action_label
from urna.core.access import AdminUser
from urna.core.context import Ctx, DbSession, ReplicaSession
from urna.core.forms import form_openapi, query_openapi, whole_in
from urna.core.i18n import LOCAL_ZONE, N_
from urna.core.views import render
from urna.staff import service as staff

router = APIRouter()
PAGE_SIZE = 100
DATE_INVALID = N_("Give the date as DD.MM.YYYY.")


def _day_start(value: str | None) -> datetime | None:
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return datetime.combine(day, time(0), tzinfo=LOCAL_ZONE) if day else None


def _filters(query: dict[str, str]) -> tuple[audit.AuditFilters, dict[str, str]]:
    """The search a query string asks for; a date that is no date is reported."""
    since, until = _day_start(query.get("since")), _day_start(query.get("until"))
    errors = {
        name: DATE_INVALID
        for name, parsed in (("since", since), ("until", until))
        if query.get(name) and parsed is None
    }
    actor, before = query.get("actor", ""), query.get("before", "")
    filters = audit.AuditFilters(
        actor_id=whole_in(actor),
        action=query.get("action") or None,
        target=query.get("target") or None,
        since=since,
        until=until + timedelta(days=1) if until else None,
        before_id=whole_in(before),
    )
    return filters, errors


async def _log_page(request: Request, db: AsyncSession, query: dict[str, str], report=None):
    filters, errors = _filters(query)
    events = list(await audit.audit_search(session=db, filters=filters, limit=PAGE_SIZE + 1))
    accounts = await staff.staff_list(session=db)
    return await render(
        request,
        "staff/audit.html",
        {
            "events": events[:PAGE_SIZE],
            "more": len(events) > PAGE_SIZE,
            "emails": {a.id: a.email for a in accounts},
            "accounts": accounts,
            "actions": await audit.audit_actions(session=db),
            "action_label": action_label,
            "filters": {
                k: query.get(k, "") for k in ("actor", "action", "target", "since", "until")
            },
            "errors": errors,
            "report": report,
        },
        block="events",
    )


@router.get(
    "/staff/audit",
    openapi_extra=query_openapi(
        actor={"type": "integer", "minimum": 1},
        action={"type": "string"},
        target={"type": "string"},
        since={"type": "string", "format": "date"},
        until={"type": "string", "format": "date"},
        before={"type": "integer", "minimum": 1},
    ),
)
async def audit_log(request: Request, db: ReplicaSession, user: AdminUser):
    return await _log_page(request, db, dict(request.query_params))


@router.post("/staff/audit/verify", openapi_extra=form_openapi())
async def audit_verify(request: Request, db: DbSession, ctx: Ctx, user: AdminUser):
    report = await audit.audit_verify_recorded(factory=ctx.db, session=db, actor_id=user.id)
    return await _log_page(request, db, {}, report=report)
