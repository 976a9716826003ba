"""Public documents: privacy policy, information clause, accessibility statement, each
with its register of changes (kept by ``urna.documents``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.context import Ctx, DbSession
from urna.core.errors import NotFound
from urna.core.views import render
from urna.documents import service as documents
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.privacy.logging_page import logging_facts

router = APIRouter()


async def _document_page(
    request: Request,
    db: AsyncSession,
    kind: str,
    version: int | None,
    edition: Edition | None = None,
):
    register = await documents.document_register(session=db, kind=kind, edition=edition)
    if not register:
        raise NotFound()
    document = (
        register[0]
        if version is None
        else next((d for d in register if d.version == version), None)
    )
    if document is None:
        raise NotFound()
    return await render(
        request,
        "privacy/document.html",
        {
            "document": document,
            "body_html": documents.document_body_html(document, request.state.session.get("lang")),
            "register": register,
            "edition": edition,
        },
    )


@router.get("/privacy")
async def privacy_policy(
    request: Request,
    db: DbSession,
    version: int | None = None,
):
    return await _document_page(request, db, "policy", version)


@router.get("/privacy/logging")
async def logging_policy(request: Request, ctx: Ctx):
    return await render(request, "privacy/logging.html", {"facts": logging_facts(ctx.settings)})


@router.get("/accessibility")
async def accessibility(
    request: Request,
    db: DbSession,
    version: int | None = None,
):
    return await _document_page(request, db, "accessibility", version)


@router.get("/e/{slug}/clause")
async def clause(
    request: Request,
    slug: str,
    db: DbSession,
    version: int | None = None,
):
    edition = (await editions.edition_snapshot_cached(request, db, slug)).edition
    return await _document_page(request, db, "clause", version, edition)
