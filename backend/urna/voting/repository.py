"""Queries and writes of the voting domain; the cast is one statement on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import is_postgres
from urna.voting.models import Ballot, BallotChoice, PaperEntry, Voter


@dataclass(frozen=True)
class BallotRow:
    """Everything one ballot writes: the voter, the ballot and its choices."""

    edition_id: int
    identity_key: str | None
    contact_key: str | None
    contact_slot: int
    pesel_key: str | None
    identity_enc: bytes | None
    area_id: int | None
    age_band: str
    guardian_role: str | None
    clause_id: int
    channel: str
    receipt_hash: str
    submitted_at: datetime
    request_id: str | None
    ip: str | None
    user_agent: str | None
    session_hash: str | None
    choices: tuple[tuple[int, int], ...]  # (project_id, pool_id)
    # voting.fraud_keys, for the fraud signals
    address_key: str | None = None
    guardian_key: str | None = None
    lookup_key: str | None = None
    birth_order: int | None = None


_CAST_PG = text(
    """
    WITH v AS (
      INSERT INTO voter (edition_id, identity_key, contact_key, contact_slot, pesel_key,
                         identity_enc, guardian_role, clause_id, created_at,
                         address_key, guardian_key, lookup_key, birth_order)
      VALUES (:edition_id, :identity_key, :contact_key, :contact_slot, :pesel_key,
              :identity_enc, :guardian_role, :clause_id, :submitted_at,
              :address_key, :guardian_key, :lookup_key, :birth_order)
      RETURNING id
    ), b AS (
      INSERT INTO ballot (edition_id, voter_id, channel, status, receipt_hash, submitted_at,
                          request_id, ip, user_agent, session_hash, area_id, age_band)
      SELECT :edition_id, v.id, :channel, 'counted', :receipt_hash, :submitted_at,
             :request_id, :ip, :user_agent, :session_hash, :area_id, :age_band FROM v
      RETURNING id
    ), c AS (
      INSERT INTO ballot_choice (ballot_id, project_id, pool_id)
      SELECT b.id, ch.project_id, ch.pool_id
      FROM b, unnest(CAST(:project_ids AS integer[]), CAST(:pool_ids AS integer[]))
           AS ch(project_id, pool_id)
      RETURNING 1
    )
    SELECT id FROM b
    """
)


async def ballot_insert(
    session: AsyncSession, row: BallotRow, *, in_transaction: bool = False
) -> int:
    """Insert voter, ballot and choices, committed; IntegrityError on any UNIQUE conflict.

    On SQLite the three inserts run in the session's transaction, committed by the caller.
    ``in_transaction`` does the same on PostgreSQL (the one statement joins the session's
    transaction), for a caller that writes more in the same unit of work (paper ballots).
    """
    values = {k: getattr(row, k) for k in row.__dataclass_fields__ if k != "choices"}
    if is_postgres(session):
        values["project_ids"] = [project for project, _ in row.choices]
        values["pool_ids"] = [pool for _, pool in row.choices]
        if in_transaction:
            return (await session.execute(_CAST_PG, values)).scalar_one()
        # One statement is atomic by itself: run it in autocommit, so the vote costs one
        # round trip (no BEGIN/COMMIT) and is durable when this call returns.
        # Give the session's connection back first (it may hold one from reading the
        # edition): a request holding one connection while waiting for a second would
        # deadlock the pool under a burst of casts.
        await session.close()
        async with session.bind.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            return (await autocommit.execute(_CAST_PG, values)).scalar_one()
    voter_fields = {k: values[k] for k in Voter.model_fields if k in values}
    voter_fields["created_at"] = row.submitted_at
    voter_id = (
        await session.execute(insert(Voter).values(**voter_fields).returning(Voter.id))
    ).scalar_one()
    ballot_fields = {k: values[k] for k in Ballot.model_fields if k in values}
    ballot_id = (
        await session.execute(
            insert(Ballot)
            .values(voter_id=voter_id, status="counted", **ballot_fields)
            .returning(Ballot.id)
        )
    ).scalar_one()
    await session.execute(
        insert(BallotChoice),
        [{"ballot_id": ballot_id, "project_id": p, "pool_id": pool} for p, pool in row.choices],
    )
    return ballot_id


async def ballot_by_receipt(session: AsyncSession, receipt_hash: str) -> Ballot | None:
    result = await session.execute(select(Ballot).where(Ballot.receipt_hash == receipt_hash))
    return result.scalar_one_or_none()


async def voter_exists(
    session: AsyncSession, edition_id: int, *, identity_key: str | None, pesel_key: str | None
) -> bool:
    keys = []
    if identity_key:
        keys.append(Voter.identity_key == identity_key)
    if pesel_key:
        keys.append(Voter.pesel_key == pesel_key)
    if not keys:
        return False
    result = await session.execute(
        select(Voter.id).where(Voter.edition_id == edition_id, or_(*keys)).limit(1)
    )
    return result.first() is not None


# ---- paper ballots ------------------------------------------------------------------


async def paper_entry_get(session: AsyncSession, entry_id: int) -> PaperEntry | None:
    return await session.get(PaperEntry, entry_id)


async def paper_sheet_exists(session: AsyncSession, edition_id: int, sheet: str) -> bool:
    result = await session.execute(
        select(PaperEntry.id)
        .where(PaperEntry.edition_id == edition_id, PaperEntry.sheet == sheet)
        .limit(1)
    )
    return result.first() is not None


async def paper_entries(
    session: AsyncSession,
    edition_id: int,
    *,
    kind: str = "first",
    status: str | None = None,
    sheet: str | None = None,
    limit: int = 200,
) -> Sequence[PaperEntry]:
    query = select(PaperEntry).where(PaperEntry.edition_id == edition_id, PaperEntry.kind == kind)
    if status is not None:
        query = query.where(PaperEntry.status == status)
    if sheet is not None:
        query = query.where(PaperEntry.sheet == sheet)
    result = await session.execute(query.order_by(PaperEntry.id.desc()).limit(limit))
    return result.scalars().all()


async def paper_subtotal_rows(
    session: AsyncSession, edition_id: int
) -> list[tuple[str, date, str, int]]:
    """(collection point, day, status, sheets) over the sheets (first entries)."""
    result = await session.execute(
        select(
            PaperEntry.collection_point,
            PaperEntry.collected_on,
            PaperEntry.status,
            func.count(),
        )
        .where(PaperEntry.edition_id == edition_id, PaperEntry.kind == "first")
        .group_by(PaperEntry.collection_point, PaperEntry.collected_on, PaperEntry.status)
        .order_by(PaperEntry.collection_point, PaperEntry.collected_on)
    )
    return [(row[0], row[1], row[2], int(row[3])) for row in result.all()]


async def paper_points(session: AsyncSession, edition_id: int) -> list[str]:
    result = await session.execute(
        select(PaperEntry.collection_point)
        .where(PaperEntry.edition_id == edition_id)
        .distinct()
        .order_by(PaperEntry.collection_point)
    )
    return list(result.scalars().all())
