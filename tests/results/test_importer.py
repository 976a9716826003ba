"""The pabulib import composes the domains: the editions service creates the edition with
its checks, voting's bulk insert writes the ballots with ids from the database, and a
refused file leaves nothing behind."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories.editions import edition_create
from urna.core.db import transaction, utcnow
from urna.core.errors import AppError
from urna.editions import repository as editions_repository
from urna.results.importer import ImportRefused, edition_import_pabulib
from urna.results.pabulib import PbInstance, PbProject, PbVote
from urna.results.pabulib_write import pabulib_write
from urna.voting.models import Ballot, BallotChoice
from urna.voting.repository import BulkBallot, ballots_insert_bulk

pytestmark = pytest.mark.flow


def election(**meta: str) -> PbInstance:
    return PbInstance(
        meta={
            "description": "Testowo 2027",
            "unit": "Testowo",
            "budget": "100",
            "vote_type": "approval",
            "rule": "greedy",
            **meta,
        },
        projects=[PbProject("1", 60, "Ławki"), PbProject("2", 50, "Drzewa")],
        votes=[
            PbVote("a", ("1", "2"), voting_method="internet"),
            PbVote("b", ("2",), voting_method="paper"),
        ],
        vote_columns=("voter_id", "vote", "voting_method"),
    )


def written(tmp_path: Path, instance: PbInstance) -> Path:
    path = tmp_path / f"{uuid.uuid4().hex}.pb"
    pabulib_write(instance, path)
    return path


def bulk_ballot(receipt: str, project_ids: list[int]) -> BulkBallot:
    return BulkBallot(
        receipt_hash=receipt,
        channel="online",
        submitted_at=utcnow(),
        status="counted",
        area_id=None,
        age_band="",
        sex="",
        choices=[(project_id, 1) for project_id in project_ids],
    )


async def _import(app, path: Path, slug: str):
    async with transaction(app.state.ctx.db) as session:
        return await edition_import_pabulib(session=session, path=path, slug=slug)


async def _edition_count(app, slug: str) -> int:
    async with app.state.ctx.db() as session:
        return int(await editions_repository.edition_by_slug(session, slug) is not None)


async def test_an_import_creates_the_edition_through_the_editions_service(app, tmp_path):
    slug = f"imp-{uuid.uuid4().hex[:8]}"
    summary = await _import(app, written(tmp_path, election(district="Śródmieście")), slug)
    assert (summary.projects, summary.ballots, summary.choices) == (2, 2, 3)
    async with app.state.ctx.db() as session:
        [pool] = await editions_repository.pools_of(session, summary.edition.id)
        [area] = await editions_repository.areas_of(session, summary.edition.id)
        ballots = (
            (await session.execute(select(Ballot).where(Ballot.edition_id == summary.edition.id)))
            .scalars()
            .all()
        )
        channels = sorted(ballot.channel for ballot in ballots)
    assert (pool.code, pool.kind, pool.area_id) == ("main", "district", area.id)
    assert pool.budget == 100 * 100
    assert (area.code, area.name) == ("srodmiescie", "Śródmieście")
    assert channels == ["online", "paper"]
    # receipts nobody holds, stored as a cast's are (a keyed hash: 64 hex digits), each its own
    receipts = {ballot.receipt_hash for ballot in ballots}
    assert len(receipts) == 2 and all(re.fullmatch("[0-9a-f]{64}", r) for r in receipts)

    with pytest.raises(AppError) as taken:  # the editions service's own check
        await _import(app, written(tmp_path, election()), slug)
    assert "already exists" in str(taken.value)


async def test_a_file_the_edition_checks_refuse_leaves_nothing(app, tmp_path):
    slug = f"imp-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ImportRefused) as refused:  # max_length below min_length
        await _import(app, written(tmp_path, election(min_length="2", max_length="1")), slug)
    assert "does not describe a valid edition" in str(refused.value)
    assert "META min_length, max_length: The most projects" in str(refused.value)
    with pytest.raises(ImportRefused):
        await _import(app, written(tmp_path, election()), "Not An Address")

    unknown = election()
    unknown.votes.append(PbVote("c", ("9",)))
    with pytest.raises(ImportRefused) as refused:
        await _import(app, written(tmp_path, unknown), slug)
    assert "unknown project 9" in str(refused.value)
    assert await _edition_count(app, slug) == 0  # the edition went with the refused ballots


async def test_the_bulk_insert_takes_ids_from_the_database_and_pools_from_projects(app):
    edition = await edition_create(app)
    other = await edition_create(app)
    async with app.state.ctx.db() as session:
        projects = {p.number: p for p in await editions_repository.projects_of(session, edition.id)}
        foreign = (await editions_repository.projects_of(session, other.id))[0]

    def ballot(*numbers: str, receipt: str) -> BulkBallot:
        return bulk_ballot(receipt, [projects[number].id for number in numbers])

    async with transaction(app.state.ctx.db) as session:
        highest = (await session.execute(select(func.max(Ballot.id)))).scalar() or 0
        written = await ballots_insert_bulk(
            session,
            edition_id=edition.id,
            ballots=[ballot("C1", "N1", receipt="a" * 64), ballot("C2", receipt="b" * 64)],
        )
    assert written == 2
    async with app.state.ctx.db() as session:
        rows = (
            await session.execute(
                select(
                    Ballot.id, Ballot.receipt_hash, BallotChoice.project_id, BallotChoice.pool_id
                )
                .join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
                .where(Ballot.edition_id == edition.id)
                .order_by(Ballot.id, BallotChoice.project_id)
            )
        ).all()
    ids = sorted({row.id for row in rows})
    assert len(ids) == 2 and ids[0] > highest
    by_receipt = {}
    for row in rows:
        by_receipt.setdefault(row.receipt_hash, set()).add((row.project_id, row.pool_id))
    assert by_receipt == {
        "a" * 64: {(projects[n].id, projects[n].pool_id) for n in ("C1", "N1")},
        "b" * 64: {(projects["C2"].id, projects["C2"].pool_id)},
    }

    with pytest.raises(ValueError, match="not in edition"):
        async with transaction(app.state.ctx.db) as session:
            await ballots_insert_bulk(
                session, edition_id=edition.id, ballots=[bulk_ballot("c" * 64, [foreign.id])]
            )
