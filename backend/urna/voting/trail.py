"""Staff console: the request trail of a ballot (netadmin, verifier, admin).

The ballot knows its session's trail name (the salted session hash its request-log rows
carry) and the id of the request that cast it; the request logs, below the domains, are
read with those values and never look a ballot up themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from urna.core.access import LogReader
from urna.core.context import DbSession
from urna.core.errors import NotFound
from urna.core.views import render
from urna.requestlog import service as requestlog
from urna.voting.models import Ballot

router = APIRouter()
# An id outside the column's range is a bad address (400), not a database error.
BallotId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/staff/logs/ballot/{ballot_id}")
async def ballot_trail_page(request: Request, ballot_id: BallotId, db: DbSession, staff: LogReader):
    ballot = await db.get(Ballot, ballot_id)
    if ballot is None:
        raise NotFound()
    rows = await requestlog.trail_read(
        session=db,
        actor_id=staff.id,
        target=f"ballot:{ballot_id}",
        session_hash=ballot.session_hash,
        request_id=ballot.request_id,
    )
    context = {
        "session_hash": ballot.session_hash or "",
        "ballot": ballot,
        "rows": [requestlog.row_view(row) for row in rows],
    }
    return await render(request, "requestlog/trail.html", context, personal=True)
