"""The Method of Equal Shares (MES) for approval ballots, with the "add one" completion.

Semantics follow pabutools 1.2.3 exactly, so results can be checked against it:
``method_of_equal_shares(instance, profile, sat_class=Cost_Sat, voter_budget_increment=1)``
followed by ``greedy_utilitarian_welfare(..., sat_class=Cost_Sat)`` as completion
(``completion_by_rule_combination``), which is what pabulib's ``equalshares/add1`` means.

One run of MES with per-voter budget ``b``: every voter starts with ``b``. In each round,
for every project still in play, find the smallest payment cap ``alpha`` such that its
supporters, each paying ``min(own budget, alpha)``, cover its cost; projects whose supporters
cannot cover the cost drop out. The project with the smallest ``alpha / cost`` is funded (cost
utilities; ties are ordered by the recorded draw, by default ascending id like pabutools) and
its supporters pay. The run ends when no project can be paid for.

Add one: the first run uses ``b = budget / voters``. While the outcome leaves money for a
supported project that still fits, every voter's budget is raised by ``increment`` (1 unit of
money, as in pabutools) and MES is run again from scratch; the loop stops at the first run that
is exhaustive (accepted) or overspends the budget (the previous run is accepted). Then the
money left is filled greedily by number of votes. A project that costs nothing gives no
utility under cost utilities, so MES leaves it to this completion (as pabutools does).

Each run is computed by `mes_run`, which groups identical ballots and equal budgets and
keeps every budget exact (see there).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from fractions import Fraction

from urna.results.rules.greedy import greedy_allocate
from urna.results.rules.mes_run import MesProfile, MesRun, mes_profile, mes_run
from urna.results.rules.ties import check_tie_arguments, tie_group_order
from urna.results.rules.types import (
    Allocation,
    MesOutcome,
    Project,
    Step,
    StepKind,
    TieGroup,
)


def equal_shares_allocate(
    *,
    projects: Iterable[Project],
    ballots: Iterable[Collection[str]] | Mapping[frozenset[str], int],
    budget: int,
    add_one: bool = True,
    fill_greedy: bool = True,
    increment: int = 1,
    tie_order: Sequence[str] | None = None,
    tie_seed: int | None = None,
    pool_id: str | None = None,
) -> Allocation:
    """Fund projects by the Method of Equal Shares; see the module docstring.

    ``ballots`` holds each voter's approved project ids (empty ballots count as voters and
    get a share of the budget). ``Project.score`` is ignored: the number of votes is counted
    from the ballots. ``increment`` is the add-one step per voter, in the unit of ``cost``
    (1 for pabulib files in złoty; pass 100 to add 1 zł when costs are in grosze).
    Ties (equal price per unit of cost in a round, or equal votes in the completion) follow
    ``tie_order``/``tie_seed`` as in `ties`; an explicit order must place every project that
    ties in any run of the add-one loop.
    """
    check_tie_arguments(tie_order=tie_order, tie_seed=tie_seed)
    if increment <= 0:
        raise ValueError("increment must be positive")
    if budget < 0:
        raise ValueError("budget must not be negative")
    project_list = list(projects)
    ids = [project.id for project in project_list]
    if len(set(ids)) != len(ids):
        raise ValueError("project ids must be unique")
    profile = mes_profile(
        ids=ids, costs=[project.cost for project in project_list], ballots=ballots
    )
    runs, accepted = _add_one_loop(profile, budget, add_one, increment, tie_order, tie_seed)
    steps: list[Step] = [
        _run_step(run, index, outcome, pool_id) for index, (run, outcome) in enumerate(runs)
    ]
    run = runs[accepted][0] if accepted is not None else None
    funded: list[str] = []
    spent = 0
    ties: list[TieGroup] = []
    if run is not None:
        spent = run.spent
        funded.extend(profile.ids[purchase.project] for purchase in run.purchases)
        ties.extend(_mes_ties(profile, run, tie_order, tie_seed))
        steps.extend(_purchase_steps(profile, run, budget, ties, pool_id))
    if fill_greedy:
        fill = _fill(profile, project_list, funded, budget - spent, tie_order, tie_seed, pool_id)
        steps.append(Step(kind=StepKind.COMPLETION, pool_id=pool_id, money_left=budget - spent))
        steps.extend(fill.steps)
        funded.extend(fill.funded)
        spent += fill.spent
        ties.extend(fill.ties)
    return Allocation(
        budget=budget,
        funded=tuple(funded),
        spent=spent,
        steps=tuple(steps),
        ties=tuple(ties),
        pool_id=pool_id,
        rule="equal_shares",
        per_voter_budget=run.per_voter_budget if run is not None else None,
    )


def _add_one_loop(
    profile: MesProfile,
    budget: int,
    add_one: bool,
    increment: int,
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
) -> tuple[list[tuple[MesRun, MesOutcome]], int | None]:
    """All runs made, each with why the loop went on or stopped, and the accepted run's index."""
    if profile.voter_count == 0:
        return [], None
    in_play = [
        index for index, cost in enumerate(profile.costs) if cost > 0 and profile.votes[index] > 0
    ]
    cheapest = sorted(in_play, key=profile.costs.__getitem__)
    per_voter = Fraction(budget, profile.voter_count)
    runs: list[tuple[MesRun, MesOutcome]] = []
    while True:
        run = mes_run(
            profile=profile,
            per_voter=per_voter,
            in_play=in_play,
            tie_order=tie_order,
            tie_seed=tie_seed,
        )
        if not add_one:
            runs.append((run, MesOutcome.FINAL))
            return runs, 0
        if run.spent > budget:
            runs.append((run, MesOutcome.INFEASIBLE))
            return runs, (len(runs) - 2 if len(runs) > 1 else None)
        if _exhaustive(profile, run, cheapest, budget):
            runs.append((run, MesOutcome.EXHAUSTIVE))
            return runs, len(runs) - 1
        runs.append((run, MesOutcome.CONTINUE))
        per_voter += increment


def _exhaustive(profile: MesProfile, run: MesRun, cheapest: list[int], budget: int) -> bool:
    """No supported, unfunded project with a positive cost fits the money left."""
    funded = {purchase.project for purchase in run.purchases}
    left = budget - run.spent
    for index in cheapest:
        if profile.costs[index] > left:
            return True
        if index not in funded:
            return False
    return True


def _mes_ties(
    profile: MesProfile,
    run: MesRun,
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
) -> list[TieGroup]:
    groups: list[TieGroup] = []
    for round_number, purchase in enumerate(run.purchases, start=1):
        if len(purchase.tied) < 2:
            continue
        ids = tuple(sorted(profile.ids[index] for index in purchase.tied))
        order, method = tie_group_order(project_ids=ids, tie_order=tie_order, tie_seed=tie_seed)
        groups.append(
            TieGroup(project_ids=ids, order=order, method=method, round=round_number, seed=tie_seed)
        )
    return groups


def _run_step(run: MesRun, index: int, outcome: MesOutcome, pool_id: str | None) -> Step:
    return Step(
        kind=StepKind.MES_ROUND,
        pool_id=pool_id,
        run=index + 1,
        per_voter_budget=run.per_voter_budget,
        funded_count=len(run.purchases),
        spent=run.spent,
        mes_outcome=outcome,
    )


def _purchase_steps(
    profile: MesProfile,
    run: MesRun,
    budget: int,
    ties: list[TieGroup],
    pool_id: str | None,
) -> list[Step]:
    ties_by_round = {group.round: group for group in ties}
    steps: list[Step] = []
    money_left = budget
    for round_number, purchase in enumerate(run.purchases, start=1):
        group = ties_by_round.get(round_number)
        if group is not None:
            steps.append(
                Step(
                    kind=StepKind.TIE_RESOLVED,
                    pool_id=pool_id,
                    round=round_number,
                    tied_ids=group.order,
                    tie_method=group.method,
                )
            )
        cost = profile.costs[purchase.project]
        money_left -= cost
        steps.append(
            Step(
                kind=StepKind.FUNDED,
                project_id=profile.ids[purchase.project],
                pool_id=pool_id,
                cost=cost,
                score=profile.votes[purchase.project],
                money_left=money_left,
                round=round_number,
                max_payment=purchase.max_payment,
            )
        )
    return steps


def _fill(
    profile: MesProfile,
    projects: list[Project],
    funded: list[str],
    money_left: int,
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
    pool_id: str | None,
) -> Allocation:
    """Greedy by votes over the projects MES did not fund (pabutools' Cost_Sat greedy)."""
    taken = set(funded)
    votes = dict(zip(profile.ids, profile.votes, strict=True))
    rest = [
        Project(id=project.id, cost=project.cost, score=votes[project.id])
        for project in projects
        if project.id not in taken
    ]
    return greedy_allocate(
        projects=rest,
        budget=money_left,
        tie_order=tie_order,
        tie_seed=tie_seed,
        pool_id=pool_id,
    )
