"""Counted (or other) ballots written straight into an edition, for the results tests."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.db import transaction, utcnow
from urna.editions import repository as editions_repository
from urna.editions.models import Edition, Project
from urna.voting.models import Ballot, BallotChoice


async def ballot_add(
    session: AsyncSession,
    projects: Mapping[str, Project],
    numbers: Sequence[str],
    *,
    channel: str = "online",
    status: str = "counted",
) -> int:
    """One ballot choosing the projects ``numbers`` (aged 25-34, F); its id."""
    ballot = Ballot(
        edition_id=projects[numbers[0]].edition_id,
        channel=channel,
        status=status,
        receipt_hash=secrets.token_hex(32),
        submitted_at=utcnow(),
        age_band="25-34",
        sex="F",
    )
    session.add(ballot)
    await session.flush()
    for number in numbers:
        project = projects[number]
        session.add(
            BallotChoice(ballot_id=ballot.id, project_id=project.id, pool_id=project.pool_id)
        )
    return ballot.id


async def ballots_add(app, edition: Edition, choices: Sequence[Sequence[str]]) -> list[int]:
    """Counted ballots choosing the given project numbers (one list per ballot), committed."""
    async with transaction(app.state.ctx.db) as session:
        projects = {p.number: p for p in await editions_repository.projects_of(session, edition.id)}
        return [await ballot_add(session, projects, numbers) for numbers in choices]
