"""The site's own documents in the console (admin): the privacy policy (``/privacy``) and
the accessibility statement (``/accessibility``), which every page's footer links to. A
new version is published with what changed; earlier versions stay in the public register
of changes. Unlike an edition's clause, they may change at any time: the register says
from when each version was in force."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.access import AdminUser
from urna.core.audit import audit_append
from urna.core.context import DbSession
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_openapi, form_parse
from urna.core.i18n import N_
from urna.core.views import form_values, render, see_other
from urna.documents import service as documents
from urna.privacy.forms import ClauseForm

router = APIRouter()
# kind -> (its public address, its name in the console)
SITE_DOCUMENTS = {
    "policy": ("/privacy", N_("Privacy policy")),
    "accessibility": ("/accessibility", N_("Accessibility statement")),
}


def _kind_of(kind: str) -> str:
    if kind not in SITE_DOCUMENTS:
        raise NotFound()
    return kind


async def _document_page(
    request: Request, db: AsyncSession, kind: str, *, values=None, errors=None, status=200
) -> Response:
    versions = await documents.document_register(session=db, kind=kind)
    if values is None and versions:
        current = versions[0]
        values = {
            "title": current.title,
            "title_en": current.title_en,
            "body": current.body,
            "body_en": current.body_en,
        }
    address, name = SITE_DOCUMENTS[kind]
    context = {
        "kind": kind,
        "address": address,
        "name": name,
        "versions": versions,
        "values": values or {},
        "errors": errors or {},
    }
    return await render(request, "privacy/console/site_document.html", context, status_code=status)


@router.get("/staff/documents")
async def documents_page(request: Request, db: DbSession, user: AdminUser):
    rows = [
        (kind, address, name, await documents.document_latest(session=db, kind=kind))
        for kind, (address, name) in SITE_DOCUMENTS.items()
    ]
    return await render(request, "privacy/console/site_documents.html", {"rows": rows})


@router.get("/staff/documents/{document}")
async def document_page(request: Request, document: str, db: DbSession, user: AdminUser):
    return await _document_page(request, db, _kind_of(document))


@router.post("/staff/documents/{document}", openapi_extra=form_openapi(ClauseForm))
async def document_publish(request: Request, document: str, db: DbSession, user: AdminUser):
    kind = _kind_of(document)
    values = await form_values(request)
    try:
        data = form_parse(ClauseForm, values)
    except FormInvalid as error:
        return await _document_page(
            request, db, kind, values=values, errors=error.errors, status=400
        )
    published = await documents.document_publish(
        session=db,
        kind=kind,
        title=data.title,
        title_en=data.title_en,
        body=data.body,
        body_en=data.body_en,
        change_summary=data.change_summary,
    )
    await audit_append(
        session=db,
        actor_id=user.id,
        action="document.publish",
        target=f"document:{kind}",
        details={"version": published.version},
    )
    return see_other(f"/staff/documents/{document}")
