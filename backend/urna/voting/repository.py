"""Queries and writes of the voting domain: the cast (one statement on PostgreSQL), the bulk
write of imported ballots, paper entries and the purge of identities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import DriverStatement, driver_connection, driver_fetchval, is_postgres
from urna.core.dbbatch import statement_batch
from urna.editions.models import Project
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


_CAST_SQL = """
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
_CAST_PG = text(_CAST_SQL)
_CAST_DRIVER = DriverStatement.of(_CAST_SQL)  # the online cast's, on asyncpg


async def ballot_insert(session: AsyncSession, row: BallotRow, *, autocommit: bool) -> int | None:
    """Insert voter, ballot and choices; IntegrityError on any UNIQUE conflict, with the
    caller's unit of work left as it was.

    On PostgreSQL one statement; otherwise three in a SAVEPOINT. The statement runs in a
    SAVEPOINT of the session's transaction too, except with ``autocommit`` (the online
    cast): when the unit has begun no transaction, it joins the concurrent casts of this
    process in one transaction (``core.dbbatch``: a refusal is still only this ballot's)
    and returns None, the id not read back; when it has, it goes straight to asyncpg in a
    SAVEPOINT (``core.db.driver_fetchval``). Either way durable when this call returns,
    or at the caller's commit.
    """
    values = dict(vars(row))
    del values["choices"]
    if is_postgres(session):
        values["project_ids"] = [project for project, _ in row.choices]
        values["pool_ids"] = [pool for _, pool in row.choices]
        if autocommit:
            if not session.in_transaction():
                await statement_batch(session.bind, _CAST_DRIVER).run(values)
                return None
            return await driver_fetchval(session, _CAST_DRIVER, values)
        async with session.begin_nested():
            return (await session.execute(_CAST_PG, values)).scalar_one()
    async with session.begin_nested():
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


# ---- bulk (imports) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkBallot:
    """An anonymous ballot as an importer has it: no voter, a receipt nobody holds."""

    receipt_hash: str
    channel: str
    submitted_at: datetime
    status: str
    area_id: int | None
    age_band: str
    sex: str
    choices: list[tuple[int, int]]  # (project id, points)


BULK_BALLOT_COLUMNS = (
    "edition_id",
    "channel",
    "status",
    "receipt_hash",
    "submitted_at",
    "area_id",
    "age_band",
    "sex",
)
BULK_CHOICE_COLUMNS = ("ballot_id", "project_id", "pool_id", "points")
# One array in one row: 90,000 rows through the ORM cost most of a second.
_IDS_RESERVE = text(
    "SELECT array_agg(nextval(pg_get_serial_sequence('ballot', 'id'))) FROM generate_series(1, :n)"
)


async def ballots_insert_bulk(
    session: AsyncSession, *, edition_id: int, ballots: Sequence[BulkBallot]
) -> int:
    """Write many ballots of an edition and their choices in the session's transaction;
    return how many ballots. COPY on PostgreSQL, executemany on SQLite; ids come from the
    database (the ballot sequence, SQLite's rowid), never from max + 1. Each choice goes
    to its project's pool; a project of another edition is a ValueError."""
    if not ballots:
        return 0
    result = await session.execute(
        select(Project.id, Project.pool_id).where(Project.edition_id == edition_id)
    )
    pool_of = {project: pool for project, pool in result.all()}
    unknown = {project for ballot in ballots for project, _ in ballot.choices} - pool_of.keys()
    if unknown:
        raise ValueError(f"projects {sorted(unknown)} are not in edition {edition_id}")
    rows = [
        (edition_id, b.channel, b.status, b.receipt_hash, b.submitted_at, b.area_id)
        + (b.age_band, b.sex)
        for b in ballots
    ]
    if is_postgres(session):
        ids = (await session.execute(_IDS_RESERVE, {"n": len(rows)})).scalar_one()
        raw = await driver_connection(session)
        await raw.copy_records_to_table(
            "ballot",
            records=[(ballot_id, *row) for ballot_id, row in zip(ids, rows, strict=True)],
            columns=("id", *BULK_BALLOT_COLUMNS),
        )
        await raw.copy_records_to_table(
            "ballot_choice",
            records=_choice_rows(ids, ballots, pool_of),
            columns=BULK_CHOICE_COLUMNS,
        )
        # Fresh statistics: without them the planner takes the new rows for none and
        # tallies them with a nested loop and an on-disk sort until autovacuum catches up.
        await session.execute(text("ANALYZE ballot"))
        await session.execute(text("ANALYZE ballot_choice"))
        return len(rows)
    inserted = await session.execute(
        insert(Ballot).returning(Ballot.id, sort_by_parameter_order=True),
        [dict(zip(BULK_BALLOT_COLUMNS, row, strict=True)) for row in rows],
    )
    choices = _choice_rows(inserted.scalars().all(), ballots, pool_of)
    if choices:
        await session.execute(
            insert(BallotChoice),
            [dict(zip(BULK_CHOICE_COLUMNS, choice, strict=True)) for choice in choices],
        )
    return len(rows)


def _choice_rows(
    ids: Sequence[int], ballots: Sequence[BulkBallot], pool_of: dict[int, int]
) -> list[tuple[int, int, int, int]]:
    return [
        (ballot_id, project_id, pool_of[project_id], points)
        for ballot_id, ballot in zip(ids, ballots, strict=True)
        for project_id, points in ballot.choices
    ]


async def ballot_by_receipt(session: AsyncSession, receipt_hash: str) -> Ballot | None:
    result = await session.execute(select(Ballot).where(Ballot.receipt_hash == receipt_hash))
    return result.scalar_one_or_none()


async def contact_ballot_count(session: AsyncSession, edition_id: int, contact_key: str) -> int:
    """How many ballots of the edition were cast with this contact (its slots in use)."""
    return await session.scalar(
        select(func.count())
        .select_from(Voter)
        .where(Voter.edition_id == edition_id, Voter.contact_key == contact_key)
    )


async def voter_exists(
    session: AsyncSession,
    edition_id: int,
    *,
    identity_key: str | None,
    pesel_key: str | None,
    other_than: int | None = None,
) -> bool:
    """Whether a voter of the edition, other than the voter ``other_than``, has either key."""
    keys = []
    if identity_key:
        keys.append(Voter.identity_key == identity_key)
    if pesel_key:
        keys.append(Voter.pesel_key == pesel_key)
    if not keys:
        return False
    query = select(Voter.id).where(Voter.edition_id == edition_id, or_(*keys))
    if other_than is not None:
        query = query.where(Voter.id != other_than)
    return (await session.execute(query.limit(1))).first() is not None


async def voter_rewrite(session: AsyncSession, voter_id: int, values: dict) -> None:
    """Replace a voter's identity columns (a correction); IntegrityError on a UNIQUE
    conflict, with the caller's unit of work left as it was (a SAVEPOINT)."""
    async with session.begin_nested():
        await session.execute(update(Voter).where(Voter.id == voter_id).values(**values))


async def voters_identity_purge(session: AsyncSession, edition_id: int, now: datetime) -> int:
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
    """The ballot's technical traces (address, browser) go with the identities, and so do
    its request id and session hash: they lead to its requests in the request log, which
    keeps addresses by a policy of its own (``request_log_keep_days``, none by default)."""
    result = await session.execute(
        update(Ballot)
        .where(
            Ballot.edition_id == edition_id,
            or_(
                Ballot.ip.is_not(None),
                Ballot.user_agent.is_not(None),
                Ballot.request_id.is_not(None),
                Ballot.session_hash.is_not(None),
            ),
        )
        .values(ip=None, user_agent=None, request_id=None, session_hash=None)
    )
    return result.rowcount or 0
