"""Open data of a published run: the payload as JSON, one CSV row per project, and a
pabulib `.pb` file per pool with the anonymous counted ballots.

Ballots leave numbered 1..n in a random permutation fixed when the run was published
(`ResultRun.ballot_order_seed`, never public), never in ballot order, never with their
database ids or times; their age band and sex only when the edition publishes demographics."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.csvcells import CsvCells
from urna.core.errors import NotFound
from urna.core.i18n import LOCAL_ZONE
from urna.core.money import GROSZE_PER_ZLOTY
from urna.editions import repository as editions_repository
from urna.editions.models import Edition
from urna.results import repository
from urna.results.models import ResultRun
from urna.results.pabulib import PbInstance, PbProject, PbVote
from urna.results.pabulib_meta import mes_options_of, rule_meta
from urna.results.pabulib_write import pabulib_dumps
from urna.results.schemas import EditionFacts, PoolResult, ResultsPayload

CSV_COLUMNS = ("pool", "number", "title", "cost_pln", "votes", "points", "funded", "outcome")


def zloty(grosze: int) -> str:
    """``123450`` -> ``1234.50``: a number any spreadsheet or script reads."""
    return f"{grosze // GROSZE_PER_ZLOTY}.{grosze % GROSZE_PER_ZLOTY:02d}"


def file_amount(grosze: int) -> int | Decimal:
    """Grosze as a `.pb` file writes złoty: ``100``, or ``100.50`` when not whole."""
    if grosze % GROSZE_PER_ZLOTY == 0:
        return grosze // GROSZE_PER_ZLOTY
    return Decimal(zloty(grosze))


def results_csv(run: ResultRun) -> str:
    """One row per project of every pool, in ranking order; cells never evaluate."""
    document = CsvCells()
    document.row(CSV_COLUMNS)
    for pool in ResultsPayload.model_validate(run.payload).pools:
        for row in pool.projects:
            document.row(
                (
                    pool.code,
                    row.number,
                    row.title,
                    zloty(row.cost),
                    row.votes,
                    row.points,
                    int(row.funded),
                    row.outcome,
                )
            )
    return document.text()


def ballots_unchanged(statuses: dict[str, int], run: ResultRun) -> bool:
    """Whether ballots by status (``repository.ballot_status_counts``) are those ``run``
    was computed from."""
    when_computed = ResultsPayload.model_validate(run.payload).ballots
    return statuses == {status: count for status, count in when_computed.items() if count}


def _pool_of(payload: ResultsPayload, code: str | None) -> PoolResult:
    if code is None:
        pool = payload.pools[0] if payload.pools else None
    else:
        pool = payload.pool(code)
    if pool is None:
        raise NotFound()
    return pool


async def results_pabulib(
    *, session: AsyncSession, edition: Edition, run: ResultRun, pool_code: str | None
) -> tuple[str, str]:
    """(pool code, text of the `.pb` file) for one pool of ``run`` (the first by default),
    read from the ballots now: what `opendata_build` stores once at publication."""
    payload = ResultsPayload.model_validate(run.payload)
    pool = _pool_of(payload, pool_code)
    reader = await BallotReader.read(session, edition)
    return pool.code, reader.pabulib_text(payload, pool, run, edition.publish_demographics)


@dataclass
class BallotReader:
    """The counted ballots of an edition, read once, split by pool for its `.pb` files."""

    pool_ids: dict[str, int]
    numbers: dict[int, tuple[int, str]]  # project id -> (pool id, number)
    rows: list[tuple[int, str, str, int, int]]

    @classmethod
    async def read(cls, session: AsyncSession, edition: Edition) -> BallotReader:
        pools = await editions_repository.pools_of(session, edition.id)
        projects = await editions_repository.projects_of(session, edition.id)
        rows = await repository.counted_ballot_choices(session, edition.id)
        return cls(
            pool_ids={pool.code: pool.id for pool in pools},
            numbers={project.id: (project.pool_id, project.number) for project in projects},
            rows=rows,
        )

    def pabulib_text(
        self, payload: ResultsPayload, pool: PoolResult, run: ResultRun, public_demographics: bool
    ) -> str:
        pool_id = self.pool_ids.get(pool.code)
        ballots: dict[int, list[tuple[str, int]]] = defaultdict(list)
        demographics: dict[int, tuple[str, str]] = {}
        for ballot_id, age_band, sex, project_id, points in self.rows:
            found = self.numbers.get(project_id)
            if found is not None and found[0] == pool_id:
                ballots[ballot_id].append((found[1], points))
                demographics[ballot_id] = (age_band, sex)
        return _pabulib_dumps(payload, pool, run, ballots, demographics, public_demographics)


def _pabulib_dumps(
    payload: ResultsPayload,
    pool: PoolResult,
    run: ResultRun,
    ballots: dict[int, list[tuple[str, int]]],
    demographics: dict[int, tuple[str, str]],
    public_demographics: bool,
) -> str:
    vote_type = payload.edition.vote_type
    with_points = vote_type != "approval"
    votes = []
    for index, ballot_id in enumerate(ballot_order(sorted(ballots), run), start=1):
        choices = ballots[ballot_id]
        age_band, sex = demographics[ballot_id]
        votes.append(
            PbVote(
                voter_id=str(index),
                vote=tuple(number for number, _ in choices),
                points=tuple(points for _, points in choices) if with_points else None,
                sex=(sex or None) if public_demographics else None,
                extra={"age_band": age_band} if public_demographics else {},
            )
        )
    vote_columns = ["voter_id", "vote"]
    if with_points:
        vote_columns.append("points")
    if public_demographics:
        vote_columns += ["age_band", "sex"]
    project_columns = ["project_id", "cost", "name", "votes"]
    if with_points:
        project_columns.append("score")
    project_columns.append("selected")
    instance = PbInstance(
        meta=_meta(payload.edition, pool, len(votes)),
        projects=[
            PbProject(
                project_id=row.number,
                cost=file_amount(row.cost),
                name=row.title,
                selected=row.funded,
                extra={"votes": str(row.votes), "score": str(row.points)},
            )
            for row in pool.projects
        ],
        votes=votes,
        project_columns=tuple(project_columns),
        vote_columns=tuple(vote_columns),
    )
    return pabulib_dumps(instance)


def ballot_order(ballot_ids: list[int], run: ResultRun) -> list[int]:
    """``ballot_ids`` in the run's own random permutation: the same at every download,
    unrelated to ids or times (the seed was drawn at publication and is never published)."""
    if run.ballot_order_seed is None:
        raise NotFound()
    shuffled = list(ballot_ids)
    random.Random(run.ballot_order_seed).shuffle(shuffled)
    return shuffled


def _meta(edition: EditionFacts, pool: PoolResult, num_votes: int) -> dict[str, str]:
    meta = {
        "description": f"{edition.name}: {pool.name}",
        "country": "Poland",
        "unit": edition.municipality,
        "instance": edition.voting_opens_at[:4],
        "num_projects": str(len(pool.projects)),
        "num_votes": str(num_votes),
        # the money the rule shared out: the pool's own and what other pools passed on
        "budget": str(file_amount(pool.budget + pool.received)),
        "vote_type": edition.vote_type,
    }
    meta |= rule_meta(
        rule=pool.rule,
        min_score=pool.threshold,
        mes=mes_options_of(pool.allocation.get("mes_options")),
    )
    if pool.area:
        meta["district"] = pool.area
    meta["date_begin"] = _pabulib_date(edition.voting_opens_at)
    meta["date_end"] = _pabulib_date(edition.voting_closes_at, last_day=True)
    meta["currency"] = "PLN"
    meta["language"] = "pl"
    return meta


def _pabulib_date(iso: str, *, last_day: bool = False) -> str:
    """The local day of an instant, as pabulib writes dates; voting that closes at
    midnight ended the day before."""
    moment = datetime.fromisoformat(iso)
    if last_day:
        moment -= timedelta(microseconds=1)
    return moment.astimezone(LOCAL_ZONE).strftime("%d.%m.%Y")
