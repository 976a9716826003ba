"""Pages every visitor sees the same, answered before the router.

The catalogue of an edition is one page for everyone while its snapshot lasts
(``Templates.render(shared=..., fresh=...)``). Once rendered it is also kept here, with
the view's check of its freshness, and the next GET of the same address in the same
language, the same htmx variant and with the same visit count in the footer is answered
by this middleware: no routing, no dependencies, no database session, no template. The
middleware around it still run — metrics, the real client address, the request log,
the security headers, the session (read and kept alive as for any page, visits counted)
— so such a request is logged and answered like any other; only the visitor's own CSRF
header is filled in, as ``render`` does.

A page is answered from here only while its ``fresh()`` says so (the catalogue: its
edition's snapshot is still the cache's current one, the store's edition generation was
read less than a second ago, and the phase has not changed); otherwise the request goes
the normal way, which renders (or reuses) and keeps the page again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

# A page's htmx header carries this until the visitor's own token is put in.
CSRF_PLACEHOLDER = "\x00csrf\x00"
HTML = (b"content-type", b"text/html; charset=utf-8")


@dataclass(frozen=True)
class CachedPage:
    html: str
    route: Any  # the matched route: metrics label the request by its template
    fresh: Callable[[], bool]
    # The page encoded once, split where the token goes: a hit joins three byte strings
    # instead of searching and encoding tens of kilobytes of text.
    parts: tuple[bytes, bytes | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        head, placeholder, tail = self.html.partition(CSRF_PLACEHOLDER)
        parts = (head.encode(), tail.encode()) if placeholder else (self.html.encode(), None)
        object.__setattr__(self, "parts", parts)

    def body(self, session: Any) -> bytes:
        """As ``with_token(self.html, session)``."""
        head, tail = self.parts
        if tail is None:
            return head
        token = session.csrf_token if session is not None else ""
        return head + token.encode() + tail


def htmx_fragment(headers: Any) -> bool:
    """An htmx request for a fragment (a history restore or a boosted link wants the
    whole page). ``headers`` has ``get(name)`` with lower-case names: a request's, or a
    dict of the scope's."""
    return (
        headers.get("hx-request") == "true"
        and not headers.get("hx-boosted")
        and not headers.get("hx-history-restore-request")
    )


def page_key(scope: Scope, *, lang: str, fragment: bool, visits: int | None) -> Hashable:
    return (scope["path"], scope.get("query_string", b""), lang, fragment, visits)


def with_token(html: str, session: Any) -> bytes:
    """The page with the visitor's CSRF token in its htmx header ("" without one)."""
    token = session.csrf_token if session is not None else ""
    return html.replace(CSRF_PLACEHOLDER, token, 1).encode()


class PageCache:
    """Pages by ``page_key``; at most ``capacity`` (then emptied: searches with any text
    must not grow it without bound, and the next requests fill it again). A catalogue
    page is tens of kilobytes: 128 of them stay well inside a worker's memory budget."""

    def __init__(self, capacity: int = 128) -> None:
        self.capacity = capacity
        self._pages: dict[Hashable, CachedPage] = {}
        self.paths: set[str] = set()  # what other requests need not look further for

    def get(self, key: Hashable) -> CachedPage | None:
        """The page if it is still fresh; a stale one is dropped (the request that finds
        it renders, and keeps, the page again)."""
        page = self._pages.get(key)
        if page is not None and not page.fresh():
            del self._pages[key]
            return None
        return page

    def put(self, key: Hashable, page: CachedPage) -> None:
        if len(self._pages) >= self.capacity:
            self._pages.clear()
            self.paths.clear()
        self._pages[key] = page
        self.paths.add(key[0])


class PageCacheMiddleware:
    """Answers a GET from ``cache`` when the page there is fresh; anything else passes.

    ``language(session)`` and ``visits()`` are the templates' own (the key must be the
    one ``render`` kept the page under)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cache: PageCache,
        language: Callable[[Any], str],
        visits: Callable[[], Any],
    ) -> None:
        self.app = app
        self.cache = cache
        self.language = language
        self.visits = visits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or scope["path"] not in self.cache.paths
        ):
            await self.app(scope, receive, send)
            return
        session = scope.get("state", {}).get("session")
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in
                   scope["headers"] if name.startswith(b"hx-")}  # fmt: skip
        key = page_key(
            scope,
            lang=self.language(session),
            fragment=htmx_fragment(headers),
            visits=await self.visits(),
        )
        page = self.cache.get(key)
        if page is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = page.route
        body = page.body(session)
        length = (b"content-length", str(len(body)).encode())
        await send({"type": "http.response.start", "status": 200, "headers": [length, HTML]})
        await send({"type": "http.response.body", "body": body})
