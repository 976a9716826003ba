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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from urna.results.rules.mes_float import mes_float_run
from urna.results.rules.mes_run import MesProfile, MesRun, mes_run
from urna.results.rules.types import Add1Start, Add1Stop, MesOptions, MesOutcome

# A bound on the loop, far above what real elections need (Świecie 2023: about 240 steps,
# Łódź 2022: about 60): a pool that needs more is refused rather than computed for hours.
MAX_ADD1_RUNS = 5000

Runs = list[tuple[MesRun, MesOutcome]]


class Add1NotSettled(ValueError):
    """The add-one loop did not stop within `MAX_ADD1_RUNS` steps."""


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
        per_voter += increment
        run = run_with(per_voter)
        if run.spent > budget:
            runs.append((run, MesOutcome.INFEASIBLE))
            return _exact_at(runs, len(runs) - 2, run_exactly)


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
