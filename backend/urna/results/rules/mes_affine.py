"""How far the voters' budget can rise before a run of MES may buy something else.

The add-one loop reruns MES with each voter's budget ``b`` raised by one unit at a time. The
projects a run buys are piecewise constant in ``b``: a run is a sequence of decisions (which
projects the supporters can afford, which supporters pay all they have, which price is the
lowest), and while none of them changes, every voter's budget, every payment cap and every
price is an affine function of ``b``. This module replays one exact run at ``b`` keeping each
budget as ``base + slope * t`` for ``b + t`` and returns the smallest ``t`` at which one of
those comparisons may turn: below it, every run buys the same projects in the same order, so
the add-one loop can step straight there (`add_one`). Ties and boundary cases that could
turn at once give 0 (the loop then takes a single step), so the answer errs only towards
shorter jumps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from urna.results.rules.mes_run import MesProfile
from urna.results.rules.ties import tie_group_order

Affine = tuple[Fraction, Fraction]  # (value at t = 0, slope in t)
ZERO_STATE = 0


class _TurnsNow(Exception):
    """A comparison is an equality at t = 0 that a larger budget may break."""


@dataclass(slots=True)
class _Price:
    project: int
    cap: Affine  # each supporter pays min(own budget, cap)
    poor: frozenset[int]  # budget states that pay all they have


class _Events:
    """The smallest t > 0 at which some recorded affine comparison changes sign."""

    def __init__(self) -> None:
        self.first: Fraction | None = None

    def sign_kept(self, value: Fraction, slope: Fraction) -> None:
        """``value + slope * t`` keeps the sign it has at t = 0 until its root."""
        if value == 0:
            if slope != 0:
                raise _TurnsNow
            return
        if (value > 0) != (slope > 0) and slope != 0:
            root = -value / slope
            if self.first is None or root < self.first:
                self.first = root


def mes_stable_until(
    *,
    profile: MesProfile,
    per_voter: Fraction,
    in_play: Sequence[int],
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
) -> Fraction | None:
    """The smallest t >= 0 such that a run at ``per_voter + t`` may differ from the run at
    ``per_voter``; None when no decision depends on the budget."""
    events = _Events()
    try:
        _replay(profile, per_voter, in_play, tie_order, tie_seed, events)
    except _TurnsNow:
        return Fraction(0)
    return events.first


def _replay(
    profile: MesProfile,
    per_voter: Fraction,
    in_play: Sequence[int],
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
    events: _Events,
) -> None:
    budgets: list[Affine] = [(Fraction(0), Fraction(0)), (per_voter, Fraction(1))]
    class_state = np.ones(len(profile.class_counts), dtype=np.int64)
    active = set(in_play)
    while active:
        rows = {project: _row(profile, class_state, project, len(budgets)) for project in active}
        prices: list[_Price] = []
        for project in sorted(active):
            price = _price(profile.costs[project], rows[project], budgets, events)
            if price is None:
                active.discard(project)  # budgets only fall: out of reach for the whole run
            else:
                price.project = project
                prices.append(price)
        if not prices:
            return
        chosen = _cheapest(profile, prices, tie_order, tie_seed)
        for price in prices:
            if price is not chosen:
                events.sign_kept(*_difference(profile, price, chosen))
        transition = np.arange(len(budgets), dtype=np.int64)
        cap_value, cap_slope = chosen.cap
        for state, _count in rows[chosen.project]:
            if state in chosen.poor:
                transition[state] = ZERO_STATE
                continue
            value, slope = budgets[state]
            left = (value - cap_value, slope - cap_slope)
            if left == (0, 0):
                transition[state] = ZERO_STATE
            else:
                transition[state] = len(budgets)
                budgets.append(left)
        supporters = profile.supporter_classes[chosen.project]
        class_state[supporters] = transition[class_state[supporters]]
        active.discard(chosen.project)


def _row(
    profile: MesProfile, class_state: np.ndarray, project: int, states: int
) -> list[tuple[int, int]]:
    """The budget states of the project's supporters (spent voters left out) and their
    numbers of voters."""
    tally = np.bincount(
        class_state[profile.supporter_classes[project]],
        weights=profile.class_weights[project],
        minlength=states,
    )
    tally[ZERO_STATE] = 0
    found = tally.nonzero()[0]
    return list(zip(found.tolist(), tally[found].astype(np.int64).tolist(), strict=True))


def _price(
    cost: int, row: list[tuple[int, int]], budgets: list[Affine], events: _Events
) -> _Price | None:
    """The payment cap as an affine function, recording when its shape may change."""
    money = sum(budgets[state][0] * count for state, count in row)
    money_slope = sum(budgets[state][1] * count for state, count in row)
    events.sign_kept(money - cost, money_slope)
    if money < cost:
        return None
    owed, owed_slope = Fraction(cost), Fraction(0)
    remaining = sum(count for _, count in row)
    poor: set[int] = set()
    for state, count in sorted(row, key=lambda pair: budgets[pair[0]][0]):
        value, slope = budgets[state]
        if owed <= remaining * value:
            break
        owed -= value * count
        owed_slope -= slope * count
        remaining -= count
        poor.add(state)
    cap = (owed / remaining, owed_slope / remaining)
    for state, _count in row:
        value, slope = budgets[state]
        events.sign_kept(value - cap[0], slope - cap[1])
    return _Price(project=-1, cap=cap, poor=frozenset(poor))


def _difference(profile: MesProfile, price: _Price, chosen: _Price) -> Affine:
    """The other project's price per unit of cost minus the chosen one's."""
    cost, chosen_cost = profile.costs[price.project], profile.costs[chosen.project]
    return (
        price.cap[0] / cost - chosen.cap[0] / chosen_cost,
        price.cap[1] / cost - chosen.cap[1] / chosen_cost,
    )


def _cheapest(
    profile: MesProfile,
    prices: list[_Price],
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
) -> _Price:
    """As `mes_run`: the lowest price per unit of cost, then more votes, then the lower
    cost, then the draw."""
    best = min(prices, key=lambda price: price.cap[0] / profile.costs[price.project])
    level = best.cap[0] / profile.costs[best.project]
    tied = [price for price in prices if price.cap[0] / profile.costs[price.project] == level]
    first = min((-profile.votes[p.project], profile.costs[p.project]) for p in tied)
    tied = [p for p in tied if (-profile.votes[p.project], profile.costs[p.project]) == first]
    if len(tied) == 1:
        return tied[0]
    by_id = {profile.ids[price.project]: price for price in tied}
    order, _ = tie_group_order(project_ids=by_id, tie_order=tie_order, tie_seed=tie_seed)
    return by_id[order[0]]
