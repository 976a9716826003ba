"""The staff console's screens for an edition's information clause (admin): its versions
and a new one until voting opens; and the import of an edition from a JSON file, which
publishes the file's clause together with the edition (the rest of an edition's setup
is in ``editions.console``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from urna.core.access import AdminUser
from urna.core.context import DbSession
from urna.core.errors import FormInvalid
from urna.core.forms import form_parse
from urna.core.views import form_values, render, see_other
from urna.documents import service as documents
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.privacy import service
from urna.privacy.forms import ClauseForm

router = APIRouter()


@router.post("/staff/editions/import")
async def edition_import(request: Request, db: DbSession, user: AdminUser):
    upload = (await request.form()).get("file")
    raw = b""
    if isinstance(upload, UploadFile):
        raw = await upload.read(editions.MAX_UPLOAD_BYTES + 1)
    try:
        data = editions.edition_json_read(raw)
        edition = await service.edition_import(session=db, data=data, actor_id=user.id)
    except FormInvalid as error:
        items = await editions.editions_list(session=db)
        phases = {item.id: editions.edition_phase(item) for item in items}
        context = {"editions": items, "phases": phases, "errors": error.errors}
        return await render(request, "editions/console/editions.html", context, status_code=400)
    return see_other(f"/staff/editions/{edition.slug}")


async def _clause_page(
    request: Request, db: AsyncSession, edition: Edition, *, values=None, errors=None, status=200
) -> Response:
    versions = await documents.document_register(session=db, kind="clause", edition=edition)
    current = versions[0] if versions else None
    if values is None and current is not None:
        values = {"title": current.title, "body": current.body, "body_en": current.body_en}
    context = {
        "edition": edition,
        "phase": editions.edition_phase(edition),
        "section": "clause",
        "versions": versions,
        "values": values or {},
        "errors": errors or {},
    }
    return await render(request, "privacy/console/clause.html", context, status_code=status)


@router.get("/staff/editions/{slug}/clause")
async def clause_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    return await _clause_page(request, db, edition)


@router.post("/staff/editions/{slug}/clause")
async def clause_publish(request: Request, slug: str, db: DbSession, user: AdminUser):
    values = await form_values(request)
    edition = await editions.edition_get(session=db, slug=slug)
    try:
        data = form_parse(ClauseForm, values)
        await service.clause_publish(session=db, edition=edition, data=data, actor_id=user.id)
    except FormInvalid as error:
        return await _clause_page(
            request, db, edition, values=values, errors=error.errors, status=400
        )
    return see_other(f"/staff/editions/{slug}/clause")
