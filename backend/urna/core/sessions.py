"""Server-side sessions: an opaque id in a session cookie, the data in the store.

A session exists only once a request stores something in it (a CSRF token for a form, a
language, a login): until then nothing is written to the store and no cookie is set, so
health checks, static files and pages without forms leave no trace. The first page that
stores a session counts as a visit.

The cookie carries nothing but a random id (256 bits), has no Expires/Max-Age (it ends
with the browser session), and is HttpOnly, SameSite and, over HTTPS, Secure with the
``__Host-`` prefix. The server-side data hold only what the privacy policy names: whether
this is the first page of the session, the login state (a resident's confirmed identity
while voting, a staff login) and what that login needs (CSRF token, language, the
unfinished ballot), and are removed at idle or absolute timeout.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urna.core.store import STORE_ERRORS, Store

COOKIE_NAME = "urna_sid"
SECURE_COOKIE_NAME = "__Host-urna_sid"
VISITS_KEY = "visits"
# The salted hash of a session's *first* id: it names the session in request logs and on
# its ballot, and survives rotate(), so a trail connects requests before and after it.
TRAIL_KEY = "trail"


# After a resident's rotation the old id stays valid this long: a worker killed between
# storing the new id and the browser receiving its cookie does not lose the session.
ROTATION_GRACE_SECONDS = 60
log = logging.getLogger("urna.sessions")


class SessionUnavailable(ConnectionError):
    """The session store is down: this request can read no session and write none (an
    outage: the app answers 503, see ``STORE_ERRORS``)."""


def _new_id() -> str:
    return secrets.token_urlsafe(32)


class Session:
    def __init__(
        self, sid: str, data: dict[str, Any], *, is_new: bool, available: bool = True
    ) -> None:
        self.id = sid
        self.data = data
        self.is_new = is_new
        self.modified = False  # a new session is stored only once something is set
        self.rotated_from: str | None = None
        # False while the store is down: reads find nothing, writes raise (503), and the
        # browser's cookie is left alone so its session is there again once the store is.
        self.available = available

    def _writable(self) -> None:
        if not self.available:
            raise SessionUnavailable("the session store is unavailable")

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._writable()
        self.data[key] = value
        self.modified = True

    def pop(self, key: str, default: Any = None) -> Any:
        self._writable()
        self.modified = True
        return self.data.pop(key, default)

    @property
    def csrf_token(self) -> str:
        """The token a form was given, or "" (checking a token never creates one)."""
        return self.data.get("csrf", "")

    def csrf_ensure(self) -> str:
        """The token for a form being rendered: creating it is what stores a session."""
        if "csrf" not in self.data and self.available:
            self["csrf"] = secrets.token_urlsafe(32)
        return self.csrf_token

    def rotate(self) -> None:
        """New id and CSRF token for the same data (after identity is confirmed or login)."""
        self._writable()
        if self.rotated_from is None and not self.is_new:
            self.rotated_from = self.id
        self.id = _new_id()
        self.data["csrf"] = secrets.token_urlsafe(32)
        self.modified = True


def new_session_data() -> dict[str, Any]:
    return {"created": time.time()}


def session_trail(session: Session, hasher: Callable[[str], str]) -> str:
    """The name of this session in logs and ballots (``hasher`` is Crypto.session_hash);
    a session from before trails existed is named by the hash of its first id we know."""
    return session.data.get(TRAIL_KEY) or hasher(session.rotated_from or session.id)


def _read_cookie(scope: Scope, policy: CookiePolicy) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            cookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no session
                return None
            for key in (policy.secure_name, policy.name):
                if key in cookie:
                    return cookie[key].value
    return None


def _first_page(scope: Scope, session: Session) -> bool:
    """A visit: the first page a stored session sees (the page that created it)."""
    return session.is_new and session.modified and _is_page_visit(scope)


def _is_page_visit(scope: Scope) -> bool:
    if scope["method"] != "GET":
        return False
    headers = dict(scope.get("headers", ()))
    return b"hx-request" not in headers


@dataclass(frozen=True)
class CookiePolicy:
    """One kind of session: residents' (whole site, Lax) or staff's (/staff, Strict)."""

    name: str
    secure_name: str
    path: str
    same_site: str
    key_prefix: str
    count_visits: bool
    # Seconds the old id lives on after rotate(); 0: deleted at once (staff: a login's
    # pre-login session must not outlive it).
    rotation_grace: int = 0


RESIDENT_COOKIE = CookiePolicy(
    COOKIE_NAME, SECURE_COOKIE_NAME, "/", "Lax", "sess:", True, ROTATION_GRACE_SECONDS
)
# Staff: scoped to /staff, so ``__Secure-`` (``__Host-`` requires Path=/); Strict.
STAFF_COOKIE = CookiePolicy(
    "urna_staff", "__Secure-urna_staff", "/staff", "Strict", "staff:", False
)


class SessionMiddleware:
    """Loads the session before the app, saves it before the response starts.

    ``only_prefixes`` / ``skip_prefixes`` choose the paths this kind of session serves;
    the session is found in ``request.state.session`` either way."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: Store,
        idle_seconds: int,
        absolute_seconds: int,
        policy: CookiePolicy = RESIDENT_COOKIE,
        skip_prefixes: tuple[str, ...] = ("/static/",),
        only_prefixes: tuple[str, ...] | None = None,
        trail: Callable[[str], str] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.idle = idle_seconds
        self.absolute = absolute_seconds
        self.policy = policy
        self.skip_prefixes = skip_prefixes
        self.only_prefixes = only_prefixes
        self.trail = trail

    def _serves(self, path: str) -> bool:
        if path.startswith(self.skip_prefixes):
            return False
        return self.only_prefixes is None or path.startswith(self.only_prefixes)

    async def load(self, scope: Scope) -> Session:
        sid = _read_cookie(scope, self.policy)
        if sid and len(sid) < 100:
            # Read and kept alive for another idle period in one round trip: a request
            # that changes nothing in the session writes nothing back.
            raw = await self.store.get_touch(self.policy.key_prefix + sid, ttl=self.idle)
            if raw is not None:
                data = json.loads(raw)
                if time.time() - data.get("created", 0) < self.absolute:
                    return Session(sid, data, is_new=False)
                await self.store.delete(self.policy.key_prefix + sid)
        sid, data = _new_id(), new_session_data()
        if self.trail is not None:
            data[TRAIL_KEY] = self.trail(sid)
        return Session(sid, data, is_new=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._serves(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            session = await self.load(scope)
        except STORE_ERRORS as error:  # pages that need no session still render
            log.warning("session store unavailable: %s", type(error).__name__)
            session = Session("", {}, is_new=False, available=False)
        scope.setdefault("state", {})
        scope["state"]["session"] = session
        scope["state"]["first_page"] = session.is_new

        async def send_with_session(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self.save(scope, session, message)
                if self.policy.count_visits and _first_page(scope, session):
                    with suppress(*STORE_ERRORS):  # a visit not counted is no error
                        await self.store.incr(VISITS_KEY)
            await send(message)

        await self.app(scope, receive, send_with_session)

    async def save(self, scope: Scope, session: Session, message: Message) -> None:
        """Store the session and set its cookie; if the store fails now, the response
        still goes out (it may carry a receipt) without a cookie for an unsaved id."""
        if not session.available or (session.is_new and not session.modified):
            return  # nothing to store: no session, no cookie
        try:
            await self._store(scope, session, message)
        except STORE_ERRORS as error:
            log.warning("session not saved, store unavailable: %s", type(error).__name__)

    async def _store(self, scope: Scope, session: Session, message: Message) -> None:
        prefix = self.policy.key_prefix
        if session.data.get("_ended"):
            await self.store.delete(prefix + session.id)
            message.setdefault("headers", []).append(
                (b"set-cookie", self._cookie(scope, "", expire=True).encode("latin-1"))
            )
            return
        if session.modified:
            payload = json.dumps(session.data, separators=(",", ":")).encode()
            await self.store.set(prefix + session.id, payload, ttl=self.idle)
        # unmodified: its idle expiry was pushed on when it was read (``load``)
        if session.rotated_from and self.policy.rotation_grace:  # the new id is stored:
            old, grace = prefix + session.rotated_from, self.policy.rotation_grace
            await self.store.touch(old, ttl=grace)  # the old one only for a grace period
        elif session.rotated_from:
            await self.store.delete(prefix + session.rotated_from)
        if session.is_new or session.rotated_from:
            message.setdefault("headers", []).append(
                (b"set-cookie", self._cookie(scope, session.id).encode("latin-1"))
            )

    def _cookie(self, scope: Scope, value: str, *, expire: bool = False) -> str:
        secure = scope.get("scheme") == "https"
        name = self.policy.secure_name if secure else self.policy.name
        # No Expires/Max-Age: a session cookie, gone when the browser session ends.
        parts = [
            f"{name}={value}",
            f"Path={self.policy.path}",
            "HttpOnly",
            f"SameSite={self.policy.same_site}",
        ]
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
