"""Edition setup screens of the staff console (admin): editions, areas and pools (with
the rule each pool picks its winners by), projects, the street register, CSV imports with
a preview of errors per row, and the versioned information clause."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from urna import seeding
from urna.core.access import require_role
from urna.core.context import DbSession
from urna.core.errors import FormInvalid, NotFound
from urna.core.i18n import LOCAL_ZONE, N_
from urna.core.views import form_list, form_values, render, see_other
from urna.editions import repository as editions_repository
from urna.editions import service as editions
from urna.editions.models import IDENTITY_FIELDS, POOL_RULES, VOTE_TYPES, Edition
from urna.staff import setup
from urna.staff.models import StaffUser

router = APIRouter()
admin_only = require_role("admin")


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


async def _submitted(
    request: Request,
    change: Callable[[dict[str, str]], Awaitable[Any]],
    page: Callable[..., Awaitable[Response]],
    done: str | Callable[[Any], str],
) -> Response:
    """The shape of every setup form: ``change`` saves the posted values (a ``setup``
    function); refused, ``page`` shows the form again with them and the errors (400);
    saved, the browser goes to ``done`` (or ``done(what change returned)``)."""
    values = await form_values(request)
    try:
        result = await change(values)
    except FormInvalid as error:
        return await page(values=values, errors=error.errors, status_code=400)
    return see_other(done(result) if callable(done) else done)


async def _section_page(
    request: Request,
    edition: Edition,
    template: str,
    section: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """A page of an edition's setup (``staff/<template>.html``), ``section`` marked in the
    edition's menu."""
    return await render(
        request,
        f"staff/{template}.html",
        {"edition": edition, "phase": editions.edition_phase(edition), "section": section}
        | context,
        status_code=status_code,
    )


# ---- editions -----------------------------------------------------------------------


async def _editions_page(request, db, *, errors=None, status_code=200):
    items = await editions.editions_list(session=db)
    return await render(
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
async def editions_page(request: Request, db: DbSession, user=Depends(admin_only)):
    return await _editions_page(request, db)


@router.post("/staff/editions/import")
async def edition_import(
    request: Request,
    db: DbSession,
    user: StaffUser = Depends(admin_only),
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
        "vote_types": VOTE_TYPES,
        "errors": errors,
    }


async def _edition_new_page(request, *, values, required, errors=None, status_code=200):
    context = _edition_form_context(values, required, errors or {})
    return await render(request, "staff/edition_new.html", context, status_code=status_code)


@router.get("/staff/editions/new")
async def edition_new(request: Request, user=Depends(admin_only)):
    values = {"retention_months": "3", "max_ballots_per_contact": "1", "pool_max_choices": "1"}
    required = ["first_name", "last_name", "address", "phone"]
    return await _edition_new_page(request, values=values, required=required)


@router.post("/staff/editions")
async def edition_create(
    request: Request,
    db: DbSession,
    user: StaffUser = Depends(admin_only),
):
    required = await form_list(request, "required_fields")
    return await _submitted(
        request,
        lambda form: setup.edition_create(
            session=db, actor_id=user.id, form=form, required_fields=required
        ),
        partial(_edition_new_page, request, required=required),
        lambda edition: f"/staff/editions/{edition.slug}",
    )


def _edition_values(edition) -> dict[str, str]:
    values = {name: getattr(edition, name) for name in setup.EDITION_TEXT_FIELDS if name != "slug"}
    for name in setup.EDITION_TIMES:
        values[name] = getattr(edition, name).astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")
    values.update(
        retention_months=str(edition.retention_months),
        max_ballots_per_contact=str(edition.max_ballots_per_contact),
        confirmation_channel=edition.confirmation_channel,
        district_limited_to_area="1" if edition.district_limited_to_area else "",
        vote_type=edition.vote_type,
        publish_demographics="1" if edition.publish_demographics else "",
    )
    return values


async def _edition_page(
    request, db, slug, *, values=None, required=None, errors=None, status_code=200
):
    edition = await editions.edition_get(session=db, slug=slug)
    context = _edition_form_context(
        values or _edition_values(edition),
        edition.required_fields if required is None else required,
        errors or {},
    )
    context.update(
        pools=await editions_repository.pools_of(db, edition.id),
        project_count=len(await editions_repository.projects_search(db, edition.id)),
        street_count=len(await editions_repository.streets_of(db, edition.id)),
    )
    return await _section_page(
        request, edition, "edition", "rules", context, status_code=status_code
    )


@router.get("/staff/editions/{slug}")
async def edition_page(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    return await _edition_page(request, db, slug)


@router.post("/staff/editions/{slug}")
async def edition_update(
    request: Request,
    slug: str,
    db: DbSession,
    user: StaffUser = Depends(admin_only),
):
    required = await form_list(request, "required_fields")
    return await _submitted(
        request,
        lambda form: setup.edition_rules_update(
            session=db, actor_id=user.id, slug=slug, form=form, required_fields=required
        ),
        partial(_edition_page, request, db, slug, required=required),
        f"/staff/editions/{slug}?saved=1",
    )


# ---- areas and pools ----------------------------------------------------------------


async def _pools_page(request, db, slug, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    pools = await editions_repository.pools_of(db, edition.id)
    context = {
        "areas": await editions_repository.areas_of(db, edition.id),
        "pools": pools,
        "pool_codes": {p.id: p.code for p in pools},
        "percents": {p.id: setup.percent_text(p.min_votes_percent) for p in pools},
        "rules": POOL_RULES,
        "values": values or {"rule": "greedy"},
        "errors": errors or {},
    }
    return await _section_page(request, edition, "pools", "pools", context, status_code=status_code)


@router.get("/staff/editions/{slug}/pools")
async def pools_page(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    return await _pools_page(request, db, slug)


@router.post("/staff/editions/{slug}/areas")
async def area_add(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    return await _submitted(
        request,
        lambda form: setup.area_create(session=db, actor_id=user.id, slug=slug, form=form),
        partial(_pools_page, request, db, slug),
        f"/staff/editions/{slug}/pools",
    )


@router.post("/staff/editions/{slug}/pools")
async def pool_add(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    return await _submitted(
        request,
        lambda form: setup.pool_create(session=db, actor_id=user.id, slug=slug, form=form),
        partial(_pools_page, request, db, slug),
        f"/staff/editions/{slug}/pools",
    )


def _pool_rules_values(pool, pools) -> dict[str, str]:
    codes = {p.id: p.code for p in pools}
    return {
        "rule": pool.rule,
        "min_votes": "" if pool.min_votes is None else str(pool.min_votes),
        "min_votes_percent": setup.percent_text(pool.min_votes_percent),
        "leftover_to": codes.get(pool.leftover_to_pool_id, ""),
        **{name: getattr(pool, name) for name in setup.MES_OPTION_FIELDS},
    }


async def _pool_page(request, db, slug, pool_id, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    pool = await editions.pool_get(session=db, edition=edition, pool_id=pool_id)
    pools = await editions_repository.pools_of(db, edition.id)
    context = {
        "pool": pool,
        "pools": pools,
        "rules": POOL_RULES,
        "values": values or _pool_rules_values(pool, pools),
        "errors": errors or {},
    }
    return await _section_page(request, edition, "pool", "pools", context, status_code=status_code)


@router.get("/staff/editions/{slug}/pools/{pool_id}")
async def pool_page(
    request: Request,
    slug: str,
    pool_id: int,
    db: DbSession,
    user=Depends(admin_only),
):
    return await _pool_page(request, db, slug, pool_id)


@router.post("/staff/editions/{slug}/pools/{pool_id}")
async def pool_rules_change(
    request: Request,
    slug: str,
    pool_id: int,
    db: DbSession,
    user=Depends(admin_only),
):
    return await _submitted(
        request,
        lambda form: setup.pool_rules_change(
            session=db, actor_id=user.id, slug=slug, pool_id=pool_id, form=form
        ),
        partial(_pool_page, request, db, slug, pool_id),
        f"/staff/editions/{slug}/pools?saved=1",
    )


# ---- projects and streets -----------------------------------------------------------


async def _projects_page(request, db, slug, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    pools = await editions_repository.pools_of(db, edition.id)
    context = {
        "pools": pools,
        "pool_codes": {p.id: p.code for p in pools},
        "areas": await editions_repository.areas_of(db, edition.id),
        "projects": await editions_repository.projects_search(db, edition.id),
        "values": values or {},
        "errors": errors or {},
    }
    return await _section_page(
        request, edition, "projects", "projects", context, status_code=status_code
    )


@router.get("/staff/editions/{slug}/projects")
async def projects_page(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    return await _projects_page(request, db, slug)


@router.post("/staff/editions/{slug}/projects")
async def project_add(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    return await _submitted(
        request,
        lambda form: setup.project_create(session=db, actor_id=user.id, slug=slug, form=form),
        partial(_projects_page, request, db, slug),
        f"/staff/editions/{slug}/projects",
    )


@router.get("/staff/editions/{slug}/streets")
async def streets_page(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    edition = await editions.edition_get(session=db, slug=slug)
    context = {
        "areas": {a.id: a for a in await editions_repository.areas_of(db, edition.id)},
        "streets": await editions_repository.streets_of(db, edition.id),
    }
    return await _section_page(request, edition, "streets", "streets", context)


def _kind_ensure(kind: str) -> str:
    if kind not in seeding.CSV_KINDS:
        raise NotFound()
    return kind


async def _import_page(request, db, slug, kind, *, preview=None, text="", errors=None, code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    context = {"kind": kind, "preview": preview, "text": text, "errors": errors or {}}
    return await _section_page(request, edition, "import", kind, context, status_code=code)


@router.get("/staff/editions/{slug}/import/{kind}")
async def import_page(
    request: Request,
    slug: str,
    kind: str,
    db: DbSession,
    user=Depends(admin_only),
):
    return await _import_page(request, db, slug, _kind_ensure(kind))


@router.post("/staff/editions/{slug}/import/{kind}/preview")
async def import_preview(
    request: Request,
    slug: str,
    kind: str,
    db: DbSession,
    user=Depends(admin_only),
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
    request: Request,
    slug: str,
    kind: str,
    db: DbSession,
    user=Depends(admin_only),
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
    context = {"versions": versions, "values": values or {}, "errors": errors or {}}
    return await _section_page(
        request, edition, "clause", "clause", context, status_code=status_code
    )


@router.get("/staff/editions/{slug}/clause")
async def clause_page(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    return await _clause_page(request, db, slug)


@router.post("/staff/editions/{slug}/clause")
async def clause_publish(request: Request, slug: str, db: DbSession, user=Depends(admin_only)):
    return await _submitted(
        request,
        lambda form: setup.clause_publish(session=db, actor_id=user.id, slug=slug, form=form),
        partial(_clause_page, request, db, slug),
        f"/staff/editions/{slug}/clause",
    )
