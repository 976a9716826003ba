"""Queries over the outbox: claim a batch, then mark each message sent or failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from urna.notify.models import OutboxMessage

T = OutboxMessage.__table__.c
MAX_ATTEMPTS = 5


async def messages_claim(
    session: AsyncSession, *, now: datetime, stale_before: datetime, limit: int
) -> Sequence[OutboxMessage]:
    """Mark up to ``limit`` unsent messages as claimed at ``now`` and return them.

    One statement: on PostgreSQL the rows are locked with SKIP LOCKED (two workers never
    take the same message); SQLite runs one writer at a time. A claim older than
    ``stale_before`` belongs to a worker that died while sending: it is taken again."""
    pending = (
        select(T.id)
        .where(
            T.sent_at.is_(None),
            T.attempts < MAX_ATTEMPTS,
            or_(T.claimed_at.is_(None), T.claimed_at < stale_before),
        )
        .order_by(T.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(OutboxMessage)
        .where(T.id.in_(pending.scalar_subquery()))
        .values(claimed_at=now)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).scalars().all()


async def message_mark_sent(session: AsyncSession, *, message_id: int, now: datetime) -> None:
    """Sent: the payload (recipient, text) is wiped; the row stays as a count."""
    await session.execute(
        update(OutboxMessage)
        .where(T.id == message_id)
        .values(sent_at=now, payload_enc=None, claimed_at=None, attempts=T.attempts + 1)
        .execution_options(synchronize_session=False)
    )


async def message_mark_failed(
    session: AsyncSession, *, message_id: int, claimed_at: datetime, error: str
) -> None:
    """Failed: released for the next round, unless another worker has claimed it since."""
    await session.execute(
        update(OutboxMessage)
        .where(T.id == message_id, T.claimed_at == claimed_at)
        .values(claimed_at=None, attempts=T.attempts + 1, last_error=error[:300])
        .execution_options(synchronize_session=False)
    )


async def payloads_expire(session: AsyncSession, *, before: datetime) -> int:
    """Wipe the payloads of messages that will never be sent (attempts used up) or are
    older than ``before`` (a code long expired): the outbox archives no personal data."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            T.payload_enc.is_not(None),
            or_(T.attempts >= MAX_ATTEMPTS, T.created_at < before),
        )
        .values(payload_enc=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
