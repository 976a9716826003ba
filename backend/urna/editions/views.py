"""Public pages of an edition: home, edition, catalogue, project."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from urna.core.context import Ctx, DbSession
from urna.core.forms import query_openapi
from urna.core.views import render
from urna.editions import extensions, project_details, service
from urna.editions.service import Snapshots

router = APIRouter()


@router.get("/")
async def home(request: Request, db: DbSession):
    editions = await service.editions_list(session=db)
    phases = {e.id: service.edition_phase(e) for e in editions}
    return await render(request, "home.html", {"editions": editions, "phases": phases})


@router.get("/e/{slug}")
async def edition_page(request: Request, slug: str, db: DbSession, ctx: Ctx, snapshots: Snapshots):
    snapshot = await service.edition_snapshot(session=db, slug=slug, cache=snapshots)
    edition = snapshot.edition
    catalogue = service.catalogue_search(snapshot=snapshot)
    return await render(
        request,
        "editions/edition.html",
        {
            "edition": edition,
            "phase": service.edition_phase(edition),
            "catalogue": catalogue,
            # results are above editions: the app factory hands over their check
            "results_published": await ctx.results_published(session=db, edition=edition),
            "extensions": await extensions.closing_extensions(session=db, edition=edition),
        },
    )


@router.get("/e/{slug}/projects")
async def catalogue(
    request: Request,
    slug: str,
    db: DbSession,
    snapshots: Snapshots,
    pool: str | None = None,
    area: str | None = None,
    category: str | None = None,
    q: str | None = None,
):
    snapshot = await service.edition_snapshot(session=db, slug=slug, cache=snapshots)
    edition = snapshot.edition
    phase = service.edition_phase(edition)
    result = service.catalogue_search(
        snapshot=snapshot, pool_code=pool, area_code=area, category=category, text=q
    )
    return await render(
        request,
        "editions/catalogue.html",
        {
            "edition": edition,
            "phase": phase,
            "catalogue": result,
            "pool_names": {pool.id: pool.name for pool in result.pools},
            "filters": {
                "pool": pool or "",
                "area": area or "",
                "category": category or "",
                "q": q or "",
            },
        },
        block="results",
        # the same page for everyone while the snapshot and its phase last
        shared=snapshot.pages.setdefault(("catalogue", phase), {}),
        # answered before the router while the snapshot is current and the phase holds
        fresh=lambda: snapshots.current(snapshot) and service.edition_phase(edition) == phase,
    )


@router.get(
    "/e/{slug}/projects/{number}", openapi_extra=query_openapi(**{"from": {"enum": ["ballot"]}})
)
async def project_page(
    request: Request,
    slug: str,
    number: str,
    db: DbSession,
    snapshots: Snapshots,
):
    snapshot = await service.edition_snapshot(session=db, slug=slug, cache=snapshots)
    edition = snapshot.edition
    project = service.project_get(snapshot=snapshot, number=number)
    catalogue = service.catalogue_search(snapshot=snapshot)
    return await render(
        request,
        "editions/project.html",
        {
            "edition": edition,
            "phase": service.edition_phase(edition),
            "project": project,
            "pool": next(p for p in catalogue.pools if p.id == project.pool_id),
            "area": next((a for a in catalogue.areas if a.id == project.area_id), None),
            "images": await project_details.project_images(session=db, project=project),
            # come from the ballot: lead back to it (the choices are kept in the session)
            "from_ballot": request.query_params.get("from") == "ballot",
        },
    )


@router.get("/e/{slug}/projects/{number}/images/{image_id}")
async def project_image(request: Request, slug: str, number: str, image_id: int, db: DbSession):
    """A project's picture: public, the same for every resident, kept by caches for a day."""
    edition = await service.edition_get(session=db, slug=slug)
    project = await project_details.project_find(session=db, edition=edition, number=number)
    image = await project_details.project_image_get(session=db, project=project, image_id=image_id)
    return Response(
        image.data, media_type="image/jpeg", headers={"cache-control": "public, max-age=86400"}
    )
