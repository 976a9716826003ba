"""Equal shares' options: the add-one stopping rules and start, the completions, and the
comparison step with the greedy outcome (hand-made profiles and hypothesis)."""

from __future__ import annotations

from collections.abc import Collection
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from urna.results.rules import (
    Add1NotSettled,
    Add1Start,
    Add1Stop,
    Comparison,
    MesCompletion,
    MesOptions,
    MesOutcome,
    Project,
    StepKind,
    equal_shares_allocate,
    greedy_allocate,
    step_text_en,
    step_text_pl,
)
from urna.results.rules import add_one as add_one_module
from urna.results.rules.mes_float import mes_float_run
from urna.results.rules.mes_run import mes_profile, mes_run

from .pabutools_bridge import pabutools_election, pabutools_mes
from .test_results_properties import elections

ADD1 = MesOptions(completion=MesCompletion.ADD1)

# 3 voters, budget 90 (30 each): A 40 (voters 1 and 3), B 30 (voter 2), C 50 (voters 2, 3).
# With 30 each, A and C tie at 1/2 per unit of cost; A costs less and goes first, leaving
# voter 3 with 10, so C (50) is out of reach and B is bought: {A, B} for 70, and C no longer
# fits in the 20 left - an exhaustive outcome. From 35 each, voters 2 and 3 can pay for C
# after A, and C (35/50 per unit) beats B (30/30): {A, C} for exactly 90, which fits. Only at
# 55 each is B bought too (120, over the budget).
STOPPING = (
    [Project("A", 40), Project("B", 30), Project("C", 50)],
    [("A",), ("B", "C"), ("A", "C")],
    90,
)


def allocate(case, options: MesOptions, **extra):
    projects, ballots, budget = case
    return equal_shares_allocate(
        projects=projects, ballots=ballots, budget=budget, options=options, **extra
    )


def mes_runs(result) -> list[tuple[int, MesOutcome]]:
    return [
        (int(step.per_voter_budget), step.mes_outcome)
        for step in result.steps
        if step.kind is StepKind.MES_ROUND
    ]


def test_the_two_stopping_rules_differ_on_this_profile():
    over_budget = allocate(STOPPING, ADD1)
    exhaustive = allocate(
        STOPPING, MesOptions(completion=MesCompletion.ADD1, add1_stop=Add1Stop.EXHAUSTIVE)
    )

    assert exhaustive.funded == ("A", "B")
    assert exhaustive.spent == 70
    assert mes_runs(exhaustive) == [(30, MesOutcome.EXHAUSTIVE)]
    assert over_budget.funded == ("A", "C")
    assert over_budget.spent == 90
    runs = mes_runs(over_budget)
    assert runs[0] == (30, MesOutcome.CONTINUE)  # exhaustive, and the loop goes on
    assert runs[-2:] == [(54, MesOutcome.CONTINUE), (55, MesOutcome.INFEASIBLE)]
    assert over_budget.per_voter_budget == 54
    # pabutools' add one is the exhaustive rule
    instance, profile = pabutools_election(*STOPPING)
    assert set(exhaustive.funded) == pabutools_mes(
        instance, profile, add_one=True, fill_greedy=False
    )


def test_whole_start_gives_each_voter_whole_units():
    case = ([Project("A", 200)], [("A",), ("A",), ("A",)], 100)  # exact: 33 1/3 each
    exact = allocate(case, ADD1)
    whole = allocate(case, MesOptions(completion=MesCompletion.ADD1, add1_start=Add1Start.WHOLE))

    assert mes_runs(whole)[0][0] == 33
    assert exact.steps[1].per_voter_budget == pytest.approx(100 / 3)
    assert exact.funded == whole.funded == ()
    # in grosze, a whole unit is 1 zł: 100 zł / 3 voters starts at 33 zł
    in_grosze = equal_shares_allocate(
        projects=[Project("A", 20_000)],
        ballots=case[1],
        budget=10_000,
        options=MesOptions(completion=MesCompletion.ADD1, add1_start=Add1Start.WHOLE),
        increment=100,
    )
    assert in_grosze.steps[1].per_voter_budget == 3300


def test_utilitarian_completion_fills_one_run_by_votes():
    case = ([Project("A", 70), Project("B", 40)], [("A",), ("A",), ("B",)], 100)
    plain = allocate(case, MesOptions(completion=MesCompletion.NONE))
    by_votes = allocate(case, MesOptions(completion=MesCompletion.UTILITARIAN))

    assert plain.funded == ()  # 33 1/3 each: neither is affordable by its supporters
    assert by_votes.funded == ("A",)  # then B does not fit in the 30 left
    assert [run[1] for run in mes_runs(by_votes)] == [MesOutcome.FINAL]


def test_the_loop_stops_once_every_supported_project_is_funded():
    case = ([Project("A", 10), Project("B", 10)], [("A",), ("B",)], 100)
    result = allocate(case, ADD1)

    assert result.funded == ("A", "B")
    assert mes_runs(result) == [(50, MesOutcome.ALL_FUNDED)]


def test_a_loop_that_would_run_for_ever_is_refused(monkeypatch):
    # Voter 1 alone supports A (90): only at 90 per voter could they pay for it.
    monkeypatch.setattr(add_one_module, "MAX_ADD1_RUNS", 20)
    case = ([Project("A", 90), Project("B", 5)], [("A",), ("B",)], 100)
    with pytest.raises(Add1NotSettled, match="20 steps"):
        allocate(case, ADD1)


# 6 voters want both big projects, 4 want both local ones; budget 100. Greedy by votes funds
# big1 + big2; equal shares funds big1, local1 and local2.
MAJORITY = (
    [Project("big1", 50), Project("big2", 50), Project("local1", 40), Project("local2", 10)],
    [("big1", "big2")] * 6 + [("local1", "local2")] * 4,
    100,
)
# 3 voters want both big projects; 2 want x, 2 want y. Greedy funds the big ones; equal shares
# funds big1, x and y.
MINORITIES = (
    [Project("big1", 50), Project("big2", 50), Project("x", 25), Project("y", 25)],
    [("big1", "big2")] * 3 + [("x",)] * 2 + [("y",)] * 2,
    100,
)


def test_comparison_keeps_greedy_when_more_voters_prefer_it():
    result = allocate(MAJORITY, MesOptions(comparison=Comparison.SATISFACTION))

    assert set(result.funded) == {"big1", "big2"}
    assert result.comparison is not None
    assert (result.comparison.prefer_mes, result.comparison.prefer_greedy) == (4, 6)
    assert result.comparison.greedy_wins
    step = next(step for step in result.steps if step.kind is StepKind.COMPARISON)
    assert step_text_en(step, units_per_zloty=1) == (
        "Comparison step: MES preferred by 4 voters, greedy by 6 voters (greedy by votes funds "
        "2 projects for PLN\u00a0100); more voters prefer the greedy result, so it stands."
    )
    assert step_text_pl(step, units_per_zloty=1) == (
        "Krok porównania: wynik metody równych udziałów woli 4 głosujących, wynik zachłanny "
        "(projektów: 2, za 100\u00a0zł) – 6 głosujących; więcej głosujących woli wynik zachłanny, "
        "więc to on obowiązuje."
    )
    # the greedy steps follow, so each project's last step is its final outcome
    assert result.steps[-1].kind is StepKind.SKIPPED_DOES_NOT_FIT


def test_comparison_by_at_least_one_project_keeps_equal_shares_there():
    result = allocate(MAJORITY, MesOptions(comparison=Comparison.AT_LEAST_ONE))

    assert set(result.funded) == {"big1", "local1", "local2"}
    assert (result.comparison.prefer_mes, result.comparison.prefer_greedy) == (4, 0)
    assert result.to_dict()["comparison"] == {
        "criterion": "at_least_one",
        "prefer_mes": 4,
        "prefer_greedy": 0,
        "greedy_funded": ["big1", "big2"],
        "kept": "equal_shares",
    }


def test_comparison_keeps_equal_shares_when_more_voters_prefer_it():
    result = allocate(MINORITIES, MesOptions(comparison=Comparison.SATISFACTION))

    assert set(result.funded) == {"big1", "x", "y"}
    assert (result.comparison.prefer_mes, result.comparison.prefer_greedy) == (4, 3)
    assert result.steps[-1].kind is StepKind.COMPARISON


def test_without_comparison_nothing_is_recorded():
    result = allocate(MAJORITY, MesOptions())

    assert result.comparison is None
    assert "comparison" not in result.to_dict()
    assert result.to_dict()["mes_options"]["completion"] == "add1_utilitarian"


def satisfaction(ballot: Collection[str], funded: Collection[str], criterion: Comparison) -> int:
    wins = len(set(ballot) & set(funded))
    return min(wins, 1) if criterion is Comparison.AT_LEAST_ONE else wins


@given(
    elections(),
    st.integers(0, 300),
    st.sampled_from([Comparison.SATISFACTION, Comparison.AT_LEAST_ONE]),
    st.sampled_from(list(MesCompletion)),
    st.sampled_from(list(Add1Stop)),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_comparison_counts_each_voter_and_keeps_mes_unless_greedy_wins(
    election, budget, criterion, completion, stop
):
    projects, ballots = election
    options = MesOptions(completion=completion, add1_stop=stop)
    mes = equal_shares_allocate(projects=projects, ballots=ballots, budget=budget, options=options)
    compared = equal_shares_allocate(
        projects=projects,
        ballots=ballots,
        budget=budget,
        options=MesOptions(completion=completion, add1_stop=stop, comparison=criterion),
    )
    votes = {project.id: sum(project.id in ballot for ballot in ballots) for project in projects}
    greedy = greedy_allocate(
        projects=[Project(p.id, p.cost, votes[p.id]) for p in projects], budget=budget
    )
    for_mes = for_greedy = 0
    for ballot in ballots:
        mine = satisfaction(ballot, mes.funded, criterion)
        theirs = satisfaction(ballot, greedy.funded, criterion)
        for_mes += mine > theirs
        for_greedy += theirs > mine

    result = compared.comparison
    assert (result.prefer_mes, result.prefer_greedy) == (for_mes, for_greedy)
    assert compared.funded == (greedy.funded if for_greedy > for_mes else mes.funded)
    assert compared.spent <= budget


@given(elections(), st.integers(0, 300), st.sampled_from(list(Add1Start)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_exhaustive_add_one_matches_pabutools_and_over_budget_goes_on_from_there(
    election, budget, start
):
    projects, ballots = election
    exhaustive = equal_shares_allocate(
        projects=projects,
        ballots=ballots,
        budget=budget,
        options=MesOptions(completion=MesCompletion.ADD1, add1_stop=Add1Stop.EXHAUSTIVE),
    )
    over_budget = equal_shares_allocate(
        projects=projects,
        ballots=ballots,
        budget=budget,
        options=MesOptions(completion=MesCompletion.ADD1, add1_start=start),
    )
    instance, profile = pabutools_election(projects, ballots, budget)

    assert set(exhaustive.funded) == pabutools_mes(
        instance, profile, add_one=True, fill_greedy=False
    )
    assert over_budget.spent <= budget
    if start is Add1Start.EXACT:
        # the over-budget rule goes on past the exhaustive outcome, accepting only what fits
        assert mes_runs(over_budget)[: len(mes_runs(exhaustive)) - 1] == [
            (run, MesOutcome.CONTINUE) for run, _ in mes_runs(exhaustive)[:-1]
        ]


@given(elections(), st.integers(1, 300), st.integers(0, 40))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_floating_point_run_buys_what_the_exact_run_buys_or_refuses(election, budget, extra):
    projects, ballots = election
    if not ballots:
        return
    profile = mes_profile(
        ids=[p.id for p in projects], costs=[p.cost for p in projects], ballots=ballots
    )
    in_play = [i for i, cost in enumerate(profile.costs) if cost > 0 and profile.votes[i] > 0]
    per_voter = Fraction(budget, len(ballots)) + extra
    fast = mes_float_run(profile=profile, per_voter=per_voter, in_play=in_play)
    exact = mes_run(
        profile=profile, per_voter=per_voter, in_play=in_play, tie_order=None, tie_seed=None
    )

    if fast is not None:
        assert (fast.funded, fast.spent) == (exact.funded, exact.spent)
        assert all(len(purchase.tied) == 1 for purchase in exact.purchases)  # no tie in it
