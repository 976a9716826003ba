"""Reading the audit trail: verify the whole hash chain, search it, record who verified.

The trail itself and ``audit_append`` live in ``urna.core.audit`` (every domain writes to
it); this domain reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from urna.audit import repository
from urna.core.audit import GENESIS_HASH, AuditEvent, audit_append, hash_of
from urna.core.db import is_postgres, transaction

VERIFY_BATCH = 2000


@dataclass(frozen=True)
class ChainReport:
    events: int
    broken_at: int | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def _snapshot(session: AsyncSession) -> None:
    """Read the head and every event in one snapshot, so appends committed meanwhile do
    not look like tampering."""
    if not session.in_transaction() and is_postgres(session):
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def audit_check(*, session: AsyncSession) -> ChainReport:
    """Walk the whole chain; name the first event that is missing, altered or whose link
    to the previous one does not hold."""
    await _snapshot(session)
    head = await repository.head_get(session)
    if head is None:
        return ChainReport(0, 0, "the chain head is missing")
    expected, prev = 1, GENESIS_HASH
    while True:
        batch = await repository.events_after(
            session, expected - 1, up_to=head.last_event_id, limit=VERIFY_BATCH
        )
        for event in batch:
            if event.id != expected:
                return ChainReport(expected - 1, expected, "event missing")
            if event.prev_hash != prev:
                return ChainReport(expected - 1, event.id, "link to the previous event broken")
            if hash_of(event) != event.hash:
                return ChainReport(expected - 1, event.id, "event altered")
            prev = event.hash
            expected += 1
        if len(batch) < VERIFY_BATCH:
            break
    last = expected - 1
    if last < head.last_event_id:
        return ChainReport(last, last + 1, "events missing at the end of the chain")
    if head.last_hash != prev:
        return ChainReport(last, last, "the last event does not match the chain head")
    beyond = await repository.events_beyond(session, head.last_event_id)
    if beyond is not None:
        return ChainReport(last, beyond, "event outside the chain")
    return ChainReport(last, None)


async def audit_verify_recorded(
    *, factory: async_sessionmaker[AsyncSession], session: AsyncSession, actor_id: int | None
) -> ChainReport:
    """Verify the chain in a snapshot of its own (a unit of work of its own, begun now,
    so appends committed meanwhile do not look like tampering), then record in the
    caller's unit of work who verified it and what was found."""
    async with transaction(factory) as snapshot:
        report = await audit_check(session=snapshot)
    await audit_append(
        session=session,
        actor_id=actor_id,
        action="audit.verify",
        details={"events": report.events, "broken_at": report.broken_at, "problem": report.problem},
    )
    return report


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None


async def audit_search(
    *, session: AsyncSession, filters: AuditFilters, limit: int = 100
) -> Sequence[AuditEvent]:
    return await repository.events_search(
        session,
        actor_id=filters.actor_id,
        action=filters.action,
        target=filters.target,
        since=filters.since,
        until=filters.until,
        before_id=filters.before_id,
        limit=limit,
    )


async def audit_actions(*, session: AsyncSession) -> list[str]:
    return await repository.actions_distinct(session)
