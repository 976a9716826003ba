"""Queries of the results domain: the tally (counted ballots only), turnout, runs, draws."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import is_postgres
from urna.results.models import ResultFile, ResultRun, TieDraw
from urna.voting.models import Ballot, BallotChoice, PaperEntry

COUNTED = "counted"


@dataclass(frozen=True, slots=True)
class ProjectTally:
    votes: int  # counted ballots that chose the project
    points: int  # the sum of their points (= votes for approval ballots)


async def project_tallies(session: AsyncSession, edition_id: int) -> dict[int, ProjectTally]:
    """Project id -> votes and points over the edition's counted ballots, one GROUP BY."""
    result = await session.execute(
        select(BallotChoice.project_id, func.count(), func.sum(BallotChoice.points))
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.edition_id == edition_id, Ballot.status == COUNTED)
        .group_by(BallotChoice.project_id)
    )
    return {row[0]: ProjectTally(int(row[1]), int(row[2])) for row in result.all()}


async def pool_voter_counts(session: AsyncSession, edition_id: int) -> dict[int, int]:
    """Pool id -> counted ballots with at least one choice in the pool (the pool's voters)."""
    # GROUP BY (ballot, pool) then count: a hash aggregate, where count(DISTINCT) sorts.
    pairs = (
        select(BallotChoice.ballot_id, BallotChoice.pool_id)
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.edition_id == edition_id, Ballot.status == COUNTED)
        .group_by(BallotChoice.ballot_id, BallotChoice.pool_id)
        .subquery()
    )
    result = await session.execute(select(pairs.c.pool_id, func.count()).group_by(pairs.c.pool_id))
    return {row[0]: int(row[1]) for row in result.all()}


# The pool fixes the edition; "no ballot that is not counted" lets PostgreSQL anti-join the
# few uncounted ballots instead of joining every ballot (Łódź 2022: 0.25 s instead of 0.45 s).
_APPROVAL_CLASSES_PG = text(
    """
    SELECT projects, count(*) FROM (
      SELECT array_agg(bc.project_id) AS projects
      FROM ballot_choice bc
      WHERE bc.pool_id = :pool_id AND NOT EXISTS (
        SELECT 1 FROM ballot b WHERE b.id = bc.ballot_id AND b.status <> 'counted'
      )
      GROUP BY bc.ballot_id
    ) AS ballots GROUP BY projects
    """
)
_APPROVAL_CLASSES_SQLITE = text(
    """
    SELECT group_concat(bc.project_id) FROM ballot_choice bc JOIN ballot b ON b.id = bc.ballot_id
    WHERE b.edition_id = :edition_id AND b.status = 'counted' AND bc.pool_id = :pool_id
    GROUP BY bc.ballot_id
    """
)


async def approval_classes(
    session: AsyncSession, edition_id: int, pool_id: int
) -> Counter[frozenset[int]]:
    """Each distinct set of projects approved in the pool -> how many counted ballots hold it.

    Equal shares needs every ballot's approval set, not only the sums; identical ballots
    are grouped by the database so that a city's 90,000 ballots arrive as a few thousand rows.
    """
    values = {"edition_id": edition_id, "pool_id": pool_id}
    if is_postgres(session):
        # Unsorted arrays (sorting each one costs more than it saves): the same set may come
        # in several orders, so the counts are added up per set.
        classes: Counter[frozenset[int]] = Counter()
        pool = {"pool_id": pool_id}
        for projects, count in (await session.execute(_APPROVAL_CLASSES_PG, pool)).all():
            classes[frozenset(projects)] += int(count)
        return classes
    rows = (await session.execute(_APPROVAL_CLASSES_SQLITE, values)).scalars().all()
    return Counter(frozenset(int(part) for part in row.split(",")) for row in rows)


async def ballot_status_counts(session: AsyncSession, edition_id: int) -> dict[str, int]:
    result = await session.execute(
        select(Ballot.status, func.count())
        .where(Ballot.edition_id == edition_id)
        .group_by(Ballot.status)
    )
    return {row[0]: int(row[1]) for row in result.all()}


async def turnout_rows(
    session: AsyncSession, edition_id: int, column: str
) -> list[tuple[object, int]]:
    """(value, counted ballots) grouped by a ballot column: area_id, age_band, sex, channel."""
    attribute = getattr(Ballot, column)
    result = await session.execute(
        select(attribute, func.count())
        .where(Ballot.edition_id == edition_id, Ballot.status == COUNTED)
        .group_by(attribute)
    )
    return [(row[0], int(row[1])) for row in result.all()]


async def paper_invalid_count(session: AsyncSession, edition_id: int) -> int:
    """Paper sheets recorded as invalid (spoiled, unreadable): never ballots, counted here
    for the published protocol."""
    result = await session.execute(
        select(func.count()).where(
            PaperEntry.edition_id == edition_id,
            PaperEntry.kind == "first",
            PaperEntry.status == "invalid",
        )
    )
    return int(result.scalar_one())


async def turnout_by_hour(session: AsyncSession, edition_id: int) -> list[tuple[datetime, int]]:
    """(UTC hour, counted ballots): the caller folds hours into local days."""
    if is_postgres(session):
        hour = func.date_trunc("hour", Ballot.submitted_at)
    else:
        hour = func.strftime("%Y-%m-%d %H:00:00", Ballot.submitted_at)
    result = await session.execute(
        select(hour, func.count())
        .where(Ballot.edition_id == edition_id, Ballot.status == COUNTED)
        .group_by(hour)
    )
    rows = []
    for value, count in result.all():
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        rows.append((value, int(count)))
    return rows


async def counted_ballot_choices(
    session: AsyncSession, edition_id: int
) -> list[tuple[int, str, str, int, int]]:
    """(ballot id, age band, sex, project id, points) of every counted ballot, in ballot order.

    The open-data export numbers ballots by this order; ballot ids themselves never leave."""
    result = await session.execute(
        select(Ballot.id, Ballot.age_band, Ballot.sex, BallotChoice.project_id, BallotChoice.points)
        .join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .where(Ballot.edition_id == edition_id, Ballot.status == COUNTED)
        .order_by(Ballot.id, BallotChoice.points.desc(), BallotChoice.project_id)
    )
    return [tuple(row) for row in result.all()]  # type: ignore[misc]


# ---- result runs -----------------------------------------------------------------------


async def run_get(session: AsyncSession, run_id: int) -> ResultRun | None:
    return await session.get(ResultRun, run_id)


async def run_published(session: AsyncSession, edition_id: int) -> ResultRun | None:
    result = await session.execute(
        select(ResultRun).where(ResultRun.edition_id == edition_id, ResultRun.status == "published")
    )
    return result.scalar_one_or_none()


async def runs_of(session: AsyncSession, edition_id: int, limit: int = 20) -> Sequence[ResultRun]:
    result = await session.execute(
        select(ResultRun)
        .where(ResultRun.edition_id == edition_id)
        .order_by(ResultRun.id.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def runs_withdraw_published(session: AsyncSession, edition_id: int) -> None:
    await session.execute(
        update(ResultRun)
        .where(ResultRun.edition_id == edition_id, ResultRun.status == "published")
        .values(status="withdrawn")
    )


async def runs_withdrawn_files_delete(session: AsyncSession, edition_id: int) -> None:
    """The open-data files of the edition's withdrawn runs: no longer served, so not kept."""
    withdrawn = select(ResultRun.id).where(
        ResultRun.edition_id == edition_id, ResultRun.status == "withdrawn"
    )
    await session.execute(delete(ResultFile).where(ResultFile.run_id.in_(withdrawn)))


# ---- open-data files of the published run ----------------------------------------------


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A stored file without its bytes: enough to answer a conditional request."""

    id: int
    name: str
    media_type: str
    sha256: str
    size: int


_FILE_INFO = (
    ResultFile.id,
    ResultFile.name,
    ResultFile.media_type,
    ResultFile.sha256,
    ResultFile.size,
)


async def _file_of_published_run(
    session: AsyncSession, edition_id: int, *where: Any
) -> FileInfo | None:
    """A file of the edition's published run that matches ``where`` (no bytes read)."""
    result = await session.execute(
        select(*_FILE_INFO)
        .join(ResultRun, ResultRun.id == ResultFile.run_id)
        .where(ResultRun.edition_id == edition_id, ResultRun.status == "published", *where)
        .limit(1)
    )
    row = result.first()
    return FileInfo(*row) if row is not None else None


async def file_published(session: AsyncSession, edition_id: int, name: str) -> FileInfo | None:
    """The file ``name`` of the edition's published run (one indexed query, no bytes)."""
    return await _file_of_published_run(session, edition_id, ResultFile.name == name)


async def file_by_sha256(session: AsyncSession, edition_id: int, sha256: str) -> FileInfo | None:
    """A file of the edition's published run by its digest (the address that never changes)."""
    return await _file_of_published_run(session, edition_id, ResultFile.sha256 == sha256)


async def file_content(session: AsyncSession, file_id: int) -> bytes:
    result = await session.execute(select(ResultFile.content).where(ResultFile.id == file_id))
    return result.scalar_one()


# ---- tie draws ---------------------------------------------------------------------------


async def draws_of(session: AsyncSession, edition_id: int) -> dict[int, TieDraw]:
    result = await session.execute(select(TieDraw).where(TieDraw.edition_id == edition_id))
    return {draw.pool_id: draw for draw in result.scalars().all()}
