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
money left is filled greedily by number of votes.

Speed: ballots are grouped into classes of identical ballots, and voters whose budgets are
equal are grouped into budget states, so a round works on a few dozen (budget, count) pairs
per project instead of on every voter. Prices are first compared in floating point; the
projects within a relative 1e-7 of the cheapest are then recomputed with exact fractions, so
the choice, the tie detection and what voters pay are exact, as in pabutools.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from urna.results.rules.greedy import greedy_allocate
from urna.results.rules.ties import check_tie_arguments, tie_group_order
from urna.results.rules.types import (
    Allocation,
    MesOutcome,
    Project,
    Step,
    StepKind,
    TieGroup,
)

# Relative band within which float prices are treated as possibly equal and settled exactly.
# Float error here is about voters x 1e-16, far below this band for any municipal electorate.
_FLOAT_BAND = 1e-7
_ZERO_STATE = -1  # voters with no money left: they can never pay again


@dataclass(frozen=True, slots=True)
class _Profile:
    """Ballots prepared once and shared by every run of the add-one loop."""

    ids: tuple[str, ...]
    costs: tuple[int, ...]
    votes: tuple[int, ...]
    voter_count: int
    class_ballots: tuple[tuple[int, ...], ...]  # project indices of each distinct ballot
    class_counts: tuple[int, ...]  # how many voters cast that ballot
    supporter_classes: tuple[tuple[int, ...], ...]  # per project: classes approving it
    tie_rank: dict[str, int] | None


@dataclass(frozen=True, slots=True)
class _Purchase:
    project: int
    max_payment: Fraction  # each supporter pays min(own budget, max_payment)
    tied: tuple[int, ...]  # all projects at the same exact price, incl. this one


@dataclass(frozen=True, slots=True)
class _Run:
    per_voter_budget: Fraction
    purchases: tuple[_Purchase, ...]
    spent: int


def equal_shares_allocate(
    *,
    projects: Iterable[Project],
    ballots: Iterable[Collection[str]],
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
    """
    check_tie_arguments(tie_order=tie_order, tie_seed=tie_seed)
    if increment <= 0:
        raise ValueError("increment must be positive")
    project_list = list(projects)
    profile = _prepare(project_list, ballots, budget, tie_order)
    free = _free_projects(profile)
    runs, accepted = _add_one_loop(profile, budget, free, add_one, increment)
    steps: list[Step] = [
        _round_step(profile, run, index, outcome, pool_id)
        for index, (run, outcome) in enumerate(runs)
    ]
    steps.extend(_free_steps(profile, free, budget, pool_id))
    run = runs[accepted][0] if accepted is not None else None
    funded = [profile.ids[index] for index in free]
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


def _prepare(
    projects: list[Project],
    ballots: Iterable[Collection[str]],
    budget: int,
    tie_order: Sequence[str] | None,
) -> _Profile:
    if budget < 0:
        raise ValueError("budget must not be negative")
    index = {project.id: position for position, project in enumerate(projects)}
    if len(index) != len(projects):
        raise ValueError("project ids must be unique")
    grouped = Counter(frozenset(ballot) for ballot in ballots)
    class_ballots: list[tuple[int, ...]] = []
    class_counts: list[int] = []
    supporters: list[list[int]] = [[] for _ in projects]
    votes = [0] * len(projects)
    for ballot, count in grouped.items():
        try:
            members = tuple(sorted(index[project_id] for project_id in ballot))
        except KeyError as error:
            raise ValueError(f"a ballot names the unknown project {error.args[0]}") from None
        if not members:
            continue
        class_number = len(class_ballots)
        class_ballots.append(members)
        class_counts.append(count)
        for member in members:
            supporters[member].append(class_number)
            votes[member] += count
    return _Profile(
        ids=tuple(project.id for project in projects),
        costs=tuple(project.cost for project in projects),
        votes=tuple(votes),
        voter_count=sum(grouped.values()),
        class_ballots=tuple(class_ballots),
        class_counts=tuple(class_counts),
        supporter_classes=tuple(tuple(members) for members in supporters),
        tie_rank=None if tie_order is None else {pid: i for i, pid in enumerate(tie_order)},
    )


def _free_projects(profile: _Profile) -> list[int]:
    """Supported projects that cost nothing: funded before MES starts (as in pabutools)."""
    return [
        index for index, cost in enumerate(profile.costs) if cost == 0 and profile.votes[index] > 0
    ]


def _add_one_loop(
    profile: _Profile, budget: int, free: list[int], add_one: bool, increment: int
) -> tuple[list[tuple[_Run, MesOutcome]], int | None]:
    """All runs made, each with why the loop went on or stopped, and the accepted run's index."""
    if profile.voter_count == 0:
        return [], None
    in_play = [
        index for index, cost in enumerate(profile.costs) if cost > 0 and profile.votes[index] > 0
    ]
    cheapest = sorted(in_play, key=profile.costs.__getitem__)
    per_voter = Fraction(budget, profile.voter_count)
    runs: list[tuple[_Run, MesOutcome]] = []
    while True:
        run = _mes_run(profile, per_voter, in_play)
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


def _exhaustive(profile: _Profile, run: _Run, cheapest: list[int], budget: int) -> bool:
    """No supported, unfunded project with a positive cost fits the money left."""
    funded = {purchase.project for purchase in run.purchases}
    left = budget - run.spent
    for index in cheapest:
        if profile.costs[index] > left:
            return True
        if index not in funded:
            return False
    return True


class _Budgets:
    """Distinct voter budgets of one run, exact and as floats, keyed by a small state id."""

    __slots__ = ("exact", "approx", "by_value")

    def __init__(self, initial: Fraction) -> None:
        self.exact: list[Fraction] = [initial]
        self.approx: list[float] = [float(initial)]
        self.by_value: dict[Fraction, int] = {initial: 0}

    def state_for(self, value: Fraction) -> int:
        if value == 0:
            return _ZERO_STATE
        state = self.by_value.get(value)
        if state is None:
            state = len(self.exact)
            self.exact.append(value)
            self.approx.append(float(value))
            self.by_value[value] = state
        return state


def _mes_run(profile: _Profile, per_voter: Fraction, in_play: list[int]) -> _Run:
    budgets = _Budgets(per_voter)
    class_state = [0] * len(profile.class_ballots)
    # counts[p]: budget state -> number of p's supporters in that state
    counts: list[dict[int, int]] = [{0: votes} if votes else {} for votes in profile.votes]
    active = set(in_play)
    lower_bound = {index: 1.0 / profile.votes[index] for index in in_play}
    purchases: list[_Purchase] = []
    spent = 0
    while active:
        candidates = _cheapest_candidates(profile, budgets, counts, active, lower_bound)
        if not candidates:
            break
        purchase = _settle_exactly(profile, budgets, counts, candidates)
        _pay(profile, budgets, counts, class_state, purchase)
        active.discard(purchase.project)
        purchases.append(purchase)
        spent += profile.costs[purchase.project]
    return _Run(per_voter_budget=per_voter, purchases=tuple(purchases), spent=spent)


def _cheapest_candidates(
    profile: _Profile,
    budgets: _Budgets,
    counts: list[dict[int, int]],
    active: set[int],
    lower_bound: dict[int, float],
) -> list[int]:
    """Projects whose float price is within the band of the cheapest one.

    Prices only rise during a run (budgets only fall), so the last computed price is a lower
    bound; projects are visited cheapest bound first and the scan stops once the bound
    exceeds the best price found (the same pruning pabutools does).
    """
    best = float("inf")
    priced: list[tuple[float, int]] = []
    for index in sorted(active, key=lower_bound.__getitem__):
        if lower_bound[index] > best * (1 + _FLOAT_BAND):
            break
        price = _float_price(profile, budgets, counts[index], index)
        if price is None:
            active.discard(index)
            continue
        lower_bound[index] = price
        priced.append((price, index))
        best = min(best, price)
    return [index for price, index in priced if price <= best * (1 + _FLOAT_BAND)]


def _float_price(
    profile: _Profile, budgets: _Budgets, states: dict[int, int], index: int
) -> float | None:
    """alpha / cost in floating point, or None when the supporters cannot pay the cost."""
    cost = profile.costs[index]
    approx = budgets.approx
    groups = sorted((approx[state], count) for state, count in states.items())
    available = sum(value * count for value, count in groups)
    if available < cost * (1 - _FLOAT_BAND):
        return None
    if available < cost * (1 + _FLOAT_BAND) and _exact_price(budgets, states, cost) is None:
        return None
    paid = 0.0
    remaining = sum(count for _, count in groups)
    for value, count in groups:
        cap = (cost - paid) / remaining
        if cap <= value:
            return cap / cost
        paid += value * count
        remaining -= count
    # Only reachable through rounding when the supporters have exactly the cost.
    return groups[-1][0] / cost


def _exact_price(budgets: _Budgets, states: dict[int, int], cost: int) -> Fraction | None:
    """The exact payment cap alpha for a project, or None when it cannot be paid for."""
    exact = budgets.exact
    groups = sorted((exact[state], count) for state, count in states.items())
    if sum(value * count for value, count in groups) < cost:
        return None
    paid = Fraction(0)
    remaining = sum(count for _, count in groups)
    for value, count in groups:
        cap = (cost - paid) / remaining
        if cap <= value:
            return cap
        paid += value * count
        remaining -= count
    raise AssertionError("unreachable: the supporters can pay the cost")


def _settle_exactly(
    profile: _Profile,
    budgets: _Budgets,
    counts: list[dict[int, int]],
    candidates: list[int],
) -> _Purchase:
    """Pick the cheapest candidate by exact price; equal prices go to the tie order."""
    exact: dict[int, Fraction] = {}
    for index in candidates:
        cap = _exact_price(budgets, counts[index], profile.costs[index])
        if cap is not None:  # the float band let through a project that cannot be paid
            exact[index] = cap
    best = min(cap / profile.costs[index] for index, cap in exact.items())
    tied = sorted(
        (index for index, cap in exact.items() if cap / profile.costs[index] == best),
        key=lambda index: _tie_key(profile, index),
    )
    return _Purchase(project=tied[0], max_payment=exact[tied[0]], tied=tuple(tied))


def _tie_key(profile: _Profile, index: int) -> tuple[int, str]:
    project_id = profile.ids[index]
    if profile.tie_rank is None:
        return 0, project_id
    return profile.tie_rank.get(project_id, len(profile.tie_rank)), project_id


def _pay(
    profile: _Profile,
    budgets: _Budgets,
    counts: list[dict[int, int]],
    class_state: list[int],
    purchase: _Purchase,
) -> None:
    """Supporters pay min(budget, cap); move their classes to the resulting budget states."""
    cap = purchase.max_payment
    exact = budgets.exact
    after = {
        state: budgets.state_for(exact[state] - min(exact[state], cap))
        for state in counts[purchase.project]
    }
    class_counts = profile.class_counts
    class_ballots = profile.class_ballots
    for class_number in profile.supporter_classes[purchase.project]:
        state = class_state[class_number]
        if state == _ZERO_STATE:
            continue
        new_state = after[state]
        class_state[class_number] = new_state
        count = class_counts[class_number]
        for member in class_ballots[class_number]:
            member_states = counts[member]
            left = member_states[state] - count
            if left:
                member_states[state] = left
            else:
                del member_states[state]
            if new_state != _ZERO_STATE:
                member_states[new_state] = member_states.get(new_state, 0) + count


def _mes_ties(
    profile: _Profile,
    run: _Run,
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


def _round_step(
    profile: _Profile, run: _Run, index: int, outcome: MesOutcome, pool_id: str | None
) -> Step:
    return Step(
        kind=StepKind.MES_ROUND,
        pool_id=pool_id,
        round=index + 1,
        per_voter_budget=run.per_voter_budget,
        funded_count=len(run.purchases),
        spent=run.spent,
        mes_outcome=outcome,
    )


def _free_steps(profile: _Profile, free: list[int], budget: int, pool_id: str | None) -> list[Step]:
    return [
        Step(
            kind=StepKind.FUNDED,
            project_id=profile.ids[index],
            pool_id=pool_id,
            cost=0,
            score=profile.votes[index],
            money_left=budget,
        )
        for index in free
    ]


def _purchase_steps(
    profile: _Profile,
    run: _Run,
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
    profile: _Profile,
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
