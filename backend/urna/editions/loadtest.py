"""Load-test mode only (``URNA_LOADTEST_MODE``, refused in production): the editions a
resident can vote in online now, for the generator of ``loadtests/readiness`` when the
operator names none (``make loadtest`` without ``EDITION``)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from urna.core.context import DbSession
from urna.editions import service

router = APIRouter()


@router.get("/_loadtest/editions", include_in_schema=False)
async def loadtest_editions(db: DbSession) -> JSONResponse:
    """``{"voting": [{"slug", "name"}]}``: open now, with the online (approval) ballot."""
    voting = [
        {"slug": edition.slug, "name": edition.name}
        for edition in await service.editions_list(session=db)
        if service.edition_phase(edition) == "open" and edition.vote_type == "approval"
    ]
    return JSONResponse({"voting": voting}, headers={"Cache-Control": "no-store"})
