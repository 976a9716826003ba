"""Staff console: the log explorer, trails, CSV export (netadmin, verifier, admin) and
the statistics (netadmin, admin). Logs are shown inert: escaped, no control characters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from urna.core.access import LogReader, Principal, require_role
from urna.core.context import DbSession, ReplicaSession, get_ctx
from urna.core.errors import FormInvalid
from urna.core.forms import query_openapi
from urna.core.moments import moment_input
from urna.core.views import render
from urna.requestlog import service, stats

router = APIRouter()
# Statistics contain nothing identifying, but only the office and the network
# administrator need them; the verification team reads logs, not statistics.
StatsReader = Annotated[Principal, Depends(require_role("netadmin", "admin"))]
_TEXT = {"type": "string"}
# the explorer's filters, read by ``service.filters_parse``
FILTERS = query_openapi(**dict.fromkeys(service.FILTER_FIELDS, _TEXT))


def _form_values(request: Request, filters) -> dict[str, str]:
    values = {key: request.query_params.get(key, "") for key in service.FILTER_FIELDS}
    if "since" not in request.query_params and filters is not None and filters.since:
        values["since"] = moment_input(filters.since)
    return values


@router.get("/staff/logs", openapi_extra=FILTERS)
async def logs_explorer(
    request: Request,
    db: DbSession,
    replica: ReplicaSession,
    staff: LogReader,
    after: str | None = None,
):
    writer = getattr(request.app.state, "request_log", None)
    context: dict[str, Any] = {
        "writer": writer.status() if writer else None,
        "export_max": get_ctx(request).settings.request_log_export_max_rows,
    }
    try:
        filters = service.filters_parse(request.query_params)
    except FormInvalid as error:
        context.update(values=_form_values(request, None), errors=error.errors, rows=None)
        return await render(
            request,
            "requestlog/explorer.html",
            context,
            block="results",
            status_code=400,
            personal=True,
        )
    page = await service.logs_search(
        session=db, reader=replica, actor_id=staff.id, filters=filters, cursor=after
    )
    values = _form_values(request, filters)
    query = {k: v for k, v in values.items() if v or k == "since"}  # "" = no lower bound
    context.update(
        values=values,
        errors={},
        rows=[service.row_view(row) for row in page.rows],
        next_query={**query, "after": page.next_cursor} if page.next_cursor else None,
        query=query,
        first_page=after is None,
    )
    # addresses and sessions: htmx keeps no snapshot of them in the browser's history
    return await render(
        request, "requestlog/explorer.html", context, block="results", personal=True
    )


@router.get("/staff/logs/export.csv", openapi_extra=FILTERS)
async def logs_export(
    request: Request,
    db: DbSession,
    staff: LogReader,
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


@router.get("/staff/logs/session/{session_hash}")
async def trail_page(request: Request, session_hash: str, db: DbSession, staff: LogReader):
    session_hash = session_hash[:64]
    rows = await service.trail_read(
        session=db, actor_id=staff.id, target=f"session:{session_hash}", session_hash=session_hash
    )
    context = {
        "session_hash": session_hash,
        "ballot": None,
        "rows": [service.row_view(r) for r in rows],
    }
    return await render(request, "requestlog/trail.html", context, personal=True)


@router.get("/staff/stats", openapi_extra=query_openapi(since=_TEXT, until=_TEXT))
async def log_statistics(
    request: Request,
    db: ReplicaSession,
    staff: StatsReader,
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
    values = {"since": moment_input(since), "until": moment_input(until)}
    result = await stats.stats_compute(
        session=db, since=since, until=until, min_group=settings.stats_min_group
    )
    charts = {
        name: stats.groups_chart(getattr(result, name)) for name in ("pages", "browsers", "systems")
    }
    charts["errors"] = stats.groups_chart(result.errors, by="requests")
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
