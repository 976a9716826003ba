"""CSRF: a synchronizer token per session on every state-changing request, and refusal of
cross-site requests announced by the browser (Sec-Fetch-Site)."""

from __future__ import annotations

import hmac

from fastapi import Request

from urna.core.errors import CsrfRejected, SessionEnded
from urna.core.sessions import SessionUnavailable

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("sec-fetch-site") == "cross-site":
        request.state.refusal = "cross-site request"
        raise CsrfRejected()
    session = getattr(request.state, "session", None)
    if session is not None and not session.available:
        raise SessionUnavailable("no session to check the form against")  # 503, not 403
    token = request.headers.get("x-csrf-token")
    if token is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        token = (await request.form()).get("csrf_token")
    if session is None or not token or not hmac.compare_digest(str(token), session.csrf_token):
        if session is not None:
            # No stored session to match (no cookie, or an id the store does not know):
            # during a store outage that is the outage's 503, not the visitor's 403.
            await session.available_ensure()
        if session is not None and session.is_new:  # nothing stored: the session ended
            request.state.refusal = "csrf token without a session"
            raise SessionEnded()
        request.state.refusal = "csrf token missing or invalid"
        raise CsrfRejected()
