"""Public results of an edition, from its published run only: the page, and the open data
(JSON payload, CSV of projects, pabulib `.pb` per pool)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.context import DbSession
from urna.core.views import render
from urna.editions import service as editions
from urna.results import display, files
from urna.results import service as results
from urna.results.repository import FileInfo

router = APIRouter()
DIGEST = "^[0-9a-fA-F]{64}$"


# The address of the current file: the office may publish again, so ask again after a
# minute (304 while the digest is the same). By digest: the bytes never change.
CACHE_CURRENT = "public, max-age=60, must-revalidate"
CACHE_BY_DIGEST = "public, max-age=31536000, immutable"


async def _send(
    request: Request, db: AsyncSession, slug: str, file: FileInfo, cache_control: str
) -> Response:
    """The stored file with its digest as a strong ETag; 304 without its bytes when the
    browser already has it."""
    filename = files.download_filename(slug, file.name)
    headers = {
        "ETag": f'"{file.sha256}"',
        "Cache-Control": cache_control,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    if files.etag_matches(request.headers.get("if-none-match"), file.sha256):
        return Response(status_code=304, headers=headers)
    content = await files.file_content(session=db, file=file)
    return Response(content, media_type=file.media_type, headers=headers)


async def _download(request: Request, db: AsyncSession, slug: str, name: str) -> Response:
    edition = await editions.edition_get(session=db, slug=slug)
    file = await files.file_get(session=db, edition=edition, name=name)
    return await _send(request, db, slug, file, CACHE_CURRENT)


@router.get("/e/{slug}/results")
async def results_page(request: Request, slug: str, db: DbSession):
    edition = await editions.edition_get(session=db, slug=slug)
    run = await results.run_published(session=db, edition=edition)
    context = {"edition": edition, "phase": editions.edition_phase(edition)}
    return await render(request, "results/results.html", context | display.results_context(run))


@router.get("/e/{slug}/results.json")
async def results_json(request: Request, slug: str, db: DbSession):
    return await _download(request, db, slug, files.JSON_NAME)


@router.get("/e/{slug}/results.csv")
async def results_csv(request: Request, slug: str, db: DbSession):
    return await _download(request, db, slug, files.CSV_NAME)


@router.get("/e/{slug}/results.pb")
async def results_pabulib(request: Request, slug: str, db: DbSession, pool: str | None = None):
    edition = await editions.edition_get(session=db, slug=slug)
    if pool is None:  # the first pool, as the results list them
        pool = await editions.pool_first_code(session=db, edition=edition)
    name = files.pabulib_name(pool, edition.publish_demographics)
    file = await files.file_get(session=db, edition=edition, name=name)
    return await _send(request, db, slug, file, CACHE_CURRENT)


@router.get("/e/{slug}/results/files/{sha256}")
async def results_file_by_digest(
    request: Request, slug: str, db: DbSession, sha256: Annotated[str, Path(pattern=DIGEST)]
):
    edition = await editions.edition_get(session=db, slug=slug)
    file = await files.file_by_sha256(session=db, edition=edition, sha256=sha256)
    return await _send(request, db, slug, file, CACHE_BY_DIGEST)
