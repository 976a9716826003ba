"""Compute an edition's results from its counted ballots, keep them as runs, publish one.

The computation reads the tally from the database (one GROUP BY; equal shares also reads the
distinct approval sets), applies each pool's rule with its recorded tie draw, moves leftover
money between pools as configured, and freezes everything a results page shows into one
JSON payload whose SHA-256 is published with it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from urna.core import audit
from urna.core.db import utcnow
from urna.core.errors import AppError, NotFound
from urna.core.i18n import N_
from urna.editions import repository as editions_repository
from urna.editions.models import Area, Edition, Pool
from urna.editions.models import Project as ProjectRow
from urna.results import repository
from urna.results.models import ResultRun, TieDraw
from urna.results.rules import (
    MAX_ADD1_RUNS,
    Add1NotSettled,
    Add1Start,
    Add1Stop,
    Allocation,
    Comparison,
    MesCompletion,
    MesOptions,
    Project,
    TieDrawIncomplete,
    Transfer,
    equal_shares_allocate,
    greedy_allocate,
    minimum_score,
    transfers_apply,
)
from urna.voting.models import BALLOT_STATUSES

FORMAT = "urna-results/1"
LOCAL_TIME = ZoneInfo("Europe/Warsaw")
SMALL_GROUP = 10  # turnout groups smaller than this are published as "fewer than 10"
GROSZE_PER_ZLOTY = 100


class ResultsError(AppError):
    status_code = 409


class ReviewOpen(ResultsError):
    message = N_(
        "Some ballots are still under review. Close the review (count or invalidate each "
        "one) before publishing the results."
    )


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8): what anyone can recompute."""
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def canonical_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---- computing -------------------------------------------------------------------------


async def results_compute(*, session: AsyncSession, edition: Edition) -> dict[str, Any]:
    """The edition's results as a JSON-ready payload (nothing is written)."""
    pools = list(await editions_repository.pools_of(session, edition.id))
    projects = list(await editions_repository.projects_of(session, edition.id))
    areas = {area.id: area for area in await editions_repository.areas_of(session, edition.id)}
    tallies = await repository.project_tallies(session, edition.id)
    voters = await repository.pool_voter_counts(session, edition.id)
    draws = await repository.draws_of(session, edition.id)
    by_pool: dict[int, list[ProjectRow]] = defaultdict(list)
    for project in projects:
        by_pool[project.pool_id].append(project)
    codes = {pool.id: pool.code for pool in pools}

    allocators: dict[str, Callable[[int], Allocation]] = {}
    for pool in pools:
        classes = None
        if pool.rule == "equal_shares":
            number_of = {project.id: project.number for project in by_pool[pool.id]}
            raw = await repository.approval_classes(session, edition.id, pool.id)
            classes = {
                frozenset(number_of[p] for p in approved): count for approved, count in raw.items()
            }
        allocators[pool.code] = _allocator(
            pool=pool,
            projects=by_pool[pool.id],
            tallies=tallies,
            voter_count=voters.get(pool.id, 0),
            draw=draws.get(pool.id),
            classes=classes,
        )
    try:
        first = {pool.code: allocators[pool.code](pool.budget) for pool in pools}
        outcome = transfers_apply(
            results=first,
            transfers=_transfers(pools, codes),
            recompute=allocators,
        )
    except TieDrawIncomplete as error:
        raise ResultsError(
            N_("The recorded draw does not order every tied project: %(detail)s"),
            params={"detail": str(error)},
        ) from error
    except Add1NotSettled as error:
        raise ResultsError(
            N_(
                "The add-one completion of equal shares did not stop within %(runs)s steps: "
                "some supported project stays out of its supporters' reach. Choose another "
                "completion for this pool, for example by votes without add one."
            ),
            params={"runs": MAX_ADD1_RUNS},
        ) from error

    pool_payloads = []
    for pool in pools:
        allocation = outcome.results[pool.code]
        pool_payloads.append(
            _pool_payload(
                pool=pool,
                allocation=allocation,
                projects=by_pool[pool.id],
                tallies=tallies,
                voter_count=voters.get(pool.id, 0),
                draw=draws.get(pool.id),
                areas=areas,
                codes=codes,
                given=outcome.given.get(pool.code, 0),
                received=outcome.received.get(pool.code, 0),
                leftover=outcome.leftover(pool.code),
            )
        )
    statuses = await repository.ballot_status_counts(session, edition.id)
    return {
        "format": FORMAT,
        "edition": {
            "slug": edition.slug,
            "name": edition.name,
            "municipality": edition.municipality,
            "vote_type": edition.vote_type,
            "voting_opens_at": edition.voting_opens_at.isoformat(),
            "voting_closes_at": edition.voting_closes_at.isoformat(),
        },
        "computed_at": utcnow().isoformat(),
        "money_unit": "grosz",
        "ballots": {status: statuses.get(status, 0) for status in BALLOT_STATUSES},
        "pools": pool_payloads,
        "transfers": [step.to_dict() for step in outcome.steps],
        "turnout": await turnout(session=session, edition=edition, areas=areas),
    }


def _allocator(
    *,
    pool: Pool,
    projects: list[ProjectRow],
    tallies: dict[int, repository.ProjectTally],
    voter_count: int,
    draw: TieDraw | None,
    classes: dict[frozenset[str], int] | None,
) -> Callable[[int], Allocation]:
    """The pool's rule as a function of its budget (transfers recompute with more money)."""
    candidates = [
        Project(
            id=project.number,
            cost=project.cost,
            score=tallies[project.id].points if project.id in tallies else 0,
        )
        for project in projects
    ]
    tie_seed = draw.seed if draw is not None else None
    tie_order = draw.draw_order if draw is not None else None

    def allocate(budget: int) -> Allocation:
        if pool.rule == "equal_shares":
            return equal_shares_allocate(
                projects=candidates,
                ballots=classes or {},
                budget=budget,
                options=pool_mes_options(pool),
                increment=GROSZE_PER_ZLOTY,
                tie_order=tie_order,
                tie_seed=tie_seed,
                pool_id=pool.code,
            )
        return greedy_allocate(
            projects=candidates,
            budget=budget,
            stop_at_first_misfit=pool.rule == "greedy_stop",
            threshold_votes=pool.min_votes,
            threshold_percent=pool.min_votes_percent,
            voter_count=voter_count,
            tie_order=tie_order,
            tie_seed=tie_seed,
            pool_id=pool.code,
        )

    return allocate


def pool_mes_options(pool: Pool) -> MesOptions:
    """The equal-shares options stored with the pool."""
    return MesOptions(
        completion=MesCompletion(pool.mes_completion),
        add1_stop=Add1Stop(pool.mes_add1_stop),
        add1_start=Add1Start(pool.mes_add1_start),
        comparison=Comparison(pool.mes_comparison),
    )


def _transfers(pools: list[Pool], codes: dict[int, str]) -> list[Transfer]:
    """Leftover transfers, a pool's own incoming ones first (the graph has no cycle)."""
    targets = {pool.id: pool.leftover_to_pool_id for pool in pools if pool.leftover_to_pool_id}
    depth: dict[int, int] = {}

    def sources_depth(pool_id: int) -> int:
        if pool_id not in depth:
            depth[pool_id] = 0
            incoming = [source for source, target in targets.items() if target == pool_id]
            depth[pool_id] = 1 + max((sources_depth(s) for s in incoming), default=-1)
        return depth[pool_id]

    ordered = sorted(targets, key=lambda source: (sources_depth(source), codes[source]))
    return [Transfer(source_pool=codes[s], target_pool=codes[targets[s]]) for s in ordered]


def _pool_payload(
    *,
    pool: Pool,
    allocation: Allocation,
    projects: list[ProjectRow],
    tallies: dict[int, repository.ProjectTally],
    voter_count: int,
    draw: TieDraw | None,
    areas: dict[int, Area],
    codes: dict[int, str],
    given: int,
    received: int,
    leftover: int,
) -> dict[str, Any]:
    funded = set(allocation.funded)
    last_step: dict[str, str] = {}
    for step in allocation.steps:
        if step.project_id is not None:
            last_step[step.project_id] = step.kind.value
    empty = repository.ProjectTally(0, 0)
    rows = [
        {
            "number": project.number,
            "title": project.title,
            "cost": project.cost,
            "votes": tallies.get(project.id, empty).votes,
            "points": tallies.get(project.id, empty).points,
            "funded": project.number in funded,
            "outcome": last_step.get(project.number, "not_considered"),
        }
        for project in projects
    ]
    order = {number: index for index, number in enumerate(allocation.funded)}
    rows.sort(key=lambda row: (-row["points"], order.get(row["number"], 0), row["number"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return {
        "code": pool.code,
        "name": pool.name,
        "kind": pool.kind,
        "area": areas[pool.area_id].name if pool.area_id in areas else None,
        "rule": pool.rule,
        "budget": pool.budget,
        "received": received,
        "given": given,
        "spent": allocation.spent,
        "money_left": leftover,
        "voters": voter_count,
        "min_votes": pool.min_votes,
        "min_votes_percent": None
        if pool.min_votes_percent is None
        else str(pool.min_votes_percent),
        "threshold": minimum_score(
            threshold_votes=pool.min_votes,
            threshold_percent=pool.min_votes_percent,
            voter_count=voter_count,
        )
        if pool.rule != "equal_shares"
        else 0,
        "leftover_to": codes.get(pool.leftover_to_pool_id) if pool.leftover_to_pool_id else None,
        "draw": None
        if draw is None
        else {
            "seed": draw.seed,
            "order": draw.draw_order,
            "note": draw.note,
            "recorded_at": draw.recorded_at.isoformat(),
        },
        "draw_needed": allocation.draw_needed,
        "funded": list(allocation.funded),
        "projects": rows,
        "allocation": allocation.to_dict(),
    }


async def turnout(
    *, session: AsyncSession, edition: Edition, areas: dict[int, Area]
) -> dict[str, Any]:
    """Counted ballots by area, age band, channel and local day: aggregates only, and a
    group smaller than `SMALL_GROUP` is published as null ("fewer than 10")."""

    def suppressed(rows: list[tuple[str, int]]) -> list[list[Any]]:
        return [[key, count if count >= SMALL_GROUP else None] for key, count in sorted(rows)]

    by_area = [
        (areas[key].name if key in areas else "", count)
        for key, count in await repository.turnout_rows(session, edition.id, "area_id")
    ]
    by_age = [
        (str(key or ""), count)
        for key, count in await repository.turnout_rows(session, edition.id, "age_band")
    ]
    by_channel = [
        (str(key), count)
        for key, count in await repository.turnout_rows(session, edition.id, "channel")
    ]
    days: dict[str, int] = defaultdict(int)
    for hour, count in await repository.turnout_by_hour(session, edition.id):
        if hour.tzinfo is None:
            hour = hour.replace(tzinfo=ZoneInfo("UTC"))
        days[hour.astimezone(LOCAL_TIME).date().isoformat()] += count
    return {
        "total": sum(count for _, count in by_channel),
        "small_group": SMALL_GROUP,
        "by_area": suppressed(by_area),
        "by_age_band": suppressed(by_age),
        "by_channel": suppressed(by_channel),
        "by_day": suppressed(list(days.items())),
    }


# ---- runs and publication --------------------------------------------------------------


async def run_create(*, session: AsyncSession, edition: Edition, actor_id: int | None) -> ResultRun:
    """Compute and keep the results as a draft (committed), audited when staff asked."""
    payload = await results_compute(session=session, edition=edition)
    run = ResultRun(
        edition_id=edition.id,
        status="draft",
        computed_by=actor_id,
        payload=payload,
        sha256=payload_digest(payload),
    )
    session.add(run)
    await session.flush()
    await _run_recorded(session=session, run=run, edition=edition, actor_id=actor_id)
    return run


async def _run_recorded(
    *, session: AsyncSession, run: ResultRun, edition: Edition, actor_id: int | None
) -> None:
    """Audit what happened to ``run`` (computed or published) and commit it with the run.

    Two publications racing meet the partial UNIQUE index: the second is refused."""
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="results.publish" if run.status == "published" else "results.compute",
        target=f"edition:{edition.slug}",
        details={"run": run.id, "sha256": run.sha256},
    )
    try:
        await session.commit()
    except IntegrityError as error:
        await session.rollback()
        raise ResultsError(N_("Another publication happened at the same time.")) from error


async def run_publish(
    *,
    session: AsyncSession,
    edition: Edition,
    run_id: int,
    actor_id: int | None,
    now: datetime | None = None,
) -> ResultRun:
    """Publish a reviewed draft: the previous publication is withdrawn, in one transaction."""
    run = await repository.run_get(session, run_id)
    if run is None or run.edition_id != edition.id:
        raise NotFound()
    if run.status != "draft":
        raise ResultsError(N_("Only a draft can be published."))
    statuses = await repository.ballot_status_counts(session, edition.id)
    if statuses.get("under_review"):
        raise ReviewOpen()
    if not _same_ballots(statuses, run):
        raise ResultsError(
            N_("Ballots have changed since this draft was computed. Compute the results again.")
        )
    await repository.runs_withdraw_published(session, edition.id)
    run.status = "published"
    run.published_at = now or utcnow()
    run.published_by = actor_id
    await _run_recorded(session=session, run=run, edition=edition, actor_id=actor_id)
    return run


def _same_ballots(statuses: dict[str, int], run: ResultRun) -> bool:
    return statuses == {k: v for k, v in run.payload["ballots"].items() if v}


async def run_ensure_current(*, session: AsyncSession, edition: Edition, run: ResultRun) -> None:
    """Refuse what would read ballots live when they no longer match the published run
    (a verifier's decision after publication): the office must compute and publish again."""
    if not _same_ballots(await repository.ballot_status_counts(session, edition.id), run):
        raise ResultsError(
            N_(
                "Ballots have changed since the results were published; the office must "
                "compute and publish them again."
            )
        )


async def results_are_published(*, session: AsyncSession, edition: Edition) -> bool:
    return await repository.run_published(session, edition.id) is not None


async def run_published(*, session: AsyncSession, edition: Edition) -> ResultRun:
    run = await repository.run_published(session, edition.id)
    if run is None:
        raise NotFound(N_("The results of this edition have not been published yet."))
    return run


async def draw_record(
    *,
    session: AsyncSession,
    edition: Edition,
    pool: Pool,
    seed: int | None,
    order: list[str] | None,
    note: str,
    actor_id: int,
) -> TieDraw:
    """Record (or correct, before publication) the public draw of a pool; audited."""
    if (seed is None) == (not order):
        raise ResultsError(N_("Enter either the drawn number or the drawn order, not both."))
    numbers = {p.number for p in await editions_repository.projects_of(session, edition.id)}
    unknown = [number for number in order or [] if number not in numbers]
    if unknown:
        raise ResultsError(
            N_("Unknown project numbers: %(numbers)s"), params={"numbers": ", ".join(unknown)}
        )
    if await repository.run_published(session, edition.id) is not None:
        raise ResultsError(N_("The results are published; the draw can no longer change."))
    draws = await repository.draws_of(session, edition.id)
    draw = draws.get(pool.id) or TieDraw(edition_id=edition.id, pool_id=pool.id)
    draw.seed, draw.draw_order, draw.note = seed, order or None, note
    draw.recorded_by, draw.recorded_at = actor_id, utcnow()
    session.add(draw)
    await audit.audit_append(
        session=session,
        actor_id=actor_id,
        action="results.draw",
        target=f"pool:{pool.id}",
        details={"seed": seed, "order": order, "note": note},
    )
    await session.commit()
    return draw
