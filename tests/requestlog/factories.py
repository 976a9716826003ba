"""Request-log rows for tests, written through the real writer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from urna.requestlog.writer import LogWriter


def row(
    at: datetime,
    *,
    url: str = "/",
    status: int = 200,
    ip: str | None = "192.0.2.1",
    session_hash: str | None = None,
    user_agent: str | None = "Mozilla/5.0",
    method: str = "GET",
    host: str | None = None,
    error: str | None = None,
) -> tuple:
    return (
        uuid.uuid4().hex,
        at,
        at + timedelta(milliseconds=3),
        3000,
        ip,
        host,
        method,
        url,
        status,
        error,
        None,
        user_agent,
        session_hash,
    )


async def rows_write(app, rows: list[tuple]) -> list[str]:
    writer = LogWriter(engine=app.state.ctx.engine)
    for item in rows:
        writer.submit(item)
    assert await writer.flush()
    return [item[0] for item in rows]
