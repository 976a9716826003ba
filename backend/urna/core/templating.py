"""Jinja2 rendering with named blocks: an htmx request gets only the block it asked for
(jinja2-fragments), a normal request the whole page. The decision lives here only."""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2_fragments import render_block

from urna.core import i18n
from urna.core.pagecache import (
    CSRF_PLACEHOLDER,
    CachedPage,
    PageCache,
    htmx_fragment,
    page_key,
    with_token,
)
from urna.core.sessions import VISITS_KEY, SessionUnavailable
from urna.core.store import STORE_ERRORS, Store

# At most this many pages kept per owner of ``Templates.render(shared=...)``: searches
# with any text must not grow it without bound.
SHARED_PAGES = 64


class CsrfToken:
    """A form's CSRF token, created (and with it the session) only when a form prints it."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def __str__(self) -> str:
        if self.session is None:
            return ""
        if not self.session.available:  # a form that could not be sent: the 503 page
            raise SessionUnavailable("no session to give the form its token")
        return self.session.csrf_ensure()

    __html__ = __str__


def is_htmx(request: Request) -> bool:
    return htmx_fragment(request.headers)


def request_language(request: Request, default: str) -> str:
    return session_language(getattr(request.state, "session", None), default)


def session_language(session: Any, default: str) -> str:
    lang = session.get("lang") if session is not None else None
    return lang if lang in i18n.LANGUAGES else default


class ConstantTranslations(Extension):
    """``_("text")`` without parameters is translated when the template is compiled, into
    its environment's language (``Templates`` keeps one environment per language): the
    header, menu and footer cost no gettext call per page. The value is what newstyle
    gettext gives at render time (the translation marked safe, ``%%`` read as ``%``), so
    the page is the same; messages with parameters, ``ngettext`` and ``_(variable)`` are
    left to the render."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(constant_language=None)

    def filter_stream(self, stream: TokenStream) -> list[Token]:
        lang = self.environment.constant_language  # type: ignore[attr-defined]
        tokens = list(stream)
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            call = tokens[i : i + 4]
            if (
                lang is not None
                and [t.type for t in call] == ["name", "lparen", "string", "rparen"]
                and call[0].value == "_"
                and not (out and out[-1].type == "dot")
            ):
                text = _constant(lang, call[2].value)
                if text is not None:
                    line = call[0].lineno
                    out += [
                        Token(line, "lparen", "("),
                        Token(line, "string", text),
                        Token(line, "pipe", "|"),
                        Token(line, "name", "safe"),
                        Token(line, "rparen", ")"),
                    ]
                    i += 4
                    continue
            out.append(tokens[i])
            i += 1
        return out


def _constant(lang: str, message: str) -> str | None:
    """What ``_(message)`` renders in ``lang`` (None: an error left for the render)."""
    try:
        return i18n.gettext_in(lang, message) % {}  # as gettext's ``Markup(text) % {}``
    except (KeyError, TypeError, ValueError):
        return None


def _environment(directory: Path, *, auto_reload: bool, lang: str | None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        # development: an edited template shows at once; elsewhere no stat() per page
        auto_reload=auto_reload,
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n", ConstantTranslations],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.constant_language = lang  # type: ignore[attr-defined]
    return env


class VisitCounter:
    """The footer's visit count, read from the store at most once per ``seconds`` in this
    process (0: at every page): a page costs no store round trip for it, and the number
    shown may be that many seconds old. A store that fails shows no number, quietly."""

    def __init__(self, store: Store, *, seconds: float = 0) -> None:
        self.store = store
        self.seconds = seconds
        self._value: int | None = None
        self._until = 0.0

    async def read(self) -> int | None:
        now = time.monotonic()
        if now < self._until:
            return self._value
        try:
            self._value = int(await self.store.get(VISITS_KEY) or 0)  # none counted yet: 0
        except STORE_ERRORS:  # the counter is not worth an error page (nor hides one)
            self._value = None
        self._until = now + self.seconds
        return self._value


class Templates:
    def __init__(
        self,
        directory: Path,
        *,
        store: Store,
        default_language: str,
        visits_seconds: float = 0,
        auto_reload: bool = True,
    ) -> None:
        # One environment per language, its fixed texts translated once when compiled;
        # ``env`` (the default language's) holds the globals and filters they all share.
        self.envs = {
            lang: _environment(directory, auto_reload=auto_reload, lang=lang)
            for lang in i18n.LANGUAGES
        }
        self.env = self.envs.get(default_language) or self.envs[i18n.LANGUAGES[0]]
        for env in self.envs.values():
            env.globals = self.env.globals
            env.filters = self.env.filters
            env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
        self.env.filters["money"] = i18n.format_money
        self.env.filters["number"] = i18n.format_count
        self.env.filters["decimal"] = i18n.format_fraction
        self.env.filters["datetime"] = i18n.format_datetime
        self.env.filters["moment"] = i18n.format_moment
        self.env.filters["utc_iso"] = i18n.utc_iso
        self.env.filters["date"] = i18n.format_date
        self.env.globals["translate"] = i18n.translate
        self.store = store
        self.visits = VisitCounter(store, seconds=visits_seconds)
        self.default_language = default_language
        # Shared pages a view says how long stay fresh, answered before the router.
        self.pages = PageCache()

    def fragment(
        self,
        owner: dict,
        name: str,
        *,
        key: Hashable = None,
        translated: bool = False,
        **values: Any,
    ) -> str:
        """A fragment that shows every visitor the same (a city's thousands of streets, a
        pool's projects), rendered once and kept in ``owner`` (a snapshot's ``pages``: it
        goes with the snapshot) under ``key``. ``translated``: it holds texts, numbers or
        money in the page's language, so it is rendered once per language, while a page
        renders (its language set). The page prints it with ``|safe`` or as ``Markup``."""
        lang = i18n.current_language() if translated else None
        cache_key = ("fragment", name, key, lang)
        html = owner.get(cache_key)
        if html is None:
            env = self.envs.get(lang, self.env) if lang else self.env
            html = owner[cache_key] = env.get_template(name).render(values)
        return html

    async def render(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        *,
        block: str | None = None,
        status_code: int = 200,
        personal: bool = False,
        shared: dict[Hashable, str] | None = None,
        fresh: Callable[[], bool] | None = None,
        language: str | None = None,
    ) -> HTMLResponse:
        """Render a page, or only ``block`` for htmx. ``personal`` marks pages that show
        personal data: no history snapshot in htmx (the response is no-store anyway).

        ``shared``: a page that shows every visitor the same (the catalogue of an edition)
        is kept there, owned by what it shows (the edition's snapshot, dropped with it),
        by template, block, language, visit count and address, and served again without
        rendering; only the CSRF header, the visitor's own, is filled in afterwards. The
        caller promises that ``context`` follows from those and from ``shared``'s owner.
        With ``fresh`` (true while ``shared``'s owner is current) the page is also
        answered before the router (``core.pagecache``) while ``fresh()`` holds.
        ``language``: the page's language where the request names one its session cannot
        (a form posted after its session ended, with the header's language switch)."""
        if language in i18n.LANGUAGES:
            lang = language
        else:
            lang = request_language(request, self.default_language)
        i18n.set_language(lang)
        i18n.zone_show(request.url.path.startswith("/staff"))
        session = getattr(request.state, "session", None)
        visits = await self.visits.read()
        values: dict[str, Any] = {
            "request": request,
            "lang": lang,
            "csrf_token": CsrfToken(session),
            "csrf_header": CSRF_PLACEHOLDER,
            "personal": personal,
            "visits": visits,
            # where the language links come back to: the page with its filters
            "current_path": request.url.path
            + (f"?{request.url.query}" if request.url.query else ""),
        }
        values.update(context or {})
        fragment = block if block and is_htmx(request) else None
        key = (name, fragment, lang, visits, request.url.path, request.url.query)
        html = shared.get(key) if shared is not None else None
        if html is None:
            env = self.envs.get(lang, self.env)
            if fragment:
                html = render_block(env, name, fragment, values)
            else:
                html = env.get_template(name).render(values)
            if shared is not None and len(shared) < SHARED_PAGES:
                shared[key] = html
        if shared is not None and fresh is not None and status_code == 200:
            quick = page_key(request.scope, lang=lang, fragment=bool(fragment), visits=visits)
            self.pages.put(quick, CachedPage(html, request.scope.get("route"), fresh))
        # The page's htmx header carries the token only if a form on it needed one.
        return HTMLResponse(with_token(html, session), status_code=status_code)
