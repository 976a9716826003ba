"""Edition setup screens of the staff console (admin): editions, areas and pools,
projects, the street register, CSV imports with a preview of errors per row, and the
versioned information clause."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from urna import seeding
from urna.core.context import get_ctx, get_db
from urna.core.errors import FormInvalid, NotFound
from urna.core.i18n import LOCAL_ZONE, N_
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import IDENTITY_FIELDS
from urna.staff import setup
from urna.staff.deps import require_role
from urna.staff.models import StaffUser
from urna.staff.views import see_other

router = APIRouter()
admin_only = require_role("admin")


async def _form(request: Request) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    return values, [str(v) for v in form.getlist("required_fields")]


async def _upload_text(request: Request) -> str:
    """The CSV from the file input, or else from the text area."""
    form = await request.form()
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(setup.MAX_UPLOAD_BYTES + 1)
        if len(raw) > setup.MAX_UPLOAD_BYTES:
            raise FormInvalid({"file": N_("The file is too large.")})
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FormInvalid({"file": N_("Save the file as UTF-8 text.")}) from error
    return str(form.get("text") or "")


async def _render(request: Request, name: str, context: dict, *, status_code: int = 200):
    return await get_ctx(request).templates.render(request, name, context, status_code=status_code)


# ---- editions -----------------------------------------------------------------------


async def _editions_page(request, db, *, errors=None, status_code=200):
    items = await editions.editions_list(session=db)
    return await _render(
        request,
        "staff/editions.html",
        {
            "editions": items,
            "phases": {e.id: editions.edition_phase(e) for e in items},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/staff/editions")
async def editions_page(request: Request, user=Depends(admin_only), db=Depends(get_db)):
    return await _editions_page(request, db)


@router.post("/staff/editions/import")
async def edition_import(
    request: Request, user: StaffUser = Depends(admin_only), db: AsyncSession = Depends(get_db)
):
    form = await request.form()
    upload = form.get("file")
    raw = await upload.read(setup.MAX_UPLOAD_BYTES + 1) if isinstance(upload, UploadFile) else b""
    try:
        edition = await setup.edition_import_json(session=db, actor_id=user.id, raw=raw)
    except FormInvalid as error:
        return await _editions_page(request, db, errors=error.errors, status_code=400)
    return see_other(f"/staff/editions/{edition.slug}")


def _edition_form_context(values, required, errors):
    return {
        "values": values,
        "required": set(required),
        "identity_fields": IDENTITY_FIELDS,
        "errors": errors,
    }


@router.get("/staff/editions/new")
async def edition_new(request: Request, user=Depends(admin_only)):
    values = {"retention_months": "3", "max_ballots_per_contact": "1", "pool_max_choices": "1"}
    context = _edition_form_context(values, ["first_name", "last_name", "address", "phone"], {})
    return await _render(request, "staff/edition_new.html", context)


@router.post("/staff/editions")
async def edition_create(
    request: Request, user: StaffUser = Depends(admin_only), db: AsyncSession = Depends(get_db)
):
    values, required = await _form(request)
    try:
        edition = await setup.edition_create(
            session=db, actor_id=user.id, form=values, required_fields=required
        )
    except FormInvalid as error:
        context = _edition_form_context(values, required, error.errors)
        return await _render(request, "staff/edition_new.html", context, status_code=400)
    return see_other(f"/staff/editions/{edition.slug}")


def _edition_values(edition) -> dict[str, str]:
    values = {name: getattr(edition, name) for name in setup.EDITION_TEXT_FIELDS if name != "slug"}
    for name in setup.EDITION_TIMES:
        values[name] = getattr(edition, name).astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")
    values.update(
        retention_months=str(edition.retention_months),
        max_ballots_per_contact=str(edition.max_ballots_per_contact),
        confirmation_channel=edition.confirmation_channel,
        district_limited_to_area="1" if edition.district_limited_to_area else "",
    )
    return values


async def _edition_page(request, db, slug, *, values=None, required=None, errors=None, code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    context = _edition_form_context(
        values or _edition_values(edition),
        edition.required_fields if required is None else required,
        errors or {},
    )
    context.update(
        edition=edition,
        phase=editions.edition_phase(edition),
        pools=await editions_repository.pools_of(db, edition.id),
        project_count=len(await editions_repository.projects_search(db, edition.id)),
        street_count=len(await editions_repository.streets_of(db, edition.id)),
        section="rules",
    )
    return await _render(request, "staff/edition.html", context, status_code=code)


@router.get("/staff/editions/{slug}")
async def edition_page(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    return await _edition_page(request, db, slug)


@router.post("/staff/editions/{slug}")
async def edition_update(
    request: Request,
    slug: str,
    user: StaffUser = Depends(admin_only),
    db: AsyncSession = Depends(get_db),
):
    values, required = await _form(request)
    try:
        await setup.edition_rules_update(
            session=db, actor_id=user.id, slug=slug, form=values, required_fields=required
        )
    except FormInvalid as error:
        return await _edition_page(
            request, db, slug, values=values, required=required, errors=error.errors, code=400
        )
    return see_other(f"/staff/editions/{slug}?saved=1")


# ---- areas and pools ----------------------------------------------------------------


async def _pools_page(request, db, slug, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    return await _render(
        request,
        "staff/pools.html",
        {
            "edition": edition,
            "phase": editions.edition_phase(edition),
            "areas": await editions_repository.areas_of(db, edition.id),
            "pools": await editions_repository.pools_of(db, edition.id),
            "values": values or {},
            "errors": errors or {},
            "section": "pools",
        },
        status_code=status_code,
    )


@router.get("/staff/editions/{slug}/pools")
async def pools_page(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    return await _pools_page(request, db, slug)


@router.post("/staff/editions/{slug}/areas")
async def area_add(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    values, _ = await _form(request)
    try:
        await setup.area_create(session=db, actor_id=user.id, slug=slug, form=values)
    except FormInvalid as error:
        return await _pools_page(
            request, db, slug, values=values, errors=error.errors, status_code=400
        )
    return see_other(f"/staff/editions/{slug}/pools")


@router.post("/staff/editions/{slug}/pools")
async def pool_add(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    values, _ = await _form(request)
    try:
        await setup.pool_create(session=db, actor_id=user.id, slug=slug, form=values)
    except FormInvalid as error:
        return await _pools_page(
            request, db, slug, values=values, errors=error.errors, status_code=400
        )
    return see_other(f"/staff/editions/{slug}/pools")


# ---- projects and streets -----------------------------------------------------------


async def _projects_page(request, db, slug, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    pools = await editions_repository.pools_of(db, edition.id)
    return await _render(
        request,
        "staff/projects.html",
        {
            "edition": edition,
            "phase": editions.edition_phase(edition),
            "pools": pools,
            "pool_codes": {p.id: p.code for p in pools},
            "areas": await editions_repository.areas_of(db, edition.id),
            "projects": await editions_repository.projects_search(db, edition.id),
            "values": values or {},
            "errors": errors or {},
            "section": "projects",
        },
        status_code=status_code,
    )


@router.get("/staff/editions/{slug}/projects")
async def projects_page(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    return await _projects_page(request, db, slug)


@router.post("/staff/editions/{slug}/projects")
async def project_add(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    values, _ = await _form(request)
    try:
        await setup.project_create(session=db, actor_id=user.id, slug=slug, form=values)
    except FormInvalid as error:
        return await _projects_page(
            request, db, slug, values=values, errors=error.errors, status_code=400
        )
    return see_other(f"/staff/editions/{slug}/projects")


@router.get("/staff/editions/{slug}/streets")
async def streets_page(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    edition = await editions.edition_get(session=db, slug=slug)
    return await _render(
        request,
        "staff/streets.html",
        {
            "edition": edition,
            "phase": editions.edition_phase(edition),
            "areas": {a.id: a for a in await editions_repository.areas_of(db, edition.id)},
            "streets": await editions_repository.streets_of(db, edition.id),
            "section": "streets",
        },
    )


def _kind_ensure(kind: str) -> str:
    if kind not in seeding.CSV_KINDS:
        raise NotFound()
    return kind


async def _import_page(request, db, slug, kind, *, preview=None, text="", errors=None, code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    return await _render(
        request,
        "staff/import.html",
        {
            "edition": edition,
            "phase": editions.edition_phase(edition),
            "kind": kind,
            "preview": preview,
            "text": text,
            "errors": errors or {},
            "section": kind,
        },
        status_code=code,
    )


@router.get("/staff/editions/{slug}/import/{kind}")
async def import_page(
    request: Request, slug: str, kind: str, user=Depends(admin_only), db=Depends(get_db)
):
    return await _import_page(request, db, slug, _kind_ensure(kind))


@router.post("/staff/editions/{slug}/import/{kind}/preview")
async def import_preview(
    request: Request, slug: str, kind: str, user=Depends(admin_only), db=Depends(get_db)
):
    kind = _kind_ensure(kind)
    try:
        text = await _upload_text(request)
        preview = await setup.rows_preview(session=db, slug=slug, kind=kind, text=text)
    except FormInvalid as error:
        return await _import_page(request, db, slug, kind, errors=error.errors, code=400)
    return await _import_page(
        request, db, slug, kind, preview=preview, text=text, code=200 if preview.ok else 400
    )


@router.post("/staff/editions/{slug}/import/{kind}")
async def import_apply(
    request: Request, slug: str, kind: str, user=Depends(admin_only), db=Depends(get_db)
):
    kind = _kind_ensure(kind)
    text = ""
    try:
        text = await _upload_text(request)
        count = await setup.rows_import(
            session=db, actor_id=user.id, slug=slug, kind=kind, text=text
        )
    except setup.PreviewInvalid as error:
        return await _import_page(
            request, db, slug, kind, preview=error.preview, text=text, code=400
        )
    except FormInvalid as error:
        return await _import_page(request, db, slug, kind, errors=error.errors, code=400)
    return see_other(f"/staff/editions/{slug}/{kind}?added={count}")


# ---- information clause -------------------------------------------------------------


async def _clause_page(request, db, slug, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    versions = await setup.clause_versions(session=db, edition=edition)
    current = versions[0] if versions else None
    if values is None and current is not None:
        values = {"title": current.title, "body": current.body, "body_en": current.body_en}
    return await _render(
        request,
        "staff/clause.html",
        {
            "edition": edition,
            "phase": editions.edition_phase(edition),
            "versions": versions,
            "values": values or {},
            "errors": errors or {},
            "section": "clause",
        },
        status_code=status_code,
    )


@router.get("/staff/editions/{slug}/clause")
async def clause_page(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    return await _clause_page(request, db, slug)


@router.post("/staff/editions/{slug}/clause")
async def clause_publish(request: Request, slug: str, user=Depends(admin_only), db=Depends(get_db)):
    values, _ = await _form(request)
    try:
        await setup.clause_publish(session=db, actor_id=user.id, slug=slug, form=values)
    except FormInvalid as error:
        return await _clause_page(
            request, db, slug, values=values, errors=error.errors, status_code=400
        )
    return see_other(f"/staff/editions/{slug}/clause")
