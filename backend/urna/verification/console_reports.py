"""The evidence export for the authorities and the live turnout (verification team and
office). The export answers with the zip itself; its manifest's SHA-256 is in a header
and in the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from urna.core.access import VerifierUser
from urna.core.context import Ctx, DbSession, ReplicaSession
from urna.core.errors import FormInvalid
from urna.core.forms import form_openapi, query_openapi
from urna.core.views import form_values, render
from urna.editions import service as editions
from urna.verification import evidence, turnout
from urna.verification.console import page_context

router = APIRouter()


@router.get("/staff/verify/{slug}/export", openapi_extra=query_openapi(case={"type": "integer"}))
async def export_page(request: Request, slug: str, db: DbSession, user: VerifierUser):
    edition = await editions.edition_get(session=db, slug=slug)
    context = page_context(edition, user, "export")
    case_id = request.query_params.get("case", "")
    context.update(
        bases=evidence.LEGAL_BASES,
        errors={},
        values={"scope": "case" if case_id else "network", "case_id": case_id},
    )
    return await render(request, "verification/export.html", context)


@router.post(
    "/staff/verify/{slug}/export",
    openapi_extra=form_openapi(
        category={"enum": list(evidence.LEGAL_BASES)},
        basis={"type": "string", "minLength": evidence.BASIS_MIN},
        scope={"enum": ["case", "network"]},
        case_id={"type": "integer", "minimum": 1},
        since={"type": "string"},
        until={"type": "string"},
        network={"type": "string"},
    ),
)
async def export(request: Request, slug: str, ctx: Ctx, db: DbSession, user: VerifierUser):
    edition = await editions.edition_get(session=db, slug=slug)
    form = await form_values(request)
    try:
        scope = evidence.scope_parse(form)
    except FormInvalid as error:
        context = page_context(edition, user, "export")
        context.update(bases=evidence.LEGAL_BASES, errors=error.errors, values=form)
        return await render(request, "verification/export.html", context, status_code=400)
    package = await evidence.evidence_export(
        session=db, crypto=ctx.crypto, edition=edition, scope=scope, actor_id=user.id
    )
    return Response(
        package.content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{package.filename}"',
            "X-Manifest-SHA256": package.manifest_sha256,
        },
    )


@router.get("/staff/verify/{slug}/turnout")
async def turnout_page(request: Request, slug: str, db: ReplicaSession, user: VerifierUser):
    edition = await editions.edition_get(session=db, slug=slug)
    context = page_context(edition, user, "turnout")
    context["turnout"] = await turnout.turnout_live(session=db, edition=edition)
    return await render(request, "verification/turnout.html", context)
