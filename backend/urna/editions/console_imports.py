"""The CSV imports of an edition's setup (admin): projects or streets from a file or pasted
rows, checked first with a preview of the errors of each row, then added all or none."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from urna.core.access import AdminUser
from urna.core.context import DbSession
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_openapi
from urna.core.i18n import N_
from urna.core.views import see_other
from urna.editions import imports
from urna.editions import service as editions
from urna.editions.console import section_page
from urna.editions.snapshot import EditionsChanged

# every change made here is announced to the snapshot caches of all processes
router = APIRouter(dependencies=[EditionsChanged])
# a CSV file, or its rows pasted
CSV_FORM = form_openapi(files=["file"], text={"type": "string"})


def _kind_ensure(kind: str) -> str:
    if kind not in imports.CSV_KINDS:
        raise NotFound()
    return kind


async def _upload_text(request: Request) -> str:
    """The CSV from the file input, or else from the text area."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(imports.MAX_UPLOAD_BYTES + 1)
        if len(raw) > imports.MAX_UPLOAD_BYTES:
            raise FormInvalid({"file": N_("The file is too large.")})
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FormInvalid({"file": N_("Save the file as UTF-8 text.")}) from error
    return str(form.get("text") or "")


async def _import_page(
    request, db, slug, kind, *, preview=None, text="", errors=None, status_code=200
) -> Response:
    edition = await editions.edition_get(session=db, slug=slug)
    context = {"kind": kind, "preview": preview, "text": text, "errors": errors or {}}
    return await section_page(request, edition, "import", kind, context, status_code=status_code)


@router.get("/staff/editions/{slug}/import/{kind}")
async def import_page(request: Request, slug: str, kind: str, db: DbSession, user: AdminUser):
    return await _import_page(request, db, slug, _kind_ensure(kind))


@router.post("/staff/editions/{slug}/import/{kind}/preview", openapi_extra=CSV_FORM)
async def import_preview(request: Request, slug: str, kind: str, db: DbSession, user: AdminUser):
    kind = _kind_ensure(kind)
    try:
        text = await _upload_text(request)
        edition = await editions.edition_get(session=db, slug=slug)
        preview = await imports.rows_preview(session=db, edition=edition, kind=kind, text=text)
    except FormInvalid as error:
        return await _import_page(request, db, slug, kind, errors=error.errors, status_code=400)
    return await _import_page(
        request, db, slug, kind, preview=preview, text=text, status_code=200 if preview.ok else 400
    )


@router.post("/staff/editions/{slug}/import/{kind}", openapi_extra=CSV_FORM)
async def import_apply(request: Request, slug: str, kind: str, db: DbSession, user: AdminUser):
    kind = _kind_ensure(kind)
    text = ""
    try:
        text = await _upload_text(request)
        edition = await editions.edition_get(session=db, slug=slug)
        count = await editions.rows_import(
            session=db, edition=edition, kind=kind, text=text, actor_id=user.id
        )
    except imports.PreviewInvalid as error:
        return await _import_page(
            request, db, slug, kind, preview=error.preview, text=text, status_code=400
        )
    except FormInvalid as error:
        return await _import_page(request, db, slug, kind, errors=error.errors, status_code=400)
    return see_other(f"/staff/editions/{slug}/{kind}?added={count}")
