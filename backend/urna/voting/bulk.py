"""Many ballots at once, for an import of a past election: no voters (nobody identified
themselves), every ballot with its choices, ids from the database.

On PostgreSQL ballots and choices go in by COPY (ids taken from the ballot sequence
beforehand); elsewhere by batched INSERT … RETURNING. Either way in the caller's unit of
work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import is_postgres
from urna.editions.models import Project
from urna.voting.models import Ballot, BallotChoice

BALLOT_COLUMNS = (
    "edition_id",
    "channel",
    "status",
    "receipt_hash",
    "submitted_at",
    "area_id",
    "age_band",
    "sex",
)
CHOICE_COLUMNS = ("ballot_id", "project_id", "pool_id", "points")
BATCH = 5000


@dataclass(frozen=True, slots=True)
class BulkBallot:
    receipt_hash: str
    channel: str  # online or paper
    submitted_at: datetime
    status: str  # counted, under_review or invalid
    area_id: int | None
    age_band: str
    sex: str  # "", "F" or "M"
    choices: list[tuple[int, int]]  # (project id, points)


async def ballots_insert_bulk(
    session: AsyncSession, *, edition_id: int, ballots: Sequence[BulkBallot]
) -> int:
    """Insert ``ballots`` of the edition with their choices; returns how many ballots.

    Each choice's pool is its project's; a project of another edition is refused."""
    pool_of = dict(
        (
            await session.execute(
                select(Project.id, Project.pool_id).where(Project.edition_id == edition_id)
            )
        ).all()
    )
    unknown = {p for ballot in ballots for p, _ in ballot.choices if p not in pool_of}
    if unknown:
        raise ValueError(f"projects {sorted(unknown)} are not in edition {edition_id}")
    rows = [
        (
            edition_id,
            ballot.channel,
            ballot.status,
            ballot.receipt_hash,
            ballot.submitted_at,
            ballot.area_id,
            ballot.age_band,
            ballot.sex,
        )
        for ballot in ballots
    ]
    if is_postgres(session):
        ids = await _ballots_copy(session, rows)
        await _choices_copy(session, _choice_rows(ids, ballots, pool_of))
    else:
        ids = await _ballots_insert(session, rows)
        await _choices_insert(session, _choice_rows(ids, ballots, pool_of))
    return len(ids)


def _choice_rows(
    ids: list[int], ballots: Sequence[BulkBallot], pool_of: dict[int, int]
) -> list[tuple[int, int, int, int]]:
    return [
        (ballot_id, project_id, pool_of[project_id], points)
        for ballot_id, ballot in zip(ids, ballots, strict=True)
        for project_id, points in ballot.choices
    ]


async def _driver_connection(session: AsyncSession):
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def _ballots_copy(session: AsyncSession, rows: list[tuple]) -> list[int]:
    ids = list(
        (
            await session.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('ballot', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(rows)},
            )
        ).scalars()
    )
    raw = await _driver_connection(session)
    await raw.copy_records_to_table(
        "ballot",
        records=[(ballot_id, *row) for ballot_id, row in zip(ids, rows, strict=True)],
        columns=("id", *BALLOT_COLUMNS),
    )
    return ids


async def _ballots_insert(session: AsyncSession, rows: list[tuple]) -> list[int]:
    statement = insert(Ballot).returning(Ballot.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        result = await session.execute(
            statement, [dict(zip(BALLOT_COLUMNS, row, strict=True)) for row in chunk]
        )
        ids.extend(result.scalars())
    return ids


async def _choices_copy(session: AsyncSession, rows: list[tuple[int, int, int, int]]) -> None:
    raw = await _driver_connection(session)
    await raw.copy_records_to_table("ballot_choice", records=rows, columns=CHOICE_COLUMNS)
    # Fresh statistics: without them the planner takes the new rows for none and tallies
    # them with a nested loop and an on-disk sort until autovacuum catches up.
    await session.execute(text("ANALYZE ballot"))
    await session.execute(text("ANALYZE ballot_choice"))


async def _choices_insert(session: AsyncSession, rows: list[tuple[int, int, int, int]]) -> None:
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        await session.execute(
            insert(BallotChoice), [dict(zip(CHOICE_COLUMNS, row, strict=True)) for row in chunk]
        )
