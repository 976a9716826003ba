"""Queries of versioned documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from urna.privacy.models import PolicyDocument
from urna.voting.models import Ballot, PaperEntry, Voter


def _scope(kind: str, edition_id: int | None):
    edition_clause = (
        PolicyDocument.edition_id.is_(None)
        if edition_id is None
        else PolicyDocument.edition_id == edition_id
    )
    return (PolicyDocument.kind == kind, edition_clause)


async def document_latest(
    session: AsyncSession, kind: str, edition_id: int | None
) -> PolicyDocument | None:
    result = await session.execute(
        select(PolicyDocument)
        .where(*_scope(kind, edition_id))
        .order_by(PolicyDocument.version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def document_versions(
    session: AsyncSession, kind: str, edition_id: int | None
) -> Sequence[PolicyDocument]:
    result = await session.execute(
        select(PolicyDocument)
        .where(*_scope(kind, edition_id))
        .order_by(PolicyDocument.version.desc())
    )
    return result.scalars().all()


async def document_next_version(session: AsyncSession, kind: str, edition_id: int | None) -> int:
    result = await session.execute(
        select(func.coalesce(func.max(PolicyDocument.version), 0)).where(*_scope(kind, edition_id))
    )
    return int(result.scalar_one()) + 1


async def document_by_id(session: AsyncSession, document_id: int) -> PolicyDocument | None:
    return await session.get(PolicyDocument, document_id)


# ---- retention ---------------------------------------------------------------------------


async def identities_purge(session: AsyncSession, edition_id: int, now: datetime) -> int:
    """Drop every identity datum of an edition's voters (idempotent); ballots stay, anonymous."""
    result = await session.execute(
        update(Voter)
        .where(Voter.edition_id == edition_id, Voter.purged_at.is_(None))
        .values(
            identity_enc=None,
            identity_key=None,
            contact_key=None,
            pesel_key=None,
            guardian_role=None,
            address_key=None,
            guardian_key=None,
            lookup_key=None,
            birth_order=None,
            purged_at=now,
        )
    )
    return result.rowcount or 0


async def paper_entries_purge(session: AsyncSession, edition_id: int) -> int:
    result = await session.execute(
        update(PaperEntry)
        .where(PaperEntry.edition_id == edition_id, PaperEntry.data_enc.is_not(None))
        .values(data_enc=None)
    )
    return result.rowcount or 0


async def ballot_traces_purge(session: AsyncSession, edition_id: int) -> int:
    """The ballot's technical traces (address, browser) go with the identities."""
    result = await session.execute(
        update(Ballot)
        .where(
            Ballot.edition_id == edition_id,
            or_(Ballot.ip.is_not(None), Ballot.user_agent.is_not(None)),
        )
        .values(ip=None, user_agent=None)
    )
    return result.rowcount or 0
