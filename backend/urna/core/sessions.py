"""Server-side sessions: an opaque id in a session cookie, the data in the store.

The cookie carries nothing but a random id (256 bits), has no Expires/Max-Age (it ends
with the browser session), and is HttpOnly, SameSite and, over HTTPS, Secure with the
``__Host-`` prefix. The server-side data hold only what the privacy policy names: whether
this is the first page of the session, the login state (a resident's confirmed identity
while voting, a staff login) and what that login needs (CSRF token, language, the
unfinished ballot), and are removed at idle or absolute timeout.
"""

from __future__ import annotations

import json
import secrets
import time
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urna.core.store import Store

COOKIE_NAME = "urna_sid"
SECURE_COOKIE_NAME = "__Host-urna_sid"
VISITS_KEY = "urna:visits"


def _new_id() -> str:
    return secrets.token_urlsafe(32)


class Session:
    def __init__(self, sid: str, data: dict[str, Any], *, is_new: bool) -> None:
        self.id = sid
        self.data = data
        self.is_new = is_new
        self.modified = is_new
        self.rotated_from: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.modified = True

    def pop(self, key: str, default: Any = None) -> Any:
        self.modified = True
        return self.data.pop(key, default)

    @property
    def csrf_token(self) -> str:
        return self.data["csrf"]

    def rotate(self) -> None:
        """New id and CSRF token for the same data (after identity is confirmed or login)."""
        if self.rotated_from is None and not self.is_new:
            self.rotated_from = self.id
        self.id = _new_id()
        self.data["csrf"] = secrets.token_urlsafe(32)
        self.modified = True


def new_session_data() -> dict[str, Any]:
    return {"created": time.time(), "csrf": secrets.token_urlsafe(32)}


def _read_cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            cookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no session
                return None
            for key in (SECURE_COOKIE_NAME, COOKIE_NAME):
                if key in cookie:
                    return cookie[key].value
    return None


def _is_page_visit(scope: Scope) -> bool:
    if scope["method"] != "GET":
        return False
    headers = dict(scope.get("headers", ()))
    return b"hx-request" not in headers


class SessionMiddleware:
    """Loads the session before the app, saves it before the response starts."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: Store,
        idle_seconds: int,
        absolute_seconds: int,
        skip_prefixes: tuple[str, ...] = ("/static/",),
    ) -> None:
        self.app = app
        self.store = store
        self.idle = idle_seconds
        self.absolute = absolute_seconds
        self.skip_prefixes = skip_prefixes

    async def load(self, scope: Scope) -> Session:
        sid = _read_cookie(scope)
        if sid and len(sid) < 100:
            raw = await self.store.get("sess:" + sid)
            if raw is not None:
                data = json.loads(raw)
                if time.time() - data.get("created", 0) < self.absolute:
                    return Session(sid, data, is_new=False)
                await self.store.delete("sess:" + sid)
        return Session(_new_id(), new_session_data(), is_new=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        session = await self.load(scope)
        scope.setdefault("state", {})
        scope["state"]["session"] = session
        scope["state"]["first_page"] = session.is_new
        if session.is_new and _is_page_visit(scope):
            await self.store.incr(VISITS_KEY)  # the first page of a session is a visit

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self.save(scope, session, message)
            await send(message)

        await self.app(scope, receive, send_with_session)

    async def save(self, scope: Scope, session: Session, message: Message) -> None:
        if session.data.get("_ended"):
            await self.store.delete("sess:" + session.id)
            message.setdefault("headers", []).append(
                (b"set-cookie", self._cookie(scope, "", expire=True).encode("latin-1"))
            )
            return
        if session.rotated_from:
            await self.store.delete("sess:" + session.rotated_from)
        if session.modified:
            payload = json.dumps(session.data, separators=(",", ":")).encode()
            await self.store.set("sess:" + session.id, payload, ttl=self.idle)
        else:
            await self.store.touch("sess:" + session.id, ttl=self.idle)
        if session.is_new or session.rotated_from:
            message.setdefault("headers", []).append(
                (b"set-cookie", self._cookie(scope, session.id).encode("latin-1"))
            )

    @staticmethod
    def _cookie(scope: Scope, value: str, *, expire: bool = False) -> str:
        secure = scope.get("scheme") == "https"
        name = SECURE_COOKIE_NAME if secure else COOKIE_NAME
        # No Expires/Max-Age: a session cookie, gone when the browser session ends.
        parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
        if secure:
            parts.append("Secure")
        if expire:
            # The one exception: an explicit removal at logout/end of the vote.
            parts.append("Max-Age=0")
        return "; ".join(parts)


def end_session(session: Session) -> None:
    """Remove the session from the store and the browser once the response is sent."""
    session.data["_ended"] = True
    session.modified = True
