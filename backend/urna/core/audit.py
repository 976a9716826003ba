"""The audit trail every staff action writes to: append-only events, each carrying the
hash of the one before it, so an edited, removed or reordered event breaks the chain there.

Infrastructure like the database: every domain appends here (``audit_append``) inside its
own unit of work. Reading, searching and verifying the chain is the ``urna.audit`` domain.
``audit_append`` flushes and never commits: the event is written together with the action
it records, or not at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from urna.core.db import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """Who did what, to what, when (UTC) and why.

    Ids are assigned from the chain head, gapless: a missing id is a deleted event. The
    database refuses UPDATE and DELETE on this table (a trigger, from the migrations)."""

    __tablename__ = "audit_event"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    action: str = Field(max_length=60, index=True)
    target: str = Field(default="", max_length=200)
    reason: str = Field(default="", sa_type=Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The single row (id 1) naming the last event: the lock that serialises appends, and
    the witness that no event was cut off the end of the chain."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    last_event_id: int = Field(sa_type=BigInteger)
    last_hash: str = Field(max_length=64)


HEAD_ID = 1


async def head_advance(session: AsyncSession) -> tuple[int, str]:
    """Take the next event id and the previous hash.

    An UPDATE first: it takes the row lock on PostgreSQL (and the write lock on SQLite)
    at once, so concurrent appends queue here until the holder commits; the chain never
    forks."""
    result = await session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(last_event_id=AuditHead.last_event_id + 1)
        .returning(AuditHead.last_event_id, AuditHead.last_hash)
        .execution_options(synchronize_session=False)
    )
    row = result.one_or_none()
    if row is None:
        raise RuntimeError("the audit chain head is missing; run the migrations")
    return int(row[0]), str(row[1])


async def head_seal(session: AsyncSession, event_id: int, event_hash: str) -> None:
    await session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID, AuditHead.last_event_id == event_id)
        .values(last_hash=event_hash)
        .execution_options(synchronize_session=False)
    )


def _canonical(details: dict[str, Any] | None) -> dict[str, Any]:
    # What the database gives back must hash like what was written: plain JSON values.
    return json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))


def event_hash(
    *,
    event_id: int,
    occurred_at: datetime,
    actor_id: int | None,
    action: str,
    target: str,
    reason: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [
            event_id,
            occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            actor_id,
            action,
            target,
            reason,
            details,
            prev_hash,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def hash_of(event: AuditEvent) -> str:
    return event_hash(
        event_id=event.id,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        action=event.action,
        target=event.target,
        reason=event.reason,
        details=event.details or {},
        prev_hash=event.prev_hash,
    )


async def audit_append(
    *,
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    target: str = "",
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (flushed, not committed).

    The chain head stays locked until the caller commits or rolls back, so keep the
    append near the end of the unit of work."""
    event_id, prev_hash = await head_advance(session)
    event = AuditEvent(
        id=event_id,
        occurred_at=utcnow(),
        actor_id=actor_id,
        action=action[:60],
        target=target[:200],
        reason=reason,
        details=_canonical(details),
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = hash_of(event)
    session.add(event)
    await session.flush()
    await head_seal(session, event_id, event.hash)
    return event
