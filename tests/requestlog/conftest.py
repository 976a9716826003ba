"""An app of its own for the request-log tests: they add routes (a failing one) and
look at every row the app writes, so they do not share the session-wide app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from tests.conftest import make_settings
from urna.main import create_app
from urna.requestlog.models import RequestLog


@pytest.fixture(scope="module")
async def log_app(database_url: str):
    app = create_app(make_settings(database_url, request_log_interval_seconds=0.05))

    async def boom():
        raise RuntimeError("kaboom for jan.kowalski@example.com at 600 700 800")

    app.add_api_route("/_test/boom", boom)
    async with LifespanManager(app):
        yield app


def client_for(app, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def log_client(log_app) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(log_app) as http:
        yield http


async def logged(app, request_id: str) -> RequestLog:
    """The row of one request, after making the writer write what it holds."""
    await app.state.request_log.flush()
    async with app.state.ctx.db() as session:
        result = await session.execute(
            select(RequestLog).where(RequestLog.request_id == request_id)
        )
        row = result.scalar_one_or_none()
    assert row is not None, f"request {request_id} was not logged"
    return row


async def all_rows(app) -> list[RequestLog]:
    await app.state.request_log.flush()
    async with app.state.ctx.db() as session:
        return list((await session.execute(select(RequestLog))).scalars())
