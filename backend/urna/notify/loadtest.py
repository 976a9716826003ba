"""Load-test mode only (``URNA_LOADTEST_MODE``, refused in production): the generator of
``loadtests/readiness`` reads a one-time code from the outbox as a person reads an SMS.

The route exists only when the mode is on (the app factory mounts it); codes are never
sent to a real phone during a load test, because the provider is the outbox."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import select

from urna.core.context import DbSession, get_ctx
from urna.core.db import utcnow
from urna.core.errors import NotFound
from urna.notify import service
from urna.notify.models import OutboxMessage

router = APIRouter()
SEARCH_LATEST = 500


@router.get("/_loadtest/code", include_in_schema=False)
async def loadtest_code(request: Request, db: DbSession, to: str) -> PlainTextResponse:
    """The newest message of the last ten minutes addressed to ``to``, as plain text."""
    crypto = get_ctx(request).crypto
    since = utcnow() - timedelta(minutes=10)
    messages = (
        await db.execute(
            select(OutboxMessage)
            .where(OutboxMessage.created_at >= since, OutboxMessage.payload_enc.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(SEARCH_LATEST)
        )
    ).scalars()
    for message in messages:
        payload = service.message_payload(crypto=crypto, message=message)
        if payload["to"] == to:
            return PlainTextResponse(payload["text"], headers={"Cache-Control": "no-store"})
    raise NotFound()


@router.get("/_loadtest/mode", include_in_schema=False)
async def loadtest_mode(request: Request) -> JSONResponse:
    """The generator's preflight: the mode is on (this route exists only then), and the
    address the app took for the caller — the generator's X-Forwarded-For when it is a
    trusted proxy, else its own."""
    client = request.client.host if request.client else None
    return JSONResponse(
        {"loadtest_mode": True, "client": client}, headers={"Cache-Control": "no-store"}
    )
