"""Method of Equal Shares on tiny hand-made pools, each also checked against pabutools."""

from __future__ import annotations

from fractions import Fraction

import pytest

from urna.results.rules import (
    Add1Stop,
    MesCompletion,
    MesOptions,
    MesOutcome,
    Project,
    StepKind,
    TieDrawIncomplete,
    TieMethod,
    equal_shares_allocate,
)

from .pabutools_bridge import pabutools_election, pabutools_mes

PLAIN = MesOptions(completion=MesCompletion.NONE)
BY_VOTES = MesOptions(completion=MesCompletion.UTILITARIAN)
# pabutools' add one (``voter_budget_increment=1``) stops at the first exhaustive outcome
PABUTOOLS_ADD1 = MesOptions(add1_stop=Add1Stop.EXHAUSTIVE)

# 4 voters, budget 100 (25 each). A is paid by its 2 supporters at once. B and C each have
# one supporter, who can pay 30 only from run 6 (30 per voter) - but then A, B and C cost 110:
# over budget, so run 5 (29 per voter, A only) stands and greedy completion adds B
# (B and C tie on 1 vote; without a draw, the lower id goes first).
OVERSPEND = (
    [Project("A", 50), Project("B", 30), Project("C", 30)],
    [("A",), ("A",), ("B",), ("C",)],
    100,
)

# 2 + 2 voters, budget 100 (25 each): A and B cost the same and have the same votes, so
# their price per unit is equal in round 1 - a tie only the draw can settle. Both are funded.
TIE = (
    [Project("A", 50), Project("B", 50)],
    [("A",), ("A",), ("B",), ("B",)],
    100,
)


def allocate(case, **options):
    projects, ballots, budget = case
    return equal_shares_allocate(projects=projects, ballots=ballots, budget=budget, **options)


def pabutools_result(case, **options):
    instance, profile = pabutools_election(*case)
    return pabutools_mes(instance, profile, **options)


def test_add_one_stops_before_overspending_and_completes_greedily():
    result = allocate(OVERSPEND)

    assert result.funded == ("A", "B")
    assert set(result.funded) == pabutools_result(OVERSPEND, add_one=True, fill_greedy=True)
    assert result.per_voter_budget == 29
    assert result.spent == 80
    runs = [step for step in result.steps if step.kind is StepKind.MES_ROUND]
    assert [(step.run, step.per_voter_budget, step.mes_outcome) for step in runs] == [
        (1, 25, MesOutcome.CONTINUE),
        (2, 26, MesOutcome.CONTINUE),
        (3, 27, MesOutcome.CONTINUE),
        (4, 28, MesOutcome.CONTINUE),
        (5, 29, MesOutcome.CONTINUE),
        (6, 30, MesOutcome.INFEASIBLE),
    ]
    assert runs[-1].spent == 110


def test_step_log_shows_purchases_then_completion():
    result = allocate(OVERSPEND)
    tail = [step for step in result.steps if step.kind is not StepKind.MES_ROUND]

    assert [(step.kind, step.project_id) for step in tail] == [
        (StepKind.MES_VARIANT, None),
        (StepKind.FUNDED, "A"),
        (StepKind.COMPLETION, None),
        (StepKind.TIE_RESOLVED, None),
        (StepKind.FUNDED, "B"),
        (StepKind.SKIPPED_DOES_NOT_FIT, "C"),
    ]
    assert (tail[0].completion, tail[0].add1_stop) == ("add1_utilitarian", "over_budget")
    funded_by_mes = tail[1]
    assert funded_by_mes.round == 1
    assert funded_by_mes.max_payment == 25  # each of the two supporters pays 25
    assert funded_by_mes.money_left == 50
    assert tail[2].money_left == 50
    assert tail[5].money_left == 20
    assert result.draw_needed  # B and C tied in the completion


def test_without_completion_a_single_run_is_the_result():
    result = allocate(OVERSPEND, options=PLAIN)

    assert result.funded == ("A",)
    assert set(result.funded) == pabutools_result(OVERSPEND, add_one=False, fill_greedy=False)
    assert [step.mes_outcome for step in result.steps if step.kind is StepKind.MES_ROUND] == [
        MesOutcome.FINAL
    ]


def test_equal_price_tie_is_recorded_and_broken_by_the_draw():
    fallback = allocate(TIE)
    drawn = allocate(TIE, tie_order=["B", "A"])

    assert fallback.funded == ("A", "B")
    assert set(fallback.funded) == pabutools_result(TIE, add_one=True, fill_greedy=True)
    assert fallback.per_voter_budget == 25
    (group,) = fallback.ties
    assert (group.round, group.order, group.method) == (1, ("A", "B"), TieMethod.FALLBACK_ID)
    assert drawn.funded == ("B", "A")
    assert drawn.ties[0].method is TieMethod.EXPLICIT
    assert not drawn.draw_needed
    with pytest.raises(TieDrawIncomplete):
        allocate(TIE, tie_order=["B"])


def test_equal_price_goes_to_the_lower_cost_before_any_draw():
    # Everyone can pay, so the price per unit of cost is 1 / votes: C (4 votes) 1/4 first,
    # then A and B (2 votes each) tie at 1/2; A costs less, so it goes first although the
    # recorded draw puts B before A. (More votes come before the lower cost: the hypothesis
    # test against pabutools checks that order on many random elections.)
    projects = [Project("B", 30), Project("A", 20), Project("C", 60)]
    ballots = [("A",), ("A",), ("B",), ("B",), ("C",), ("C",), ("C",), ("C",)]
    result = equal_shares_allocate(
        projects=projects, ballots=ballots, budget=400, options=PLAIN, tie_order=["B", "A", "C"]
    )

    assert result.funded == ("C", "A", "B")
    assert result.ties == ()  # votes and cost settled it: no draw was used
    assert set(result.funded) == pabutools_result(
        (projects, ballots, 400), add_one=False, fill_greedy=False
    )


def test_a_supporter_short_of_the_cap_pays_all_they_have_and_the_others_more():
    # 4 voters, budget 120 (30 each). X (cost 60, voters 1-3) is cheapest per unit: 20 each.
    # Y (cost 35, voters 3 and 4): an equal split would be 17.5, but voter 3 has only 10 left,
    # so voter 3 pays those 10 and voter 4 the other 25.
    projects = [Project("X", 60), Project("Y", 35)]
    ballots = [("X",), ("X",), ("X", "Y"), ("Y",)]
    result = equal_shares_allocate(projects=projects, ballots=ballots, budget=120, options=PLAIN)
    purchases = [step for step in result.steps if step.kind is StepKind.FUNDED]

    assert [(step.project_id, step.max_payment, step.money_left) for step in purchases] == [
        ("X", Fraction(20), 60),
        ("Y", Fraction(25), 25),
    ]
    assert set(result.funded) == pabutools_result(
        (projects, ballots, 120), add_one=False, fill_greedy=False
    )


def test_proportional_outcome_differs_from_greedy():
    # 6 voters like the two big city projects, 4 like the local ones. Greedy by votes would
    # spend everything on the majority; equal shares gives the minority its share.
    projects = [
        Project("big1", 50),
        Project("big2", 50),
        Project("local1", 40),
        Project("local2", 10),
    ]
    ballots = [("big1", "big2")] * 6 + [("local1", "local2")] * 4
    result = equal_shares_allocate(projects=projects, ballots=ballots, budget=100)

    assert set(result.funded) == {"big1", "local1", "local2"}
    assert set(result.funded) == pabutools_result(
        (projects, ballots, 100), add_one=True, fill_greedy=True
    )


def test_empty_ballots_count_as_voters_and_free_projects_wait_for_the_completion():
    projects = [Project("free", 0), Project("A", 30)]
    ballots = [("free", "A"), (), (), ()]  # one supporter with 25: A (30) is unaffordable
    plain = equal_shares_allocate(projects=projects, ballots=ballots, budget=100, options=PLAIN)
    completed = equal_shares_allocate(
        projects=projects, ballots=ballots, budget=100, options=BY_VOTES
    )

    assert plain.funded == ()
    assert plain.per_voter_budget == 25
    assert completed.funded == ("A", "free")


def test_no_voters_leaves_everything_to_the_completion():
    result = equal_shares_allocate(projects=[Project("A", 30)], ballots=[], budget=100)

    assert result.funded == ("A",)
    assert result.per_voter_budget is None


def test_invalid_input_is_refused():
    with pytest.raises(ValueError, match="unknown project"):
        equal_shares_allocate(projects=[Project("A", 1)], ballots=[("B",)], budget=5)
    with pytest.raises(ValueError, match="increment"):
        equal_shares_allocate(projects=[Project("A", 1)], ballots=[], budget=5, increment=0)
