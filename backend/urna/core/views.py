"""Small shared views (language switch, health) and the helpers every view uses: read a
form, render a page, answer a POST with 303, name the client."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from urna.core.context import get_ctx
from urna.core.i18n import LANGUAGES

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def see_other(url: str) -> RedirectResponse:
    """The answer to a POST that worked (the browser then GETs ``url``)."""
    return RedirectResponse(url, status_code=303)


async def form_values(request: Request) -> dict[str, str]:
    """The text fields of a posted form, one value per name (files left out)."""
    form = await request.form()
    return {key: str(value) for key, value in form.items() if isinstance(value, str)}


async def form_list(request: Request, name: str) -> list[str]:
    """Every value of a repeated field (check boxes); Starlette reads the form once."""
    return [str(value) for value in (await request.form()).getlist(name)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def request_id(request: Request) -> str | None:
    """The id the request log gives this request (none when logging is off)."""
    return getattr(request.state, "request_id", None)


async def render(request: Request, name: str, context: dict[str, Any], **kw: Any) -> HTMLResponse:
    """``Templates.render`` of the app (``block``, ``status_code``, ``personal``)."""
    return await get_ctx(request).templates.render(request, name, context, **kw)


@router.get("/lang/{code}")
async def language_switch(request: Request, code: str, next: str | None = None):
    if code in LANGUAGES:
        request.state.session["lang"] = code
    return see_other(safe_next(next))


@router.get("/healthz", include_in_schema=False)
async def health() -> PlainTextResponse:
    return PlainTextResponse("ok")
