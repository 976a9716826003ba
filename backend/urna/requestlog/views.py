"""Staff console: the log explorer, trails, CSV export (netadmin, verifier, admin) and
the statistics (netadmin, admin). Logs are shown inert: escaped, no control characters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from urna.core.access import require_role
from urna.core.context import DbSession, get_ctx
from urna.core.errors import FormInvalid
from urna.core.views import render
from urna.requestlog import redact, service, stats
from urna.requestlog.models import RequestLog
from urna.staff import matrix
from urna.staff.models import StaffUser

router = APIRouter()
log_readers = require_role(*matrix.LOG_READERS)
stats_readers = require_role(*matrix.STATS_READERS)
TIME_INPUT = "%Y-%m-%d %H:%M"
SHOWN_TIME = "%Y-%m-%d %H:%M:%S.%f"  # UTC, to the microsecond


def row_view(row: RequestLog) -> dict[str, Any]:
    """What a page shows of a row: every text inert, times in UTC to the microsecond."""
    arrived, responded = row.arrived_at.astimezone(UTC), row.responded_at.astimezone(UTC)
    return {
        "request_id": row.request_id,
        "arrived_iso": arrived.isoformat(timespec="microseconds"),
        "arrived_at": arrived.strftime(SHOWN_TIME),
        "responded_at": responded.strftime(
            "%H:%M:%S.%f" if responded.date() == arrived.date() else SHOWN_TIME
        ),
        "duration_ms": f"{row.duration_us / 1000:.1f}",
        "ip": row.ip or "",
        "host": redact.inert(row.host) if row.host is not None else None,
        "method": redact.inert(row.method),
        "url": redact.inert(row.url, 2000),
        "status": row.status,
        "error": redact.inert(row.error),
        "referer": redact.inert(row.referer, 1000),
        "user_agent": redact.inert(row.user_agent),
        "session_hash": row.session_hash or "",
    }


def _form_values(request: Request, filters) -> dict[str, str]:
    values = {key: request.query_params.get(key, "") for key in service.FILTER_FIELDS}
    if "since" not in request.query_params and filters is not None and filters.since:
        values["since"] = filters.since.strftime(TIME_INPUT)
    return values


@router.get("/staff/logs")
async def logs_explorer(
    request: Request,
    db: DbSession,
    after: str | None = None,
    staff: StaffUser = Depends(log_readers),
):
    writer = getattr(request.app.state, "request_log", None)
    context: dict[str, Any] = {"writer": writer.status() if writer else None}
    try:
        filters = service.filters_parse(request.query_params)
    except FormInvalid as error:
        context.update(values=_form_values(request, None), errors=error.errors, rows=None)
        return await render(
            request, "requestlog/explorer.html", context, block="results", status_code=400
        )
    page = await service.logs_search(session=db, actor_id=staff.id, filters=filters, cursor=after)
    values = _form_values(request, filters)
    query = {k: v for k, v in values.items() if v or k == "since"}  # "" = no lower bound
    context.update(
        values=values,
        errors={},
        rows=[row_view(row) for row in page.rows],
        next_query={**query, "after": page.next_cursor} if page.next_cursor else None,
        query=query,
        first_page=after is None,
    )
    return await render(request, "requestlog/explorer.html", context, block="results")


@router.get("/staff/logs/export.csv")
async def logs_export(
    request: Request,
    db: DbSession,
    staff: StaffUser = Depends(log_readers),
):
    filters = service.filters_parse(request.query_params)
    export = await service.logs_export(
        session=db,
        actor_id=staff.id,
        filters=filters,
        max_rows=get_ctx(request).settings.request_log_export_max_rows,
    )
    return Response(
        export.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "X-Content-SHA256": export.sha256,
            "X-Rows": str(export.rows),
        },
    )


async def _trail_page(request: Request, session_hash: str, ballot, rows) -> HTMLResponse:
    context = {"session_hash": session_hash, "ballot": ballot, "rows": [row_view(r) for r in rows]}
    return await render(request, "requestlog/trail.html", context)


@router.get("/staff/logs/session/{session_hash}")
async def session_trail(
    request: Request,
    session_hash: str,
    db: DbSession,
    staff: StaffUser = Depends(log_readers),
):
    rows = await service.session_trail(
        session=db, actor_id=staff.id, session_hash=session_hash[:64]
    )
    return await _trail_page(request, session_hash[:64], None, rows)


@router.get("/staff/logs/ballot/{ballot_id}")
async def ballot_trail(
    request: Request,
    ballot_id: int,
    db: DbSession,
    staff: StaffUser = Depends(log_readers),
):
    ballot, rows = await service.ballot_trail(session=db, actor_id=staff.id, ballot_id=ballot_id)
    return await _trail_page(request, ballot.session_hash or "", ballot, rows)


@router.get("/staff/stats")
async def log_statistics(
    request: Request,
    db: DbSession,
    staff: StaffUser = Depends(stats_readers),
):
    settings = get_ctx(request).settings
    try:
        since, until = service.period_parse(request.query_params, now=datetime.now(UTC))
    except FormInvalid as error:
        values = {key: request.query_params.get(key, "") for key in ("since", "until")}
        return await render(
            request,
            "requestlog/stats.html",
            {"values": values, "errors": error.errors, "stats": None},
            block="results",
            status_code=400,
        )
    values = {"since": since.strftime(TIME_INPUT), "until": until.strftime(TIME_INPUT)}
    result = await stats.stats_compute(
        session=db, since=since, until=until, min_group=settings.stats_min_group
    )
    charts = {
        name: {
            "bars": stats.bars(getattr(result, name)),
            "height": stats.bars_height(getattr(result, name)),
        }
        for name in ("pages", "browsers", "systems")
    }
    charts["errors"] = {
        "bars": stats.bars(result.errors, by="requests"),
        "height": stats.bars_height(result.errors),
    }
    return await render(
        request,
        "requestlog/stats.html",
        {
            "values": values,
            "errors": {},
            "stats": result,
            "charts": charts,
            "series": stats.series_chart(result.series, unit=result.unit),
        },
        block="results",
    )
