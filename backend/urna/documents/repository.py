"""Queries of versioned documents."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from urna.documents.models import PolicyDocument


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
