"""A project's page in the console (admin): the project itself, changed or deleted until
voting opens (``editions.projects``; the same form as adding one), and its pictures, each
with the text that describes it; and the one change an open edition still takes, a later
closing date with its reason (``editions.extensions``). Like every change to an edition,
each is announced to the snapshot caches of all processes once committed."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from urna.core.access import AdminUser
from urna.core.context import DbSession
from urna.core.errors import FormInvalid, NotFound
from urna.core.forms import form_openapi, form_parse
from urna.core.i18n import N_, Money
from urna.core.views import see_other
from urna.editions import extensions, project_details, projects, repository
from urna.editions import service as editions
from urna.editions.console import edition_page_render, section_page, submitted
from urna.editions.forms import ClosingExtensionForm, ImageForm, LocationForm, ProjectForm
from urna.editions.models import Project
from urna.editions.snapshot import EditionsChanged

DELETE_UNCONFIRMED = N_(
    "The project was not deleted: tick the box to confirm that it is to be deleted."
)
router = APIRouter(dependencies=[EditionsChanged])


def _location_values(project: Project) -> dict[str, str]:
    def degrees(value) -> str:
        return "" if value is None else f"{value:f}".replace(".", ",")

    return {
        "location": project.location,
        "latitude": degrees(project.latitude),
        "longitude": degrees(project.longitude),
    }


def _project_values(project: Project, pool_codes: dict, area_codes: dict) -> dict[str, object]:
    """A project as its form shows it (the cost as the console's tables write it: the form
    reads it back unchanged in either language)."""
    return {
        "number": project.number,
        "pool": pool_codes.get(project.pool_id, ""),
        "title": project.title,
        "description": project.description,
        "cost": Money(project.cost),
        "area": area_codes.get(project.area_id, ""),
        "category": project.category,
        **_location_values(project),
    }


async def _project_page(request, db, slug, number, *, values=None, errors=None, status_code=200):
    edition = await editions.edition_get(session=db, slug=slug)
    project = await project_details.project_find(session=db, edition=edition, number=number)
    pools = await repository.pools_of(db, edition.id)
    areas = await repository.areas_of(db, edition.id)
    shown = _project_values(project, {p.id: p.code for p in pools}, {a.id: a.code for a in areas})
    context = {
        "project": project,
        "pools": pools,
        "areas": areas,
        "images": await project_details.project_images(session=db, project=project),
        "values": shown | (values or {}),
        "errors": errors or {},
    }
    return await section_page(
        request, edition, "project", "projects", context, status_code=status_code
    )


@router.get("/staff/editions/{slug}/projects/{number}")
async def project_page(request: Request, slug: str, number: str, db: DbSession, user: AdminUser):
    return await _project_page(request, db, slug, number)


def _project_url(slug: str, number: str) -> str:
    return f"/staff/editions/{slug}/projects/{quote(number)}?saved=1"


@router.post("/staff/editions/{slug}/projects/{number}", openapi_extra=form_openapi(ProjectForm))
async def project_update(request: Request, slug: str, number: str, db: DbSession, user: AdminUser):
    async def update(values: dict[str, str]) -> Project:
        edition = await editions.edition_get(session=db, slug=slug)
        project = await project_details.project_find(session=db, edition=edition, number=number)
        editions.rules_ensure_editable(edition=edition)  # frozen: that, not the fields
        data = form_parse(ProjectForm, values).as_input()
        return await projects.project_update(
            session=db, edition=edition, project=project, data=data, actor_id=user.id
        )

    page = partial(_project_page, request, db, slug, number)
    return await submitted(
        request, update, page, lambda project: _project_url(slug, project.number)
    )


@router.post(
    "/staff/editions/{slug}/projects/{number}/delete",
    openapi_extra=form_openapi(confirm={"enum": ["yes"]}),
)
async def project_delete(request: Request, slug: str, number: str, db: DbSession, user: AdminUser):
    async def delete(values: dict[str, str]) -> None:
        edition = await editions.edition_get(session=db, slug=slug)
        try:
            project = await project_details.project_find(session=db, edition=edition, number=number)
        except NotFound:  # deleted by the same form sent twice: the list says it is gone
            return
        editions.rules_ensure_editable(edition=edition)
        if values.get("confirm") != "yes":
            raise FormInvalid({"confirm": DELETE_UNCONFIRMED})
        await projects.project_delete(
            session=db, edition=edition, project=project, actor_id=user.id
        )

    page = partial(_project_page, request, db, slug, number)
    return await submitted(
        request, delete, page, f"/staff/editions/{slug}/projects?deleted={quote(number)}"
    )


@router.post(
    "/staff/editions/{slug}/projects/{number}/location", openapi_extra=form_openapi(LocationForm)
)
async def project_location(
    request: Request, slug: str, number: str, db: DbSession, user: AdminUser
):
    async def update(values: dict[str, str]) -> None:
        data = form_parse(LocationForm, values).as_input()
        edition = await editions.edition_get(session=db, slug=slug)
        project = await project_details.project_find(session=db, edition=edition, number=number)
        await project_details.project_location_update(
            session=db, edition=edition, project=project, data=data, actor_id=user.id
        )

    page = partial(_project_page, request, db, slug, number)
    return await submitted(request, update, page, _project_url(slug, number))


@router.post(
    "/staff/editions/{slug}/projects/{number}/images",
    openapi_extra=form_openapi(ImageForm, files=["image"]),
)
async def project_image_add(
    request: Request, slug: str, number: str, db: DbSession, user: AdminUser
) -> Response:
    async def add(values: dict[str, str]) -> None:
        upload = (await request.form()).get("image")
        if not isinstance(upload, UploadFile) or not upload.filename:
            upload = None  # sent without a file: an empty file part (no name), or none
        errors = {"image": project_details.IMAGE_MISSING} if upload is None else {}
        try:
            form = form_parse(ImageForm, values)
        except FormInvalid as error:
            raise FormInvalid(errors | error.errors) from error  # both messages at once
        if upload is None:
            raise FormInvalid(errors)
        raw = await upload.read(project_details.MAX_IMAGE_BYTES + 1)
        edition = await editions.edition_get(session=db, slug=slug)
        project = await project_details.project_find(session=db, edition=edition, number=number)
        await project_details.project_image_add(
            session=db,
            edition=edition,
            project=project,
            raw=raw,
            alt_text=form.alt_text,
            actor_id=user.id,
        )

    page = partial(_project_page, request, db, slug, number)
    return await submitted(request, add, page, _project_url(slug, number))


@router.post(
    "/staff/editions/{slug}/projects/{number}/images/{image_id}/remove",
    openapi_extra=form_openapi(),
)
async def project_image_remove(
    request: Request, slug: str, number: str, image_id: int, db: DbSession, user: AdminUser
):
    edition = await editions.edition_get(session=db, slug=slug)
    project = await project_details.project_find(session=db, edition=edition, number=number)
    await project_details.project_image_remove(
        session=db, edition=edition, project=project, image_id=image_id, actor_id=user.id
    )
    return see_other(_project_url(slug, number))


@router.post("/staff/editions/{slug}/extend", openapi_extra=form_openapi(ClosingExtensionForm))
async def closing_extend(request: Request, slug: str, db: DbSession, user: AdminUser):
    async def extend(values: dict[str, str]) -> None:
        form = form_parse(ClosingExtensionForm, values)
        edition = await editions.edition_get(session=db, slug=slug)
        await extensions.closing_extend(
            session=db,
            edition=edition,
            closes_at=form.voting_closes_at,
            reason=form.reason,
            actor_id=user.id,
        )

    async def page(*, values, errors, status_code):
        return await edition_page_render(
            request, db, slug, extension=values, errors=errors, status_code=status_code
        )

    return await submitted(request, extend, page, f"/staff/editions/{slug}?extended=1")
