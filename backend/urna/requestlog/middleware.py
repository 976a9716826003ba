"""Request-log middleware (pure ASGI): a request id for every request, and one log record.

It sits just inside the trusted-proxy middleware, so it sees every request — pages,
static files, errors, refusals — and the real public address. The request id goes to
``scope["state"]["request_id"]`` (a ballot stores it) and back as ``X-Request-ID``.
Building the record is cheap and in memory; the writer does the I/O elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from http import HTTPStatus
from time import perf_counter

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urna.core.cookies import RESIDENT_COOKIE, read_cookie
from urna.core.errors import error_summary
from urna.core.sessions import TRAIL_KEY, session_trail
from urna.core.store import Store
from urna.core.text import inert
from urna.requestlog import redact
from urna.requestlog.writer import LogWriter

log = logging.getLogger("urna.requestlog")
CLIENT_CLOSED = 499  # as nginx logs it: the client went away before the response


@lru_cache(maxsize=4096)
def canonical_ip(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def _url(path: str, query: bytes) -> str:
    return redact.redact_url(path, query)


def _header_text(raw: bytes) -> str:
    # HTTP says latin-1; browsers and bots send UTF-8 in practice
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@lru_cache(maxsize=4096)
def _user_agent(raw: bytes) -> str:
    return redact.scrub_text(_header_text(raw))


@lru_cache(maxsize=1024)
def _referer(raw: bytes) -> str | None:
    return redact.redact_referer(_header_text(raw))


def _reason(status: int, state: dict, failure: str | None) -> str | None:
    if status < 400:
        return None
    if status >= 500:
        text = failure or state.get("error")
    else:
        text = state.get("refusal") or state.get("error")
    if not text:
        try:
            text = HTTPStatus(status).phrase
        except ValueError:
            text = None
    return redact.scrub_text(text)


class RequestLogMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        writer: LogWriter | None,
        hasher: Callable[[str], str],
        store: Store | None = None,
    ) -> None:
        self.app = app
        self.writer = writer
        self.hasher = hasher
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(16)  # 32 hex digits, as uuid4().hex, cheaper
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode())
        if self.writer is None:

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message.setdefault("headers", []).append(id_header)
                await send(message)

            await self.app(scope, receive, send_with_id)
            return

        arrived_at = datetime.now(UTC)
        started = perf_counter()
        status = 0
        responded_at: datetime | None = None
        duration = 0.0

        async def send_logged(message: Message) -> None:
            nonlocal status, responded_at, duration
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append(id_header)
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                duration = perf_counter() - started
                responded_at = datetime.now(UTC)

        failure: str | None = None
        try:
            await self.app(scope, receive, send_logged)
        except asyncio.CancelledError:
            failure = "client disconnected"
            status = status or CLIENT_CLOSED
            raise
        except Exception as error:
            failure = error_summary(error)
            status = 500 if not status or status < 500 else status
            raise
        finally:
            if responded_at is None:
                duration = perf_counter() - started
                responded_at = datetime.now(UTC)
            try:
                await self._record(
                    scope, state, request_id, arrived_at, responded_at, duration, status, failure
                )
            except Exception:  # noqa: BLE001 - logging never fails a request
                log.exception("request log: record not built")

    async def _record(
        self,
        scope: Scope,
        state: dict,
        request_id: str,
        arrived_at: datetime,
        responded_at: datetime,
        duration: float,
        status: int,
        failure: str | None,
    ) -> None:
        referer = user_agent = None
        for name, value in scope.get("headers", ()):
            if name == b"user-agent":
                user_agent = _user_agent(value)
            elif name == b"referer":
                referer = _referer(value)
        client = scope.get("client")
        session = state.get("session")
        if session is not None and not session.kept:
            session_hash = None  # no session was created: nothing to tie the request to
        elif session is not None:
            session_hash = session_trail(session, self.hasher)
        else:
            session_hash = await self._trail_from_cookie(scope)
        self.writer.submit(
            (
                request_id,
                arrived_at,
                responded_at,
                int(duration * 1_000_000),
                canonical_ip(client[0]) if client else None,
                None,
                inert(scope.get("method", ""), 10),
                _url(scope.get("path", ""), scope.get("query_string", b"")),
                status or 500,
                _reason(status or 500, state, failure),
                referer,
                user_agent,
                session_hash,
            )
        )

    async def _trail_from_cookie(self, scope: Scope) -> str | None:
        """Requests the session middleware does not serve (static files) are still tied
        to the visitor's session, by the trail stored with it."""
        sid = read_cookie(scope, RESIDENT_COOKIE)
        if not sid or len(sid) >= 100:
            return None
        if self.store is not None:
            try:
                raw = await self.store.get(RESIDENT_COOKIE.key_prefix + sid)
            except Exception:  # noqa: BLE001 - the log must not fail the request
                raw = None
            if raw is not None:
                trail = orjson.loads(raw).get(TRAIL_KEY)
                if trail:
                    return trail
        return self.hasher(sid)
