"""Small shared views: language switch, health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse

from urna.core.i18n import LANGUAGES

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/lang/{code}")
async def language_switch(request: Request, code: str, next: str | None = None):
    if code in LANGUAGES:
        request.state.session["lang"] = code
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/healthz", include_in_schema=False)
async def health() -> PlainTextResponse:
    return PlainTextResponse("ok")
