"""The parts of a computation: what it reads (`RunInputs`), each pool's rule as a function of
its money, the order of the leftover transfers, a pool's frozen result and the turnout
aggregates.

``service.results_compute`` reads the inputs and puts these together into the payload;
``deciding`` computes a pool again from the same inputs for every order of a tie."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy.ext.asyncio import AsyncSession

from urna.core.i18n import LOCAL_ZONE
from urna.core.money import GROSZE_PER_ZLOTY
from urna.editions import repository as editions_repository
from urna.editions.models import Area, Edition, Pool
from urna.editions.models import Project as ProjectRow
from urna.results import repository
from urna.results.models import TieDraw
from urna.results.rules import (
    Add1Start,
    Add1Stop,
    Allocation,
    Comparison,
    MesCompletion,
    MesOptions,
    PartialDrawOrder,
    Project,
    Transfer,
    equal_shares_allocate,
    greedy_allocate,
    minimum_score,
)
from urna.results.schemas import (
    DrawFacts,
    PoolResult,
    ProjectResult,
    Turnout,
    TurnoutRows,
    number_key,
)

SMALL_GROUP = 10  # turnout groups smaller than this are published as "fewer than 10"
NO_VOTES = repository.ProjectTally(0, 0)


@dataclass(frozen=True)
class RunInputs:
    """What computing an edition's results reads from the database (`run_inputs_read`):
    the rules of every pool run on these alone."""

    pools: list[Pool]  # in the edition's order
    projects: dict[int, list[ProjectRow]]  # pool id -> its projects
    tallies: dict[int, repository.ProjectTally]  # project id -> votes and points
    voters: dict[int, int]  # pool id -> its voters
    draws: dict[int, TieDraw]  # pool id -> its recorded draw
    classes: dict[int, dict[frozenset[str], int]]  # equal-shares pool id -> approval sets

    def pool(self, code: str) -> Pool:
        return next(pool for pool in self.pools if pool.code == code)

    def allocator(self, pool: Pool, draw: TieDraw | None) -> Callable[[int], Allocation]:
        """``pool``'s rule as a function of its budget, ties ordered by ``draw``."""
        return pool_allocator(
            pool=pool,
            projects=self.projects.get(pool.id, []),
            tallies=self.tallies,
            voter_count=self.voters.get(pool.id, 0),
            draw=draw,
            classes=self.classes.get(pool.id),
        )


async def run_inputs_read(*, session: AsyncSession, edition: Edition) -> RunInputs:
    """The edition's pools, projects, tally, voters and draws; equal shares also reads each
    pool's distinct approval sets (by project number)."""
    pools = list(await editions_repository.pools_of(session, edition.id))
    projects: dict[int, list[ProjectRow]] = defaultdict(list)
    for project in await editions_repository.projects_of(session, edition.id):
        projects[project.pool_id].append(project)
    classes: dict[int, dict[frozenset[str], int]] = {}
    for pool in pools:
        if pool.rule == "equal_shares":
            number_of = {project.id: project.number for project in projects[pool.id]}
            raw = await repository.approval_classes(session, edition.id, pool.id)
            classes[pool.id] = {
                frozenset(number_of[p] for p in approved): count for approved, count in raw.items()
            }
    return RunInputs(
        pools=pools,
        projects=dict(projects),
        tallies=await repository.project_tallies(session, edition.id),
        voters=await repository.pool_voter_counts(session, edition.id),
        draws=await repository.draws_of(session, edition.id),
        classes=classes,
    )


def pool_allocator(
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
            score=tallies.get(project.id, NO_VOTES).points,
        )
        for project in projects
    ]
    tie_seed = draw.seed if draw is not None else None
    # A tie the recorded order does not place (widened by a ballot decided since the draw)
    # stays undecided in the draft, which then asks for a new draw: see `rules.ties`.
    tie_order = PartialDrawOrder(draw.draw_order) if draw is not None and draw.draw_order else None

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


def transfers_ordered(pools: list[Pool], codes: dict[int, str]) -> list[Transfer]:
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


def pool_result(
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
) -> PoolResult:
    """The pool's ranking, money and allocation log as published."""
    funded = set(allocation.funded)
    last_step: dict[str, str] = {}
    for step in allocation.steps:
        if step.project_id is not None:
            last_step[step.project_id] = step.kind.value
    ranked = _ranking(projects, tallies, allocation)
    rows = [
        ProjectResult(
            number=project.number,
            title=project.title,
            cost=project.cost,
            votes=tallies.get(project.id, NO_VOTES).votes,
            points=tallies.get(project.id, NO_VOTES).points,
            funded=project.number in funded,
            outcome=last_step.get(project.number, "not_considered"),
            rank=rank,
        )
        for rank, project in enumerate(ranked, start=1)
    ]
    return PoolResult(
        code=pool.code,
        name=pool.name,
        kind=pool.kind,
        area=areas[pool.area_id].name if pool.area_id in areas else None,
        rule=pool.rule,
        budget=pool.budget,
        received=received,
        given=given,
        spent=allocation.spent,
        money_left=leftover,
        voters=voter_count,
        min_votes=pool.min_votes,
        min_votes_percent=None if pool.min_votes_percent is None else str(pool.min_votes_percent),
        threshold=minimum_score(
            threshold_votes=pool.min_votes,
            threshold_percent=pool.min_votes_percent,
            voter_count=voter_count,
        )
        if pool.rule != "equal_shares"
        else 0,
        leftover_to=codes.get(pool.leftover_to_pool_id) if pool.leftover_to_pool_id else None,
        draw=None
        if draw is None
        else DrawFacts(
            seed=draw.seed,
            order=draw.draw_order,
            note=draw.note,
            recorded_at=draw.recorded_at.isoformat(),
        ),
        draw_needed=allocation.draw_needed,
        funded=list(allocation.funded),
        projects=rows,
        allocation=allocation.to_dict(),
    )


def _ranking(
    projects: list[ProjectRow], tallies: dict[int, repository.ProjectTally], allocation: Allocation
) -> list[ProjectRow]:
    """The pool's projects as its rule ranked them: most points first; projects with equal
    points in the order of their tie group (the public draw, or the numbers while a draw is
    due), any others by number ("2" before "10")."""
    points = {project.number: tallies.get(project.id, NO_VOTES).points for project in projects}
    ranked = sorted(points, key=lambda number: (-points[number], number_key(number)))
    for group in allocation.ties:
        members = [number for number in group.order if number in points]
        for score in {points[number] for number in members}:
            # the group's places in the ranking, taken in its order
            drawn = [number for number in members if points[number] == score]
            places = sorted(ranked.index(number) for number in drawn)
            for place, number in zip(places, drawn, strict=True):
                ranked[place] = number
    by_number = {project.number: project for project in projects}
    return [by_number[number] for number in ranked]


async def turnout_compute(
    *, session: AsyncSession, edition: Edition, areas: dict[int, Area]
) -> Turnout:
    """Counted ballots by area, age band, channel and local day: aggregates only, and a
    group smaller than `SMALL_GROUP` is published as null ("fewer than 10"); and the
    invalid paper sheets, a total."""

    def suppressed(rows: list[tuple[str, int]]) -> TurnoutRows:
        return [(key, count if count >= SMALL_GROUP else None) for key, count in sorted(rows)]

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
            hour = hour.replace(tzinfo=UTC)
        days[hour.astimezone(LOCAL_ZONE).date().isoformat()] += count
    return Turnout(
        total=sum(count for _, count in by_channel),
        small_group=SMALL_GROUP,
        by_area=suppressed(by_area),
        by_age_band=suppressed(by_age),
        by_channel=suppressed(by_channel),
        by_day=suppressed(list(days.items())),
        paper_invalid=await repository.paper_invalid_count(session, edition.id),
    )
