"""What the app holds for its lifetime, and the request dependencies that hand it out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Request
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from urna.core.config import Settings
from urna.core.crypto import Crypto
from urna.core.sessions import Session
from urna.core.store import Store
from urna.core.templating import Templates


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


def get_ctx(request: Request) -> AppContext:
    return request.app.state.ctx


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.ctx.db() as session:
        yield session


def get_session(request: Request) -> Session:
    return request.state.session
