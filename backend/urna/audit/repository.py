"""Queries of the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.audit.actions import ACTION_LABELS
from urna.core.audit import HEAD_ID, AuditEvent, AuditHead


async def head_get(session: AsyncSession) -> AuditHead | None:
    result = await session.execute(
        select(AuditHead.last_event_id, AuditHead.last_hash).where(AuditHead.id == HEAD_ID)
    )
    row = result.one_or_none()
    return AuditHead(id=HEAD_ID, last_event_id=row[0], last_hash=row[1]) if row else None


async def events_after(
    session: AsyncSession, after_id: int, *, up_to: int, limit: int
) -> Sequence[AuditEvent]:
    result = await session.execute(
        select(AuditEvent)
        .where(AuditEvent.id > after_id, AuditEvent.id <= up_to)
        .order_by(AuditEvent.id)
        .limit(limit)
    )
    events = result.scalars().all()
    for event in events:
        session.expunge(event)  # a long verification must not grow the identity map
    return events


async def events_beyond(session: AsyncSession, event_id: int) -> int | None:
    result = await session.execute(
        select(AuditEvent.id).where(AuditEvent.id > event_id).order_by(AuditEvent.id).limit(1)
    )
    return result.scalar_one_or_none()


async def events_search(
    session: AsyncSession,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEvent]:
    query = select(AuditEvent)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action:  # a named action alone ("Logged in" is not "Login failed"), else a prefix
        if action in ACTION_LABELS:
            query = query.where(AuditEvent.action == action)
        else:
            query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if target:
        query = query.where(AuditEvent.target.contains(target, autoescape=True))
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    result = await session.execute(query.order_by(AuditEvent.id.desc()).limit(limit))
    return result.scalars().all()


async def actions_distinct(session: AsyncSession) -> list[str]:
    result = await session.execute(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return list(result.scalars().all())
