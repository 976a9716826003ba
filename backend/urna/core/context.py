"""What the app holds for its lifetime, and the typed request dependencies that hand it out.

    async def page(request: Request, ctx: Ctx, db: DbSession): ...

``DbSession`` is the request's unit of work: it commits when the view returns and rolls
back when it raises, before the response is sent (``scope="function"``), so a page that
says "saved" was saved.

``ReplicaSession`` is for console pages that only read (logs, statistics, case lists,
turnout, result runs, the audit log): a session on the read replica when one is configured
(``URNA_DATABASE_REPLICA_URL``), else on the primary. It may lag the primary by a moment;
never write through it, never decide on what it shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.db import transaction
from urna.core.store import Store
from urna.core.templating import Templates

# Who is logged in to the console, read from the request's staff session: the staff
# domain provides it to the app factory, core only calls it (see ``core.access``).
StaffResolver = Callable[[Request, AsyncSession], Awaitable[Any]]
# The e-mail addresses of staff accounts by id, for console pages that say who did what.
StaffEmails = Callable[[AsyncSession, set[int]], Awaitable[dict[int, str]]]
# Whether an edition's results are published (keywords session=, edition=): the edition
# page links to them, and the results domain sits above editions.
ResultsPublished = Callable[..., Awaitable[bool]]
# Whether the verification team holds a ballot (in a case, or decided): the paper desk
# withdraws none it holds, and verification sits above voting.
BallotReviewed = Callable[[AsyncSession, int], Awaitable[bool]]


@dataclass
class AppContext:
    settings: Settings
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    store: Store
    limits_storage: Storage
    limiter: MovingWindowRateLimiter
    crypto: Crypto
    templates: Templates
    # The read replica's engine and sessions (None: none configured, reads use ``db``).
    replica_engine: AsyncEngine | None = None
    replica_db: async_sessionmaker[AsyncSession] | None = None
    staff_resolver: StaffResolver | None = None
    staff_emails: StaffEmails | None = None
    results_published: ResultsPublished | None = None
    ballot_reviewed: BallotReviewed | None = None
    # Per-app caches (never module globals): each domain keeps its own entry here.
    caches: dict[str, Any] = field(default_factory=dict)
    # Async callables ``(session, edition_id) -> str | None``: a reason (msgid) why an
    # edition's results must not be published yet. Registered by the app factory.
    publish_checks: list = field(default_factory=list)


def get_ctx(request: Request) -> AppContext:
    return request.app.state.ctx


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with transaction(request.app.state.ctx.db) as session:
        yield session


async def get_replica_db(request: Request) -> AsyncIterator[AsyncSession]:
    ctx = request.app.state.ctx
    async with (ctx.replica_db or ctx.db)() as session:
        yield session


async def _ctx(request: Request) -> AppContext:
    # async: FastAPI runs a plain ``def`` dependency in a worker thread, a hop per request
    return get_ctx(request)


Ctx = Annotated[AppContext, Depends(_ctx)]
DbSession = Annotated[AsyncSession, Depends(get_db, scope="function")]
ReplicaSession = Annotated[AsyncSession, Depends(get_replica_db, scope="function")]
