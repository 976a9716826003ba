"""The Method of Equal Shares (MES) for approval ballots, its completions and comparison step.

One run of MES with per-voter budget ``b``: every voter starts with ``b``. In each round,
for every project still in play, find the smallest payment cap ``rho`` such that its
supporters, each paying ``min(own budget, rho)``, cover its cost; projects whose supporters
cannot cover the cost drop out. The project funded next is the one with the smallest
``rho / cost``, i.e. the most "effective votes" ``cost / rho`` (cost utilities, as in the
method's computation tool and in pabutools with ``Cost_Sat``: the rule that reproduces the
Polish results, e.g. Świecie 2023); equal prices go to more votes, then to the lower cost,
then to the recorded draw (by default ascending id). Its supporters pay. The run ends when
no project can be paid for. A project that costs nothing gives no utility under cost
utilities, so MES leaves it to a completion (as pabutools does).

``MesOptions`` chooses what follows (each option is named in the step log):

- completion: none (the run with the pool's budget stands), add one (`add_one`), and/or
  filling the money left by votes ("utilitarian": greedy by votes, skipping what does not
  fit). pabulib's ``equalshares/add1`` is add one followed by that fill.
- comparison: the greedy outcome by votes is computed too; each voter prefers the outcome
  in which more of their approved projects win (or, as an option, in which at least one
  does); the MES outcome stands unless strictly more voters prefer the greedy one. Both
  counts are kept in the result.

Each run is computed by `mes_run`, which groups identical ballots and equal budgets and
keeps every budget exact (see there).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from urna.results.rules.add_one import mes_runs
from urna.results.rules.comparison import comparison_apply
from urna.results.rules.greedy import greedy_allocate
from urna.results.rules.mes_run import MesProfile, MesRun, mes_profile
from urna.results.rules.ties import check_tie_arguments, tie_group_order
from urna.results.rules.types import (
    Allocation,
    Comparison,
    MesOptions,
    MesOutcome,
    Project,
    Step,
    StepKind,
    TieGroup,
)

DEFAULT_OPTIONS = MesOptions()


def equal_shares_allocate(
    *,
    projects: Iterable[Project],
    ballots: Iterable[Collection[str]] | Mapping[frozenset[str], int],
    budget: int,
    options: MesOptions = DEFAULT_OPTIONS,
    increment: int = 1,
    tie_order: Sequence[str] | None = None,
    tie_seed: int | None = None,
    pool_id: str | None = None,
) -> Allocation:
    """Fund projects by the Method of Equal Shares; see the module docstring.

    ``ballots`` holds each voter's approved project ids (empty ballots count as voters and
    get a share of the budget). ``Project.score`` is ignored: the number of votes is counted
    from the ballots. ``increment`` is one unit of money in the unit of ``cost``: the add-one
    step per voter and the whole unit of ``Add1Start.WHOLE`` (1 for pabulib files in złoty;
    100 when costs are in grosze). Ties left after votes and cost follow
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
    runs, accepted = mes_runs(
        profile=profile,
        budget=budget,
        options=options,
        increment=increment,
        tie_order=tie_order,
        tie_seed=tie_seed,
    )
    steps: list[Step] = [_variant_step(options, increment, pool_id)]
    # a run's number is its step of the add-one loop, which may skip steps that change nothing
    steps.extend(
        _run_step(
            run,
            int((run.per_voter_budget - runs[0][0].per_voter_budget) / increment),
            outcome,
            pool_id,
        )
        for run, outcome in runs
    )
    run = runs[accepted][0] if accepted is not None else None
    funded: list[str] = []
    spent = 0
    ties: list[TieGroup] = []
    if run is not None:
        spent = run.spent
        funded.extend(profile.ids[purchase.project] for purchase in run.purchases)
        ties.extend(_mes_ties(profile, run, tie_order, tie_seed))
        steps.extend(_purchase_steps(profile, run, budget, ties, pool_id))
    by_votes = _by_votes(profile, project_list)
    if options.fill_by_votes:
        taken = set(funded)
        fill = greedy_allocate(
            projects=[project for project in by_votes if project.id not in taken],
            budget=budget - spent,
            tie_order=tie_order,
            tie_seed=tie_seed,
            pool_id=pool_id,
        )
        steps.append(Step(kind=StepKind.COMPLETION, pool_id=pool_id, money_left=budget - spent))
        steps.extend(fill.steps)
        funded.extend(fill.funded)
        spent += fill.spent
        ties.extend(fill.ties)
    result = Allocation(
        budget=budget,
        funded=tuple(funded),
        spent=spent,
        steps=tuple(steps),
        ties=tuple(ties),
        pool_id=pool_id,
        rule="equal_shares",
        per_voter_budget=run.per_voter_budget if run is not None else None,
        mes_options=options,
    )
    if options.comparison is Comparison.NONE:
        return result
    greedy = greedy_allocate(
        projects=by_votes, budget=budget, tie_order=tie_order, tie_seed=tie_seed, pool_id=pool_id
    )
    return comparison_apply(
        profile=profile, mes=result, greedy=greedy, criterion=options.comparison
    )


def _by_votes(profile: MesProfile, projects: list[Project]) -> list[Project]:
    """The projects scored by their votes in the ballots, for greedy by votes."""
    votes = dict(zip(profile.ids, profile.votes, strict=True))
    return [
        Project(id=project.id, cost=project.cost, score=votes[project.id]) for project in projects
    ]


def _variant_step(options: MesOptions, increment: int, pool_id: str | None) -> Step:
    add_one = options.add_one
    return Step(
        kind=StepKind.MES_VARIANT,
        pool_id=pool_id,
        completion=options.completion,
        add1_stop=options.add1_stop if add_one else None,
        add1_start=options.add1_start if add_one else None,
        amount=increment if add_one else None,
        comparison=options.comparison,
    )


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
        funded_count=len(run.funded),
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
