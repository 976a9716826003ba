"""Leftover money moving between pools."""

from __future__ import annotations

import pytest

from urna.results.rules import (
    Project,
    StepKind,
    Transfer,
    equal_shares_allocate,
    greedy_allocate,
    transfers_apply,
)

NORTH = [Project("N1", 70, 90), Project("N2", 50, 80)]  # budget 100: N1 funded, 30 left
SOUTH = [Project("S1", 95, 60)]  # budget 100: 5 left
CITY = [Project("C1", 300, 500), Project("C2", 120, 400), Project("C3", 30, 100)]


def city(budget: int):
    return greedy_allocate(projects=CITY, budget=budget, pool_id="city")


def south(budget: int):
    return greedy_allocate(projects=SOUTH, budget=budget, pool_id="south")


def district_results():
    return {
        "north": greedy_allocate(projects=NORTH, budget=100, pool_id="north"),
        "south": greedy_allocate(projects=SOUTH, budget=100, pool_id="south"),
        "city": city(400),
    }


def test_district_leftovers_go_to_the_city_pool_which_is_recomputed():
    results = district_results()
    assert results["city"].funded == ("C1", "C3")  # C2 (120) does not fit after C1: 100 left

    outcome = transfers_apply(
        results=results,
        transfers=[Transfer("north", "city"), Transfer("south", "city")],
        recompute={"city": city},
    )

    # 400 + 30 + 5 = 435: C1 (300), C2 (120), then C3 (30) no longer fits
    assert outcome.results["city"].budget == 435
    assert outcome.results["city"].funded == ("C1", "C2")
    assert outcome.results["north"].funded == ("N1",)  # givers keep their funded set
    assert outcome.given == {"north": 30, "south": 5}
    assert outcome.received == {"city": 35}
    assert outcome.leftover("north") == 0
    assert outcome.leftover("city") == 15
    assert [(s.kind, s.pool_id, s.other_pool_id, s.amount) for s in outcome.steps] == [
        (StepKind.TRANSFER_OUT, "north", "city", 30),
        (StepKind.TRANSFER_IN, "city", "north", 30),
        (StepKind.TRANSFER_OUT, "south", "city", 5),
        (StepKind.TRANSFER_IN, "city", "south", 5),
        (StepKind.RECOMPUTED, "city", None, None),
    ]
    assert outcome.steps[1].budget == 430
    assert outcome.steps[3].budget == 435
    recomputed = outcome.steps[-1]
    assert (recomputed.budget, recomputed.spent, recomputed.money_left) == (435, 420, 15)


def test_a_pool_that_gave_cannot_receive_and_amounts_are_bounded():
    results = district_results()
    with pytest.raises(ValueError, match="already passed"):
        transfers_apply(
            results=results,
            transfers=[Transfer("north", "city"), Transfer("city", "north")],
            recompute={"city": city, "north": lambda budget: results["north"]},
        )
    with pytest.raises(ValueError, match="cannot pass on 31"):
        transfers_apply(
            results=results,
            transfers=[Transfer("north", "city", amount=31)],
            recompute={"city": city},
        )
    with pytest.raises(ValueError, match="recompute"):
        transfers_apply(results=results, transfers=[Transfer("north", "south")], recompute={})


def test_receiving_pool_recomputed_before_it_passes_money_on():
    results = district_results()
    # north's 30 go to south (budget 130 still funds S1 only: 35 left), then south passes all

    outcome = transfers_apply(
        results=results,
        transfers=[Transfer("north", "south"), Transfer("south", "city")],
        recompute={"south": south, "city": city},
    )

    assert [step.kind for step in outcome.steps] == [
        StepKind.TRANSFER_OUT,
        StepKind.TRANSFER_IN,
        StepKind.RECOMPUTED,
        StepKind.TRANSFER_OUT,
        StepKind.TRANSFER_IN,
        StepKind.RECOMPUTED,
    ]
    assert outcome.given == {"north": 30, "south": 35}
    assert outcome.results["city"].budget == 435


def test_equal_shares_pool_can_receive_leftovers():
    ballots = [("C1",), ("C2",), ("C2",), ("C3",)]

    def mes_city(budget: int):
        return equal_shares_allocate(projects=CITY, ballots=ballots, budget=budget, pool_id="city")

    results = {**district_results(), "city": mes_city(400)}

    outcome = transfers_apply(
        results=results, transfers=[Transfer("north", "city")], recompute={"city": mes_city}
    )

    assert outcome.results["city"].budget == 430
    assert outcome.results["city"].rule == "equal_shares"
