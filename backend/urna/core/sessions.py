"""Server-side sessions: an opaque id in a session cookie, the data in the store.

A session is stored only once a browser has shown that it keeps its cookie. Health
checks, static files and pages without forms set nothing. A page with a form, opened
without a cookie, sets a cookie with a new signed id and gives the form a CSRF token
derived from that id, but stores nothing: a bot that never sends the cookie back leaves no
session behind, however many form pages it opens. When the cookie comes back (the form is
posted, the next page is opened) the session is stored under that id and its first page
counts as a visit (the visit counter in the footer). A cookie-less request that must store
something at once (a language, a login) stores its session for ``UNRETURNED_SECONDS``
only, until the cookie comes back; its visit is counted then too.

The cookie carries nothing but a random id (256 bits), signed by the site when it was
issued for a session not stored yet (only such ids are taken back unstored); it has no
Expires/Max-Age (it ends with the browser session), and is HttpOnly, SameSite and, over
HTTPS, Secure with the ``__Host-`` prefix. The server-side data hold only what the
privacy policy names: whether this is the first page of the session, the login state (a
resident's confirmed identity while voting, a staff login) and what that login needs
(CSRF token, language, the unfinished ballot), and are removed at idle or absolute
timeout.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urna.core.cookies import (
    RESIDENT_COOKIE,
    CookiePolicy,
    read_cookie,
)
from urna.core.store import STORE_ERRORS, Store

VISITS_KEY = "visits"
# The salted hash of a session's *first* id: it names the session in request logs and on
# its ballot, and survives rotate(), so a trail connects requests before and after it.
TRAIL_KEY = "trail"


# A session stored by a request that came without a cookie lives this long unless the
# browser sends the cookie back (a redirect followed, a page opened): then the idle timeout.
UNRETURNED_SECONDS = 120
# Set in a session stored before its cookie came back: its visit is counted on the return.
VISIT_PENDING_KEY = "first_page"
# Marks the old id's copy during that grace: when it ends (wall clock), however the old id
# is used meanwhile (a request with it would otherwise renew it for the idle time).
GRACE_KEY = "grace_until"
log = logging.getLogger("urna.sessions")


class SessionUnavailable(ConnectionError):
    """The session store is down: this request can read no session and write none (an
    outage: the app answers 503, see ``STORE_ERRORS``)."""


def _new_id() -> str:
    return secrets.token_urlsafe(32)


class Session:
    def __init__(
        self,
        sid: str,
        data: dict[str, Any],
        *,
        is_new: bool,
        available: bool = True,
        unstored_csrf: str = "",
        store: Store | None = None,
    ) -> None:
        self.id = sid
        self.data = data
        self.is_new = is_new
        self.modified = False  # a new session is stored only once something is set
        # A new session's form token, derived from its signed id: a form can be given it
        # with no session stored (``cookie_only``); the cookie brings the id back.
        self.unstored_csrf = unstored_csrf
        self.cookie_only = False
        # The browser sent back the cookie of a session never stored: stored now, a visit.
        self.returned = False
        self.rotated_from: str | None = None
        # False while the store is down: reads find nothing, writes raise (503), and the
        # browser's cookie is left alone so its session is there again once the store is.
        self.available = available
        self._store = store
        # The data as read from the store (bytes), for the old id's copy after rotate().
        self.stored: bytes | None = None

    async def available_ensure(self) -> None:
        """Raise ``SessionUnavailable`` if the store is down. Called before a request is
        refused for want of a session (a CSRF failure, a login page instead of the
        console): a session read from the store proves it was up, but a new one (no cookie,
        or an unknown id) never asked it, and during an outage the refusal would be wrong:
        the visitor's form or login is fine, the store is not."""
        if not self.available:
            raise SessionUnavailable("the session store is unavailable")
        if self.is_new and self._store is not None:
            try:
                await self._store.ping()
            except STORE_ERRORS as error:
                self.available = False
                raise SessionUnavailable("the session store is unavailable") from error

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
        """The token for a form being rendered. A session that came without a cookie gets
        the token derived from its id, and a cookie, but nothing stored."""
        if "csrf" not in self.data and self.available:
            if self.is_new and self.unstored_csrf:
                self.data["csrf"] = self.unstored_csrf
                self.cookie_only = True
            else:
                self["csrf"] = secrets.token_urlsafe(32)
        return self.csrf_token

    @property
    def kept(self) -> bool:
        """The browser holds (or is given) this session's cookie."""
        return not self.is_new or self.modified or self.cookie_only

    def rotate(self) -> None:
        """New id and CSRF token for the same data (after identity is confirmed or login)."""
        self._writable()
        if self.rotated_from is None and not self.is_new:
            self.rotated_from = self.id
        self.id = _new_id()
        self.data["csrf"] = secrets.token_urlsafe(32)
        self.data.pop(GRACE_KEY, None)  # the new id is a full session
        self.modified = True


def new_session_data(now: float | None = None) -> dict[str, Any]:
    return {"created": time.time() if now is None else now}


def session_trail(session: Session, hasher: Callable[[str], str]) -> str:
    """The name of this session in logs and ballots (``hasher`` is Crypto.session_hash);
    a session from before trails existed is named by the hash of its first id we know."""
    return session.data.get(TRAIL_KEY) or hasher(session.rotated_from or session.id)


def _counts_a_visit(session: Session) -> bool:
    """A visit: the first request that brings back a session's cookie, i.e. the session's
    first page as seen by a browser that keeps it (a bot without cookies never does)."""
    return session.returned or (not session.is_new and session.data.get(VISIT_PENDING_KEY) is True)


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
        sign: Callable[[str], str] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.app = app
        # Wall-clock seconds for the absolute timeout (tests move it forward; the idle
        # timeout is the store's expiry, on the store's own clock).
        self.clock = clock or _wall_clock
        self.store = store
        self.idle = idle_seconds
        self.absolute = absolute_seconds
        self.policy = policy
        self.skip_prefixes = skip_prefixes
        self.only_prefixes = only_prefixes
        self.trail = trail
        # A keyed MAC (``Crypto.keyed_hash``) that signs the ids of sessions not stored
        # yet; without it every session is stored when its form token is made.
        self.sign = sign

    def _signed_id(self) -> tuple[str, str]:
        """A new id, signed if the middleware can sign, and the CSRF token it implies."""
        raw = _new_id()
        if self.sign is None:
            return raw, ""
        return f"{raw}.{self._mac(raw, 'id')}", self._mac(raw, "csrf")

    def _mac(self, raw: str, use: str) -> str:
        assert self.sign is not None
        return self.sign(f"{self.policy.key_prefix}{use}:{raw}")[:32]

    def _issued(self, sid: str) -> str | None:
        """The CSRF token of ``sid`` if this middleware issued it (a signed id), else None."""
        raw, dot, mac = sid.partition(".")
        if self.sign is None or not dot or not hmac.compare_digest(mac, self._mac(raw, "id")):
            return None
        return self._mac(raw, "csrf")

    def _serves(self, path: str) -> bool:
        if path.startswith(self.skip_prefixes):
            return False
        return self.only_prefixes is None or path.startswith(self.only_prefixes)

    async def load(self, scope: Scope) -> Session:
        sid = read_cookie(scope, self.policy)
        if sid and len(sid) < 100:
            # Read and kept alive for another idle period in one round trip: a request
            # that changes nothing in the session writes nothing back.
            raw = await self.store.get_touch(self.policy.key_prefix + sid, ttl=self.idle)
            if raw is not None:
                data = orjson.loads(raw)
                now = self.clock()
                alive = now < data.get(GRACE_KEY, now + 1)
                if alive and now - data.get("created", 0) < self.absolute:
                    session = Session(sid, data, is_new=False, store=self.store)
                    session.stored = raw
                    return session
                await self.store.delete(self.policy.key_prefix + sid)
            elif token := self._issued(sid):
                # the cookie of a form page opened without one came back: store it now
                session = Session(sid, self._data(sid), is_new=False, store=self.store)
                session.data["csrf"] = token
                session.returned = session.modified = True
                return session
        sid, token = self._signed_id()
        return Session(sid, self._data(sid), is_new=True, unstored_csrf=token, store=self.store)

    def _data(self, sid: str) -> dict[str, Any]:
        data = new_session_data(self.clock())
        if self.trail is not None:
            data[TRAIL_KEY] = self.trail(sid)
        return data

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
                counted = self.policy.count_visits and _counts_a_visit(session)
                if counted and not session.returned:
                    session.pop(VISIT_PENDING_KEY, None)
                await self.save(scope, session, message)
                if counted:
                    with suppress(*STORE_ERRORS):  # a visit not counted is no error
                        await self.store.incr(VISITS_KEY)
            await send(message)

        await self.app(scope, receive, send_with_session)

    async def save(self, scope: Scope, session: Session, message: Message) -> None:
        """Store the session and set its cookie; if the store fails now, the response
        still goes out (it may carry a receipt) without a cookie for an unsaved id."""
        if not session.available or (session.is_new and not session.modified):
            if session.available and session.cookie_only:  # a form's token: a cookie only
                self._set_cookie(scope, session, message)
            return  # nothing to store
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
        ttl = self._ttl(session.data)
        if session.modified:
            if session.is_new:  # its cookie not seen back yet
                ttl = min(ttl, UNRETURNED_SECONDS)
                if self.policy.count_visits:
                    session.data[VISIT_PENDING_KEY] = True
            await self.store.set(prefix + session.id, _dump(session.data), ttl=ttl)
        elif GRACE_KEY in session.data:  # ``load`` pushed it on; an old id keeps its grace
            await self.store.touch(prefix + session.id, ttl=ttl)
        # otherwise unmodified: its idle expiry was pushed on when it was read (``load``)
        if session.rotated_from and self.policy.rotation_grace:  # the new id is stored:
            # the old one only for a while
            await self._grace(prefix + session.rotated_from, session.stored)
        elif session.rotated_from:
            await self.store.delete(prefix + session.rotated_from)
        if session.is_new or session.rotated_from:
            self._set_cookie(scope, session, message)

    def _set_cookie(self, scope: Scope, session: Session, message: Message) -> None:
        message.setdefault("headers", []).append(
            (b"set-cookie", self._cookie(scope, session.id).encode("latin-1"))
        )

    def _ttl(self, data: dict[str, Any]) -> int:
        """The idle timeout, or what is left of the grace of an old id."""
        until = data.get(GRACE_KEY)
        return self.idle if until is None else max(1, math.ceil(until - self.clock()))

    async def _grace(self, key: str, raw: bytes | None) -> None:
        """Keep the old id's data as this request read it (its CSRF token too: the page
        the browser holds still posts) for the grace period, marked so that using it
        cannot extend it. One round trip: the data read by ``load`` are written back."""
        if raw is None:
            return
        data = orjson.loads(raw)
        until = self.clock() + self.policy.rotation_grace
        data[GRACE_KEY] = min(until, data.get(GRACE_KEY, until))
        await self.store.set(key, _dump(data), ttl=self._ttl(data))

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


def _wall_clock() -> float:
    return time.time()  # looked up at each call: a test may move this module's clock


def _dump(data: dict[str, Any]) -> bytes:
    # orjson: a session is read and (often) written on every request; int keys become
    # strings, as json.dumps made them
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def end_session(session: Session) -> None:
    """Remove the session from the store and the browser once the response is sent."""
    session.data["_ended"] = True
    session.modified = True
