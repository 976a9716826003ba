"""The edition setup screens of the staff console (admin): the list of editions, a new
edition, its rules, areas and pools (with the rule each pool picks its winners by), its
projects and its street register.

The CSV imports of projects and streets are in ``editions.console_imports``; the JSON
import of a whole edition and the information clause publish privacy's documents, so
they are in ``privacy.console``. Each form is parsed by its schema (``editions.forms``):
refused, the page comes back with the values and a message per field (400), and nothing
is stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from urna.core.access import AdminUser
from urna.core.context import DbSession
from urna.core.db import utcnow
from urna.core.errors import FormInvalid
from urna.core.forms import form_openapi, form_parse
from urna.core.i18n import LOCAL_ZONE
from urna.core.views import form_list, form_values, render, see_other
from urna.editions import projects, repository
from urna.editions import service as editions
from urna.editions.forms import (
    AreaForm,
    EditionForm,
    EditionNewForm,
    PoolForm,
    PoolRulesForm,
    ProjectForm,
)
from urna.editions.models import IDENTITY_FIELDS, POOL_RULES, VOTE_TYPES, Edition, Pool
from urna.editions.snapshot import EditionsChanged

MES_OPTION_FIELDS = ("mes_completion", "mes_add1_stop", "mes_add1_start", "mes_comparison")
# every change made here is announced to the snapshot caches of all processes
router = APIRouter(dependencies=[EditionsChanged])


async def submitted(
    request: Request,
    change: Callable[[dict[str, str]], Awaitable[Any]],
    page: Callable[..., Awaitable[Response]],
    done: str | Callable[[Any], str],
) -> Response:
    """The shape of every setup form: ``change`` parses and saves the posted values;
    refused (``FormInvalid``), ``page`` shows the form again with them and the errors
    (400); saved, the browser goes to ``done`` (or ``done(what change returned)``)."""
    values = await form_values(request)
    try:
        result = await change(values)
    except FormInvalid as error:
        return await page(values=values, errors=error.errors, status_code=400)
    return see_other(done(result) if callable(done) else done)


async def section_page(
    request: Request,
    edition: Edition,
    template: str,
    section: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> Response:
    """A page of an edition's setup (``editions/console/<template>.html``), ``section``
    marked in the edition's menu."""
    return await render(
        request,
        f"editions/console/{template}.html",
        {"edition": edition, "phase": editions.edition_phase(edition), "section": section}
        | context,
        status_code=status_code,
    )


def percent_text(value: Decimal | None) -> str:
    """A percentage as the office writes it: ``2,5``, ``5`` (not ``5.00``)."""
    return "" if value is None else f"{value.normalize():f}".replace(".", ",")


# ---- editions -----------------------------------------------------------------------


async def editions_page_render(request, db, *, errors=None, status_code=200) -> Response:
    """The list of editions (with the JSON import's errors, ``privacy.console``)."""
    items = await editions.editions_list(session=db)
    context = {
        "editions": items,
        "phases": {e.id: editions.edition_phase(e) for e in items},
        "errors": errors or {},
    }
    return await render(request, "editions/console/editions.html", context, status_code=status_code)


@router.get("/staff/editions")
async def editions_page(request: Request, db: DbSession, user: AdminUser):
    return await editions_page_render(request, db)


def _edition_form_context(values, required, errors) -> dict[str, Any]:
    return {
        "values": values,
        "required": set(required),
        "identity_fields": IDENTITY_FIELDS,
        "vote_types": VOTE_TYPES,
        "errors": errors,
    }


async def _edition_new_page(request, *, values, required, errors=None, status_code=200):
    context = _edition_form_context(values, required, errors or {})
    return await render(
        request, "editions/console/edition_new.html", context, status_code=status_code
    )


@router.get("/staff/editions/new")
async def edition_new(request: Request, user: AdminUser):
    values = {"retention_months": "3", "max_ballots_per_contact": "1", "pool_max_choices": "1"}
    required = ["first_name", "last_name", "address", "phone"]
    return await _edition_new_page(request, values=values, required=required)


@router.post("/staff/editions", openapi_extra=form_openapi(EditionNewForm))
async def edition_create(request: Request, db: DbSession, user: AdminUser):
    required = await form_list(request, "required_fields")

    async def create(values: dict[str, str]) -> Edition:
        form = form_parse(EditionNewForm, {**values, "required_fields": required})
        form.opening_check(utcnow())
        return await editions.edition_create(session=db, data=form.as_input(), actor_id=user.id)

    return await submitted(
        request,
        create,
        partial(_edition_new_page, request, required=required),
        lambda edition: f"/staff/editions/{edition.slug}",
    )


def _edition_values(edition: Edition) -> dict[str, str]:
    """An edition's rules as its form shows them (times in Warsaw)."""
    values = {name: getattr(edition, name) for name in ("name", "description", "description_en")}
    for name in ("voting_opens_at", "voting_closes_at", "results_at"):
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


async def edition_page_render(
    request, db, slug, *, values=None, required=None, extension=None, errors=None, status_code=200
):
    """An edition's rules page: its form before voting opens; afterwards the rules as
    words and the form that extends voting (``extension``: its posted values)."""
    edition = await editions.edition_get(session=db, slug=slug)
    context = _edition_form_context(
        values or _edition_values(edition),
        edition.required_fields if required is None else required,
        errors or {},
    )
    context.update(
        pools=await repository.pools_of(db, edition.id),
        project_count=len(await repository.projects_of(db, edition.id)),
        street_count=len(await repository.street_register_of(db, edition.id)),
        extension=extension or {},
        extensions=await repository.extensions_of(db, edition.id),
    )
    return await section_page(
        request, edition, "edition", "rules", context, status_code=status_code
    )


@router.get("/staff/editions/{slug}")
async def edition_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await edition_page_render(request, db, slug)


@router.post("/staff/editions/{slug}", openapi_extra=form_openapi(EditionForm))
async def edition_update(request: Request, slug: str, db: DbSession, user: AdminUser):
    required = await form_list(request, "required_fields")

    async def update(values: dict[str, str]) -> None:
        form = form_parse(EditionForm, {**values, "required_fields": required})
        edition = await editions.edition_get(session=db, slug=slug)
        form.opening_check(utcnow(), opened_at=edition.voting_opens_at)
        await editions.edition_update(
            session=db, edition=edition, changes=form.changes(), actor_id=user.id
        )

    return await submitted(
        request,
        update,
        partial(edition_page_render, request, db, slug, required=required),
        f"/staff/editions/{slug}?saved=1",
    )


# ---- areas and pools ----------------------------------------------------------------


async def _pools_page(request, db, slug, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    pools = await repository.pools_of(db, edition.id)
    context = {
        "areas": await repository.areas_of(db, edition.id),
        "pools": pools,
        "pool_codes": {p.id: p.code for p in pools},
        "percents": {p.id: percent_text(p.min_votes_percent) for p in pools},
        "rules": POOL_RULES,
        "values": values or {"rule": "greedy"},
        "errors": errors or {},
    }
    return await section_page(request, edition, "pools", "pools", context, status_code=status_code)


@router.get("/staff/editions/{slug}/pools")
async def pools_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _pools_page(request, db, slug)


async def _edition_form(request, db, slug, user, *, form, change, page, done, prefix=""):
    """A form that adds to an edition's setup: parsed by ``form``, applied by the service's
    ``change`` (for the edition, by the staff member), shown again by ``page`` if refused
    (the service's field errors named with ``prefix`` when the form's fields carry one)."""

    async def apply(values: dict[str, str]) -> None:
        data = form_parse(form, values).as_input()
        edition = await editions.edition_get(session=db, slug=slug)
        try:
            await change(session=db, edition=edition, data=data, actor_id=user.id)
        except FormInvalid as error:
            raise FormInvalid({prefix + k: v for k, v in error.errors.items()}) from error

    return await submitted(request, apply, partial(page, request, db, slug), done)


@router.post("/staff/editions/{slug}/areas", openapi_extra=form_openapi(AreaForm))
async def area_create(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _edition_form(
        request,
        db,
        slug,
        user,
        form=AreaForm,
        change=editions.area_create,
        page=_pools_page,
        done=f"/staff/editions/{slug}/pools",
        prefix="area_",  # it shares the page with pools
    )


@router.post("/staff/editions/{slug}/pools", openapi_extra=form_openapi(PoolForm))
async def pool_create(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _edition_form(
        request,
        db,
        slug,
        user,
        form=PoolForm,
        change=editions.pool_create,
        page=_pools_page,
        done=f"/staff/editions/{slug}/pools",
    )


def _pool_rules_values(pool: Pool, pools: list[Pool]) -> dict[str, str]:
    codes = {p.id: p.code for p in pools}
    return {
        "rule": pool.rule,
        "min_votes": "" if pool.min_votes is None else str(pool.min_votes),
        "min_votes_percent": percent_text(pool.min_votes_percent),
        "leftover_to": codes.get(pool.leftover_to_pool_id, ""),
        **{name: getattr(pool, name) for name in MES_OPTION_FIELDS},
    }


async def _pool_page(request, db, slug, pool_id, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    pool = await editions.pool_get(session=db, edition=edition, pool_id=pool_id)
    pools = list(await repository.pools_of(db, edition.id))
    context = {
        "pool": pool,
        "pools": pools,
        "rules": POOL_RULES,
        "values": values or _pool_rules_values(pool, pools),
        "errors": errors or {},
    }
    return await section_page(request, edition, "pool", "pools", context, status_code=status_code)


@router.get("/staff/editions/{slug}/pools/{pool_id}")
async def pool_page(request: Request, slug: str, pool_id: int, db: DbSession, user: AdminUser):
    return await _pool_page(request, db, slug, pool_id)


@router.post("/staff/editions/{slug}/pools/{pool_id}", openapi_extra=form_openapi(PoolRulesForm))
async def pool_rules_update(
    request: Request, slug: str, pool_id: int, db: DbSession, user: AdminUser
):
    async def update(values: dict[str, str]) -> None:
        data = form_parse(PoolRulesForm, values).as_input()
        edition = await editions.edition_get(session=db, slug=slug)
        pool = await editions.pool_get(session=db, edition=edition, pool_id=pool_id)
        await editions.pool_rules_update(
            session=db, edition=edition, pool=pool, data=data, actor_id=user.id
        )

    return await submitted(
        request,
        update,
        partial(_pool_page, request, db, slug, pool_id),
        f"/staff/editions/{slug}/pools?saved=1",
    )


# ---- projects and streets -----------------------------------------------------------


async def _projects_page(request, db, slug, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    pools = await repository.pools_of(db, edition.id)
    budgets = {p.id: p.budget for p in pools}
    rows = await repository.projects_by_pool(db, edition.id)
    context = {
        "pools": pools,
        "pool_codes": {p.id: p.code for p in pools},
        "budgets": budgets,
        "areas": await repository.areas_of(db, edition.id),
        "projects": rows,
        # accepted (an office may still lower the cost), but no rule can ever fund them
        "over_budget": {p.id for p in rows if p.cost > budgets[p.pool_id]},
        "values": values or {},
        "errors": errors or {},
    }
    return await section_page(
        request, edition, "projects", "projects", context, status_code=status_code
    )


@router.get("/staff/editions/{slug}/projects")
async def projects_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _projects_page(request, db, slug)


@router.post("/staff/editions/{slug}/projects", openapi_extra=form_openapi(ProjectForm))
async def project_create(request: Request, slug: str, db: DbSession, user: AdminUser):
    return await _edition_form(
        request,
        db,
        slug,
        user,
        form=ProjectForm,
        change=projects.project_create,
        page=_projects_page,
        done=f"/staff/editions/{slug}/projects",
    )


@router.get("/staff/editions/{slug}/streets")
async def streets_page(request: Request, slug: str, db: DbSession, user: AdminUser):
    edition = await editions.edition_get(session=db, slug=slug)
    context = {
        "areas": {a.id: a for a in await repository.areas_of(db, edition.id)},
        "streets": await repository.streets_of(db, edition.id),
        "ranges": await repository.street_ranges_of(db, edition.id),  # of split streets
    }
    return await section_page(request, edition, "streets", "streets", context)
