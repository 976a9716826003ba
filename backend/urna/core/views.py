"""Small shared views (language switch, health) and the helpers every view uses: read a
form, render a page, answer a POST with 303, name the client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse

from urna.core.config import Settings
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


@dataclass(frozen=True)
class SiteIdentity:
    """What makes the site the municipality's own: its name and crest in the header, the
    participatory budget office's contact on error pages and wherever a person can help."""

    municipality: str
    crest_url: str | None
    office_phone: str
    office_email: str
    office_address: str

    @property
    def office_known(self) -> bool:
        return bool(self.office_phone or self.office_email or self.office_address)


def site_identity(settings: Settings) -> SiteIdentity:
    return SiteIdentity(
        municipality=settings.municipality,
        crest_url=settings.crest_url,
        office_phone=settings.office_phone,
        office_email=settings.office_email,
        office_address=settings.office_address,
    )


@router.get("/favicon.ico", include_in_schema=False)
async def favicon(request: Request) -> FileResponse:
    """Browsers ask for it whatever the page links to: never an error in the site's
    structure."""
    path = get_ctx(request).settings.frontend_dir / "static" / "img" / "favicon.ico"
    return FileResponse(
        path, media_type="image/x-icon", headers={"cache-control": "public, max-age=86400"}
    )


@router.get("/healthz", include_in_schema=False)
async def health() -> PlainTextResponse:
    return PlainTextResponse("ok")
