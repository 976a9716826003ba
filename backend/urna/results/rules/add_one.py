"""The runs of equal shares for one pool: a single run, or the "add one" (Add1) loop.

Add1, as the method's computation tool (equalshares.net) does it: the n voters first share
X = B (``Add1Start.EXACT``) or X = floor(B / n) * n (``Add1Start.WHOLE``, whole units each);
then X + n is tried, one more unit (1 zł) for every voter, and again, each time running MES
from scratch. A step whose outcome costs at most B is accepted; the loop stops at the first
step whose outcome exceeds B, and the last accepted outcome stands
(``Add1Stop.OVER_BUDGET``). With ``Add1Stop.EXHAUSTIVE`` it also stops at the first
exhaustive outcome, one to which no further supported project can be added within B: that is
what pabutools' ``voter_budget_increment`` does, and what Urna did before the option existed.
The two stopping rules differ when an exhaustive outcome is followed by steps that still fit
(see tests/results/test_results_equal_shares.py).

When every supported project is funded, more money cannot change the outcome: the loop stops
there (the computation tool would go on forever; it skips Add1 when everything fits).

A small district with a large budget can need tens of thousands of steps (3 voters sharing
200 000 zł, one project reachable only at 80 000 each: 13 334 steps). The first
`STEPS_ONE_BY_ONE` steps are run and logged one by one, as the computation tool shows them
(real elections need far fewer: Świecie 2023 about 240, Łódź 2022 about 60). Beyond them the
loop steps straight to the next budget at which the run may buy something else
(`mes_stable_until`); the steps skipped buy the same projects as the last one run, so they
would all have been accepted, and the outcome is the one the step-by-step loop reaches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

from urna.results.rules.mes_affine import mes_stable_until
from urna.results.rules.mes_float import mes_float_run
from urna.results.rules.mes_run import MesProfile, MesRun, mes_run
from urna.results.rules.types import Add1Start, Add1Stop, MesOptions, MesOutcome

STEPS_ONE_BY_ONE = 1000
# A bound on the runs computed, a guard against a defect rather than a limit of the method:
# past `STEPS_ONE_BY_ONE` each run is one where the outcome may change, and real pools have
# a few dozen of those.
MAX_ADD1_RUNS = 20_000

Runs = list[tuple[MesRun, MesOutcome]]


class Add1NotSettled(ValueError):
    """The add-one loop did not stop within `MAX_ADD1_RUNS` runs."""


def start_per_voter(*, budget: int, voters: int, start: Add1Start, increment: int) -> Fraction:
    """Each voter's budget in the first run (``increment`` is one unit: 1 zł)."""
    if start is Add1Start.WHOLE:
        return Fraction(budget // (voters * increment) * increment)
    return Fraction(budget, voters)


def mes_runs(
    *,
    profile: MesProfile,
    budget: int,
    options: MesOptions,
    increment: int,
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
) -> tuple[Runs, int | None]:
    """Every run made, each with what followed from it, and the index of the one that stands."""
    if profile.voter_count == 0:
        return [], None
    in_play = [
        index for index, cost in enumerate(profile.costs) if cost > 0 and profile.votes[index] > 0
    ]

    def run_exactly(per_voter: Fraction) -> MesRun:
        return mes_run(
            profile=profile,
            per_voter=per_voter,
            in_play=in_play,
            tie_order=tie_order,
            tie_seed=tie_seed,
        )

    def run_with(per_voter: Fraction) -> MesRun:
        fast = mes_float_run(profile=profile, per_voter=per_voter, in_play=in_play)
        return fast if fast is not None else run_exactly(per_voter)

    def stable_until(per_voter: Fraction) -> Fraction | None:
        return mes_stable_until(
            profile=profile,
            per_voter=per_voter,
            in_play=in_play,
            tie_order=tie_order,
            tie_seed=tie_seed,
        )

    if not options.add_one:
        return [(run_exactly(Fraction(budget, profile.voter_count)), MesOutcome.FINAL)], 0
    per_voter = start_per_voter(
        budget=budget, voters=profile.voter_count, start=options.add1_start, increment=increment
    )
    cheapest = sorted(in_play, key=profile.costs.__getitem__)
    runs: Runs = []
    run = run_with(per_voter)  # shares at most B, so it never exceeds the budget
    while True:
        if options.add1_stop is Add1Stop.EXHAUSTIVE and _exhaustive(profile, run, cheapest, budget):
            runs.append((run, MesOutcome.EXHAUSTIVE))
            return _exact_at(runs, len(runs) - 1, run_exactly)
        if len(run.funded) == len(in_play):
            runs.append((run, MesOutcome.ALL_FUNDED))
            return _exact_at(runs, len(runs) - 1, run_exactly)
        runs.append((run, MesOutcome.CONTINUE))
        if len(runs) >= MAX_ADD1_RUNS:
            raise Add1NotSettled(
                f"the add-one completion did not stop within {MAX_ADD1_RUNS} steps"
            )
        steps = 1
        if len(runs) >= STEPS_ONE_BY_ONE:
            steps = _steps_to_change(stable_until(per_voter), increment)
        previous = run
        per_voter += steps * increment
        run = run_with(per_voter)
        if run.spent > budget:
            if steps > 1:  # the last step that fits buys what ``previous`` bought
                last = run_with(per_voter - increment)
                if last.funded != previous.funded:
                    raise AssertionError("a skipped step would have bought something else")
                runs.append((last, MesOutcome.CONTINUE))
            runs.append((run, MesOutcome.INFEASIBLE))
            return _exact_at(runs, len(runs) - 2, run_exactly)


def _steps_to_change(until: Fraction | None, increment: int) -> int:
    """Steps of ``increment`` to the first budget at which a run may buy something else (at
    least one), ``until`` above the current one."""
    if until is None:  # no decision depends on the budget: a defect, not a real pool
        raise Add1NotSettled("the add-one completion cannot change its outcome")
    return max(1, math.ceil(until / increment))


def _exact_at(
    runs: Runs, accepted: int, run_exactly: Callable[[Fraction], MesRun]
) -> tuple[Runs, int]:
    """``runs`` with the accepted one computed exactly (its payment caps and ties are shown)."""
    run, outcome = runs[accepted]
    if not run.purchases:
        exact = run_exactly(run.per_voter_budget)
        if exact.funded != run.funded:
            raise AssertionError("the floating-point run disagrees with the exact one")
        runs[accepted] = (exact, outcome)
    return runs, accepted


def _exhaustive(profile: MesProfile, run: MesRun, cheapest: list[int], budget: int) -> bool:
    """No supported, unfunded project with a positive cost fits the money left."""
    funded = set(run.funded)
    left = budget - run.spent
    for index in cheapest:
        if profile.costs[index] > left:
            return True
        if index not in funded:
            return False
    return True
