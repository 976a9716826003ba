"""The add-one loop of equal shares in pools that need many steps: it steps straight to the
next budget at which a run may buy something else, and reaches what one step at a time
reaches (a reference loop kept here, one unit at a time, on small instances)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from urna.results.rules import (
    Add1Start,
    Add1Stop,
    MesCompletion,
    MesOptions,
    MesOutcome,
    Project,
    StepKind,
    equal_shares_allocate,
)
from urna.results.rules import add_one as add_one_module
from urna.results.rules.add_one import start_per_voter
from urna.results.rules.mes_run import mes_profile, mes_run

from .test_results_properties import elections, tie_draws

ADD1_FILL = MesOptions(completion=MesCompletion.ADD1_UTILITARIAN)


def test_a_small_district_with_a_large_budget_is_computed():
    # 3 voters share 200 000 zł: 66 666.67 each. Project 6 (80 000, voters B and C) and
    # project 5 (120 000, voters A and B) tie at half their cost per supporter; 6 costs less
    # and goes first, and A and B can pay for 5 only from 80 000 each: 13 334 steps on.
    result = equal_shares_allocate(
        projects=[Project("5", 120_000), Project("6", 80_000)],
        ballots=[("5",), ("5", "6"), ("6",)],
        budget=200_000,
        options=ADD1_FILL,
    )

    assert result.funded == ("6", "5")
    assert result.spent == 200_000
    assert result.per_voter_budget == Fraction(240_002, 3)  # the first step from 80 000
    runs = [step for step in result.steps if step.kind is StepKind.MES_ROUND]
    assert len(runs) == add_one_module.STEPS_ONE_BY_ONE + 1
    assert (runs[-1].run, runs[-1].mes_outcome) == (13_335, MesOutcome.ALL_FUNDED)


def reference_add_one(projects, ballots, budget, options, tie_extra):
    """The add-one loop one unit at a time, every run exact: (funded, per-voter budget)."""
    ids = [project.id for project in projects]
    ties = {"tie_order": tie_extra.get("tie_order"), "tie_seed": tie_extra.get("tie_seed")}
    profile = mes_profile(ids=ids, costs=[p.cost for p in projects], ballots=ballots)
    if profile.voter_count == 0:
        return None
    in_play = [i for i, cost in enumerate(profile.costs) if cost > 0 and profile.votes[i] > 0]
    per_voter = start_per_voter(
        budget=budget, voters=profile.voter_count, start=options.add1_start, increment=1
    )
    by_cost = sorted(in_play, key=profile.costs.__getitem__)
    run = mes_run(profile=profile, per_voter=per_voter, in_play=in_play, **ties)
    while True:
        funded = set(run.funded)
        left = budget - run.spent
        unfunded_fits = any(i not in funded and profile.costs[i] <= left for i in by_cost)
        if options.add1_stop is Add1Stop.EXHAUSTIVE and not unfunded_fits:
            return run.funded, per_voter
        if len(run.funded) == len(in_play):
            return run.funded, per_voter
        following = mes_run(profile=profile, per_voter=per_voter + 1, in_play=in_play, **ties)
        if following.spent > budget:
            return run.funded, per_voter
        per_voter, run = per_voter + 1, following


@given(
    elections(max_voters=6),
    st.integers(0, 400),
    st.sampled_from(list(Add1Start)),
    st.sampled_from(list(Add1Stop)),
    tie_draws,
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_stepping_straight_to_the_next_change_matches_one_step_at_a_time(
    election, budget, start, stop, tie_extra
):
    projects, ballots = election
    options = MesOptions(completion=MesCompletion.ADD1, add1_start=start, add1_stop=stop)
    expected = reference_add_one(projects, ballots, budget, options, tie_extra)
    original = add_one_module.STEPS_ONE_BY_ONE
    add_one_module.STEPS_ONE_BY_ONE = 0  # jump from the first step on
    try:
        result = equal_shares_allocate(
            projects=projects, ballots=ballots, budget=budget, options=options, **tie_extra
        )
    finally:
        add_one_module.STEPS_ONE_BY_ONE = original
    if expected is None:
        assert result.funded == ()
        return
    funded, per_voter = expected
    ids = [project.id for project in projects]
    assert result.funded == tuple(ids[i] for i in funded)
    assert result.per_voter_budget == per_voter
