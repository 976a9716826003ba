"""Security headers on every response (OWASP ASVS 14.4)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
BASE_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
# Precomputed per kind of response: dynamic ones are never stored by a cache and vary
# with htmx and the cookie (added even when a view set its own Vary); files for a day.
PAGE_HEADERS = [
    *BASE_HEADERS,
    (b"cache-control", b"no-store"),
    (b"vary", b"HX-Request, HX-History-Restore-Request, Cookie"),
]
STATIC_HEADERS = [*BASE_HEADERS, (b"cache-control", b"public, max-age=86400")]
SET_ONCE = frozenset(name for name, _ in STATIC_HEADERS)  # a view's own value wins


class SecurityHeadersMiddleware:
    """Adds the baseline headers; dynamic responses are ``no-store`` unless a view says
    otherwise, so no page with personal data is ever kept by a browser or proxy cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = STATIC_HEADERS if scope["path"].startswith("/static/") else PAGE_HEADERS
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                if present.isdisjoint(SET_ONCE):  # nearly every response: all at once
                    headers.extend(extra)
                else:  # what a view set itself stays (a file's cache-control)
                    headers.extend(h for h in extra if h[0] not in present or h[0] == b"vary")
                if https:
                    headers.append(HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
