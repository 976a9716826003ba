"""A run of MES in floating point that knows when it may be wrong: for the add-one loop.

The add-one loop runs MES from scratch dozens of times (Łódź 2022: 60) and keeps only which
projects each run buys and what they cost. This run makes every decision in floating point
and refuses (returns None) when one is too close to call:

- the cheapest project must beat every other price by more than the relative band
  ``FLOAT_BAND`` (1e-7) - an exact tie, or a near one, is left to the exact run;
- a project is affordable, or not, by more than the band;
- each supporter's budget is above, or below, the payment cap by more than the band (a
  budget equal to the cap, which empties it, is left to the exact run).

Float error in a budget after a run's few dozen payments is some multiple of 2**-52 of the
largest budget, nine orders of magnitude inside the band, so outside the band every decision
is the one exact arithmetic makes and the run buys the same projects in the same order. When
it refuses, the caller runs the exact `mes_run`, which also records ties and payment caps.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from urna.results.rules.mes_run import (
    FLOAT_BAND,
    ZERO,
    MesProfile,
    MesRun,
    Run,
    cheapest_candidates,
)


class _TooClose(Exception):
    """A decision lies within the band: floating point cannot be trusted with it."""


class _FloatRun(Run):
    def exact_price(self, project: int):  # type: ignore[override]
        raise _TooClose  # float_price asks only when affordability is within the band

    def pay_float(self, project: int, cap: float) -> None:
        states, _ = self.row(project)
        left = self.budgets.approx[states] - cap
        if np.any(np.abs(left) <= cap * FLOAT_BAND):
            raise _TooClose
        new_states = [
            ZERO if value < 0 else self.budgets.add_approx(value) for value in left.tolist()
        ]
        self.move(project, states, new_states)


def mes_float_run(
    *, profile: MesProfile, per_voter: Fraction, in_play: Sequence[int]
) -> MesRun | None:
    """The projects one run of MES buys, or None when floating point cannot tell."""
    run = _FloatRun(profile, per_voter)
    active = set(in_play)
    lower_bound = {project: 1.0 / profile.votes[project] for project in in_play}
    funded: list[int] = []
    try:
        while active:
            candidates = cheapest_candidates(run, active, lower_bound)
            if not candidates:
                break
            if len(candidates) > 1:
                raise _TooClose
            (project,) = candidates
            run.pay_float(project, lower_bound[project] * profile.costs[project])
            active.discard(project)
            funded.append(project)
    except _TooClose:
        return None
    return MesRun(
        per_voter_budget=per_voter,
        funded=tuple(funded),
        spent=sum(profile.costs[project] for project in funded),
    )
