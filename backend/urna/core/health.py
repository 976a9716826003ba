"""Readiness for the load balancer: ``/readyz`` answers 200 only while the database and
Redis (when configured) answer within a second; otherwise 503 with Retry-After and which
one failed. ``/healthz`` (core/views.py) stays the liveness check: the process answers."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import text

from urna.core.context import get_ctx

router = APIRouter()
CHECK_SECONDS = 1.0


async def _database_ok(request: Request) -> bool:
    async def probe() -> None:
        async with get_ctx(request).engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), CHECK_SECONDS)
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return False
    return True


async def _store_ok(request: Request) -> bool:
    try:
        return await asyncio.wait_for(get_ctx(request).store.ping(), CHECK_SECONDS)
    except Exception:  # noqa: BLE001
        return False


@router.get("/readyz", include_in_schema=False)
async def ready(request: Request) -> PlainTextResponse:
    database, store = await asyncio.gather(_database_ok(request), _store_ok(request))
    if database and store:
        return PlainTextResponse("ready", headers={"Cache-Control": "no-store"})
    failed = [name for name, ok in (("database", database), ("redis", store)) if not ok]
    return PlainTextResponse(
        "not ready: " + ", ".join(failed),
        status_code=503,
        headers={"Retry-After": "5", "Cache-Control": "no-store"},
    )
