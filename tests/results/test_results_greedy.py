"""Greedy by score on tiny hand-made pools."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest

from urna.results.rules import (
    Project,
    StepKind,
    TieDrawIncomplete,
    TieMethod,
    greedy_allocate,
    minimum_score,
    seeded_order,
)

# budget 100: A fits (60 left), B does not fit (70 > 40), C fits (10 left), D fits (0 left)
POOL = [
    Project(id="A", cost=40, score=50),
    Project(id="B", cost=70, score=40),
    Project(id="C", cost=30, score=30),
    Project(id="D", cost=10, score=20),
]


def kinds(result):
    return [(step.kind, step.project_id) for step in result.steps]


def test_skip_to_fit_funds_later_projects_that_fit():
    result = greedy_allocate(projects=POOL, budget=100)

    assert result.funded == ("A", "C", "D")
    assert result.spent == 80
    assert result.money_left == 20
    assert kinds(result) == [
        (StepKind.FUNDED, "A"),
        (StepKind.SKIPPED_DOES_NOT_FIT, "B"),
        (StepKind.FUNDED, "C"),
        (StepKind.FUNDED, "D"),
    ]
    assert [step.money_left for step in result.steps] == [60, 60, 30, 20]


def test_stop_at_first_misfit_ends_the_allocation():
    result = greedy_allocate(projects=POOL, budget=100, stop_at_first_misfit=True)

    assert result.funded == ("A",)
    assert result.rule == "greedy_stop"
    assert kinds(result) == [
        (StepKind.FUNDED, "A"),
        (StepKind.STOPPED, "B"),
        (StepKind.NOT_CONSIDERED, "C"),
        (StepKind.NOT_CONSIDERED, "D"),
    ]


def test_funded_step_records_cost_score_and_money_left():
    step = greedy_allocate(projects=POOL, budget=100, pool_id="city").steps[0]

    assert step.to_dict() == {
        "kind": "funded",
        "project_id": "A",
        "pool_id": "city",
        "cost": 40,
        "score": 50,
        "money_left": 60,
    }


def test_result_serialises_to_json():
    result = greedy_allocate(projects=TIED, budget=70, tie_seed=5, pool_id="city")
    data = json.loads(json.dumps(result.to_dict()))

    assert data["funded"] == list(result.funded)
    assert data["money_left"] == result.money_left
    assert data["ties"][0]["method"] == "seed"
    assert data["ties"][0]["seed"] == 5
    assert data["steps"][1]["kind"] == "tie_resolved"


def test_absolute_threshold_excludes_projects_below_it():
    result = greedy_allocate(projects=POOL, budget=1000, threshold_votes=30)

    assert result.funded == ("A", "B", "C")  # C has exactly 30: not below
    below = [step for step in result.steps if step.kind is StepKind.BELOW_THRESHOLD]
    assert [(step.project_id, step.score, step.threshold) for step in below] == [("D", 20, 30)]


def test_percent_threshold_is_taken_of_the_pool_voters():
    # 25% of 150 voters = 37.5 votes -> at least 38 needed
    result = greedy_allocate(
        projects=POOL, budget=1000, threshold_percent=Decimal("25"), voter_count=150
    )

    assert result.funded == ("A", "B")
    assert {step.threshold for step in result.steps if step.threshold} == {38}


def test_minimum_score_is_exact_and_takes_the_stricter_threshold():
    assert minimum_score(threshold_percent=Decimal("2.5"), voter_count=1000) == 25
    assert minimum_score(threshold_percent=Decimal("2.5"), voter_count=1001) == 26
    assert minimum_score(threshold_votes=30, threshold_percent=10, voter_count=100) == 30
    assert minimum_score() == 0
    with pytest.raises(ValueError, match="voter_count"):
        minimum_score(threshold_percent=5)


TIED = [
    Project(id="P1", cost=60, score=10),
    Project(id="P2", cost=60, score=10),
    Project(id="P3", cost=60, score=10),
    Project(id="Q", cost=10, score=99),
]


def test_tie_without_draw_falls_back_to_id_and_says_a_draw_is_needed():
    result = greedy_allocate(projects=TIED, budget=70)

    assert result.funded == ("Q", "P1")
    assert result.draw_needed
    (group,) = result.ties
    assert group.project_ids == ("P1", "P2", "P3")
    assert group.order == ("P1", "P2", "P3")
    assert group.method is TieMethod.FALLBACK_ID
    tie_step = result.steps[1]
    assert tie_step.kind is StepKind.TIE_RESOLVED
    assert tie_step.tied_ids == ("P1", "P2", "P3")
    assert tie_step.score == 10


def test_tie_by_explicit_draw_order():
    result = greedy_allocate(projects=TIED, budget=70, tie_order=["P3", "Q", "P1", "P2"])

    assert result.funded == ("Q", "P3")
    assert not result.draw_needed
    assert result.ties[0].order == ("P3", "P1", "P2")
    assert result.ties[0].method is TieMethod.EXPLICIT


def test_explicit_draw_order_must_cover_every_tied_project():
    with pytest.raises(TieDrawIncomplete, match="P2"):
        greedy_allocate(projects=TIED, budget=70, tie_order=["P3", "P1"])


def test_tie_by_seed_is_reproducible_from_the_documented_recipe():
    first = greedy_allocate(projects=TIED, budget=70, tie_seed=2024)
    again = greedy_allocate(projects=list(reversed(TIED)), budget=70, tie_seed=2024)

    ids = ["P1", "P2", "P3"]
    random.Random("2024:P1,P2,P3").shuffle(ids)
    assert first.ties[0].order == tuple(ids) == seeded_order(project_ids=ids, seed=2024)
    assert first.ties[0].method is TieMethod.SEED
    assert first.ties[0].seed == 2024
    assert first.funded == again.funded == ("Q", ids[0])
    assert not first.draw_needed


def test_different_seeds_give_every_order_eventually():
    orders = {seeded_order(project_ids=["P1", "P2", "P3"], seed=seed) for seed in range(200)}
    assert len(orders) == 6


def test_tie_below_threshold_needs_no_draw():
    result = greedy_allocate(projects=TIED, budget=1000, threshold_votes=11)

    assert result.ties == ()
    assert not result.draw_needed


def test_zero_cost_project_always_fits_and_zero_budget_funds_nothing_else():
    projects = [Project(id="free", cost=0, score=1), Project(id="paid", cost=5, score=9)]
    result = greedy_allocate(projects=projects, budget=0)

    assert result.funded == ("free",)


def test_invalid_input_is_refused():
    with pytest.raises(ValueError, match="unique"):
        greedy_allocate(projects=[Project("A", 1, 1), Project("A", 2, 2)], budget=5)
    with pytest.raises(ValueError, match="negative"):
        Project(id="A", cost=-1)
    with pytest.raises(ValueError, match="either"):
        greedy_allocate(projects=POOL, budget=5, tie_order=["A"], tie_seed=1)
