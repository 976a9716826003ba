"""What every step of the vote's views shares: the edition from the snapshot cache, where
this browser is in its vote, the unit of work of the steps that write, the request's facts
a ballot keeps, and the one-time notices a step leaves for the page it redirects to."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.context import AppContext, get_ctx
from urna.core.db import transaction
from urna.core.sessions import Session, SessionUnavailable, session_trail
from urna.core.views import client_ip, request_id
from urna.editions import service as editions
from urna.editions.models import Edition
from urna.editions.service import EditionSnapshot
from urna.voting import ballots
from urna.voting.state import VoteFinished, VoteState, receipt_of


def vote_state(request: Request, edition: Edition) -> VoteState:
    session: Session = request.state.session
    if not session.available:  # the store is down: an outage (503), not a broken flow
        raise SessionUnavailable("the unfinished ballot cannot be read")
    data = session.get("vote")
    if data is None and receipt_of(session, edition.slug):
        raise VoteFinished(edition.slug)
    return VoteState.load(data, edition=edition.slug)


async def snapshot_of(
    request: Request, db: AsyncSession | None, slug: str, *, streets: bool = False
) -> EditionSnapshot:
    """The edition from the app's snapshot cache (no query once voting has opened). The
    steps that write nothing to the database take no ``DbSession`` (``db`` None): a miss
    reads in a unit of work of its own, a hit costs no session."""
    return await editions.edition_snapshot_cached(request, db, slug, streets=streets)


async def progress(
    request: Request, db: AsyncSession | None, slug: str, *, streets: bool = False
) -> tuple[EditionSnapshot, Edition, VoteState]:
    """The edition as the vote sees it, and where this browser is in its vote (out of
    order when it has not begun voting in this edition)."""
    snapshot = await snapshot_of(request, db, slug, streets=streets)
    return snapshot, snapshot.edition, vote_state(request, snapshot.edition)


def unit(request: Request) -> AbstractAsyncContextManager[AsyncSession]:
    """The request's unit of work (``core.db.transaction``: committed when the block ends,
    rolled back when it raises, before the response), entered by the steps that write:
    resolving FastAPI's generator dependency (``DbSession``) cost more than the session."""
    return transaction(get_ctx(request).db)


def state_save(request: Request, state: VoteState) -> None:
    request.state.session["vote"] = state.dump()


def request_meta(request: Request, ctx: AppContext) -> ballots.RequestMeta:
    session: Session = request.state.session
    return ballots.RequestMeta(
        request_id=request_id(request),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        # the session's trail name, as its request-log rows carry it (stable across
        # the id rotation at identity confirmation): ballot → logs → the whole trail
        session_hash=session_trail(session, ctx.crypto.session_hash),
    )


# ---- one-time notices (post → redirect → get) -----------------------------------------


def notice_put(session: Session, key: str, value: Any) -> None:
    """What a POST did, for the page its 303 leads to (shown once: a reload, or the page
    opened later, no longer says it)."""
    session[key] = value


def notice_take(session: Session, key: str) -> Any:
    """The notice left under ``key`` (None: none), forgotten as it is read. A page with
    none writes nothing to the session."""
    if not session.available or session.get(key) is None:
        return None
    return session.pop(key)
