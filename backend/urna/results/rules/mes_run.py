"""One run of the Method of Equal Shares (approval ballots, cost utilities), made fast.

Used by `equal_shares`; the rule itself is described there.

How the run stays fast and exact:

- Identical ballots form one *class* with a count (Łódź 2022: 24k classes for 90k voters), and
  voters who have paid for the same projects share a *budget state*. Pricing a project
  tallies its supporting classes by state (one bincount) and then works on a few dozen
  (budget, count) pairs instead of on every voter; paying moves the supporting classes to new
  states with one gather and one scatter.
- Budgets are exact rationals held as integer numerators over one denominator shared by the
  whole run (``_Budgets``); prices and payments are compared by integer cross-multiplication.
  A float copy of each budget screens the projects each round; only projects priced within a
  relative 1e-7 of the cheapest are priced exactly. Float error here is at most a few times
  ``voters * 2**-52``, far inside that band, so the choice, ties and payments are exact.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from urna.results.rules.ties import tie_group_order

FLOAT_BAND = 1e-7
ZERO = 0  # the budget state of voters who have spent everything


@dataclass(frozen=True, slots=True)
class MesProfile:
    """Ballots prepared once and shared by every run of the add-one loop."""

    ids: tuple[str, ...]
    costs: tuple[int, ...]
    votes: tuple[int, ...]
    voter_count: int
    class_counts: np.ndarray  # voters per distinct ballot (int64)
    supporter_classes: tuple[np.ndarray, ...]  # per project: classes approving it
    class_weights: tuple[np.ndarray, ...]  # per project: voters in each of those classes


@dataclass(frozen=True, slots=True)
class Purchase:
    project: int
    max_payment: Fraction  # each supporter pays min(own budget, max_payment)
    tied: tuple[int, ...]  # projects equal in price, votes and cost, in draw order


@dataclass(frozen=True, slots=True)
class MesRun:
    per_voter_budget: Fraction
    funded: tuple[int, ...]  # project indices, in the order bought
    spent: int
    purchases: tuple[Purchase, ...] = ()  # exact runs: each payment cap and tie (see mes_float)


def mes_profile(
    *,
    ids: Sequence[str],
    costs: Sequence[int],
    ballots: Iterable[Collection[str]] | Mapping[frozenset[str], int],
) -> MesProfile:
    """Group identical ballots into classes and list, per project, the classes approving it."""
    index = {project_id: position for position, project_id in enumerate(ids)}
    # Already grouped (approval set -> number of ballots holding it), e.g. by the database.
    grouped = ballots if isinstance(ballots, Mapping) else Counter(frozenset(b) for b in ballots)
    members: list[int] = []
    member_class: list[int] = []
    counts: list[int] = []
    for ballot, count in grouped.items():
        try:
            positions = [index[project_id] for project_id in ballot]
        except KeyError as error:
            raise ValueError(f"a ballot names the unknown project {error.args[0]}") from None
        if positions:
            members.extend(positions)
            member_class.extend([len(counts)] * len(positions))
            counts.append(count)
    member_array = np.array(members, dtype=np.int64)
    class_array = np.array(member_class, dtype=np.int64)
    count_array = np.array(counts, dtype=np.int64)
    by_project = np.argsort(member_array, kind="stable")
    bounds = np.searchsorted(member_array[by_project], np.arange(len(ids) + 1))
    supporters = tuple(class_array[by_project[bounds[p] : bounds[p + 1]]] for p in range(len(ids)))
    votes = tuple(int(count_array[classes].sum()) for classes in supporters)
    return MesProfile(
        ids=tuple(ids),
        costs=tuple(costs),
        votes=votes,
        voter_count=sum(grouped.values()),
        class_counts=count_array,
        supporter_classes=supporters,
        # float weights: np.bincount sums them exactly (counts stay far below 2**53)
        class_weights=tuple(count_array[classes].astype(np.float64) for classes in supporters),
    )


class _Budgets:
    """Distinct voter budgets of one run: exact numerators over one shared denominator, plus
    floats.

    State 0 is the empty budget. Paying moves each state to a new one; budgets of different
    states almost never coincide (none do in the real files), so states are not merged. When
    a payment needs a larger denominator, only the denominator grows: each numerator keeps
    the denominator it was written over and is brought up to date when it is read (a run
    reads a few dozen states per round, but holds thousands).
    """

    def __init__(self, initial: Fraction) -> None:
        self.denominator = initial.denominator
        self._numerators: list[int] = [0, initial.numerator]
        self._over: list[int] = [self.denominator, self.denominator]
        self.approx = np.zeros(64, dtype=np.float64)
        self.approx[1] = float(initial)

    def __len__(self) -> int:
        return len(self._numerators)

    def numerator(self, state: int) -> int:
        """The budget of ``state`` over the current denominator."""
        return self._numerators[state] * (self.denominator // self._over[state])

    def rescale(self, factor: int) -> None:
        """Multiply the denominator so that a new payment is representable."""
        self.denominator *= factor

    def add(self, numerator: int) -> int:
        return self.add_approx(numerator / self.denominator, numerator)

    def add_approx(self, value: float, numerator: int = 0) -> int:
        """A new state; a floating-point run (`mes_float`) keeps no exact numerator."""
        state = len(self._numerators)
        self._numerators.append(numerator)
        self._over.append(self.denominator)
        if state >= len(self.approx):
            self.approx = np.concatenate((self.approx, np.zeros_like(self.approx)))
        self.approx[state] = value
        return state


@dataclass(slots=True)
class _Price:
    """The exact payment cap of a project: ``shortfall / (remaining * denominator)``."""

    project: int
    shortfall: int  # cost * denominator - what the poor supporters pay, as a numerator
    remaining: int  # supporters who pay the cap (the others pay all they have)

    def beats(self, other: _Price, costs: Sequence[int]) -> int:
        """-1, 0, 1 as this price per unit of cost is below, equal to, above the other's."""
        left = self.shortfall * other.remaining * costs[other.project]
        right = other.shortfall * self.remaining * costs[self.project]
        return (left > right) - (left < right)


class Run:
    """Mutable state of one MES run: each class's budget state, and the budgets."""

    def __init__(self, profile: MesProfile, per_voter: Fraction) -> None:
        self.profile = profile
        self.budgets = _Budgets(per_voter)
        self.class_state = np.ones(len(profile.class_counts), dtype=np.int64)
        # each class's money (budget x voters) in floating point: the money behind a project
        # is one gather and one sum, so unaffordable projects drop out without their row
        self.class_money = profile.class_counts * float(per_voter)
        self._rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def row(self, project: int) -> tuple[np.ndarray, np.ndarray]:
        """The budget states of the project's supporters and how many are in each.

        Counted on demand with one bincount over the supporting classes: a round prices only
        a few projects, so this is cheaper than keeping every project's counts up to date.
        Spent voters (state 0) are left out: they can pay nothing and never change a price.
        """
        cached = self._rows.get(project)
        if cached is None:
            classes = self.profile.supporter_classes[project]
            tally = np.bincount(
                self.class_state[classes],
                weights=self.profile.class_weights[project],
                minlength=len(self.budgets),
            )
            tally[ZERO] = 0
            states = tally.nonzero()[0]
            cached = (states, tally[states].astype(np.int64))
            self._rows[project] = cached
        return cached

    def float_price(self, project: int) -> float | None:
        """alpha / cost in floating point, or None when the supporters cannot pay the cost."""
        cost = self.profile.costs[project]
        available = float(self.class_money[self.profile.supporter_classes[project]].sum())
        if available < cost * (1 - FLOAT_BAND):
            return None
        if available < cost * (1 + FLOAT_BAND) and self.exact_price(project) is None:
            return None
        states, counts = self.row(project)
        budgets = self.budgets.approx[states]
        payers_all = int(counts.sum())
        if budgets.min() * payers_all >= cost * (1 + FLOAT_BAND):
            return 1 / payers_all  # nobody is short: everyone pays cost / payers
        order = np.argsort(budgets)
        budgets = budgets[order]
        counts = counts[order]
        money = budgets * counts
        paid_before = np.cumsum(money) - money
        payers = payers_all - (np.cumsum(counts) - counts)
        caps = (cost - paid_before) / payers
        fits = np.flatnonzero(caps <= budgets)
        cap = caps[fits[0]] if len(fits) else budgets[-1]  # no fit: rounding at the boundary
        return float(cap) / cost

    def exact_price(self, project: int) -> _Price | None:
        """The exact payment cap (pabutools' scan over supporters by ascending budget)."""
        states, counts = self.row(project)
        numerator = self.budgets.numerator
        groups = sorted(zip(map(numerator, states.tolist()), counts.tolist(), strict=True))
        owed = self.profile.costs[project] * self.budgets.denominator
        if sum(numerator * count for numerator, count in groups) < owed:
            return None
        remaining = sum(count for _, count in groups)
        for numerator, count in groups:
            if owed <= remaining * numerator:
                return _Price(project=project, shortfall=owed, remaining=remaining)
            owed -= numerator * count
            remaining -= count
        raise AssertionError("unreachable: the supporters can pay the cost")

    def pay(self, price: _Price) -> Fraction:
        """Supporters pay min(budget, cap); returns the cap.

        Each budget state among the supporters becomes a new state (or 0); budgets of
        different histories never coincide in practice, so states are not merged.
        """
        states, _ = self.row(price.project)
        gcd = math.gcd(price.shortfall, price.remaining)
        self.budgets.rescale(price.remaining // gcd)
        cap = price.shortfall // gcd  # over the (rescaled) shared denominator
        new_states = []
        for state in states.tolist():
            left = self.budgets.numerator(state) - cap
            new_states.append(ZERO if left <= 0 else self.budgets.add(left))
        self.move(price.project, states, new_states)
        return Fraction(cap, self.budgets.denominator)

    def move(self, project: int, states: np.ndarray, new_states: list[int]) -> None:
        """The project's supporters in ``states`` now have the budgets ``new_states``."""
        transition = np.arange(len(self.budgets), dtype=np.int64)
        transition[states] = new_states
        supporters = self.profile.supporter_classes[project]
        moved = transition[self.class_state[supporters]]
        self.class_state[supporters] = moved
        self.class_money[supporters] = (
            self.budgets.approx[moved] * self.profile.class_counts[supporters]
        )
        self._rows.clear()


def mes_run(
    *,
    profile: MesProfile,
    per_voter: Fraction,
    in_play: Sequence[int],
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
) -> MesRun:
    """One run of MES: fund the cheapest project per unit of cost until none can be paid."""
    run = Run(profile, per_voter)
    active = set(in_play)
    # Prices only rise during a run (budgets only fall), so the last price is a lower bound.
    lower_bound = {project: 1.0 / profile.votes[project] for project in in_play}
    purchases: list[Purchase] = []
    while active:
        candidates = cheapest_candidates(run, active, lower_bound)
        if not candidates:
            break
        price, tied = _settle(run, candidates, tie_order, tie_seed)
        cap = run.pay(price)
        active.discard(price.project)
        purchases.append(Purchase(project=price.project, max_payment=cap, tied=tied))
    funded = tuple(purchase.project for purchase in purchases)
    return MesRun(
        per_voter_budget=per_voter,
        funded=funded,
        spent=sum(profile.costs[project] for project in funded),
        purchases=tuple(purchases),
    )


def cheapest_candidates(run: Run, active: set[int], lower_bound: dict[int, float]) -> list[int]:
    """Projects whose float price is within the band of the cheapest; drops unaffordable ones.

    Visits projects by ascending lower bound and stops once the bound exceeds the best price
    found, as pabutools does.
    """
    best = math.inf
    priced: list[tuple[float, int]] = []
    for project in sorted(active, key=lower_bound.__getitem__):
        if lower_bound[project] > best * (1 + FLOAT_BAND):
            break
        price = run.float_price(project)
        if price is None:
            active.discard(project)
            continue
        lower_bound[project] = price
        priced.append((price, project))
        best = min(best, price)
    return [project for price, project in priced if price <= best * (1 + FLOAT_BAND)]


def _settle(
    run: Run,
    candidates: list[int],
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
) -> tuple[_Price, tuple[int, ...]]:
    """The cheapest candidate by exact price; equal prices go to more votes, then to the
    lower cost, and only then to the draw."""
    costs, votes = run.profile.costs, run.profile.votes
    prices = [price for price in map(run.exact_price, candidates) if price is not None]
    best = prices[0]
    for price in prices[1:]:
        if price.beats(best, costs) < 0:
            best = price
    tied = [price for price in prices if price.beats(best, costs) == 0]
    if len(tied) > 1:
        first = min((-votes[price.project], costs[price.project]) for price in tied)
        tied = [price for price in tied if (-votes[price.project], costs[price.project]) == first]
    if len(tied) == 1:
        return tied[0], (tied[0].project,)
    by_id = {run.profile.ids[price.project]: price for price in tied}
    order, _ = tie_group_order(project_ids=by_id, tie_order=tie_order, tie_seed=tie_seed)
    return by_id[order[0]], tuple(by_id[project_id].project for project_id in order)
