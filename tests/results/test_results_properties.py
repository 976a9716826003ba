"""Properties of the rules on random pools (hypothesis), and equal shares against pabutools;
greedy on random pabulib files of each vote type against pabutools."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pabutools.election import Cost_Sat
from pabutools.election.pabulib import parse_pabulib_from_string

from urna.results.pabulib import PbInstance, PbProject, PbVote, pabulib_allocate
from urna.results.pabulib_write import pabulib_dumps
from urna.results.rules import (
    Add1Stop,
    MesCompletion,
    MesOptions,
    Project,
    equal_shares_allocate,
    greedy_allocate,
)

from .pabutools_bridge import ScoreTimesCostSat, pabutools_election, pabutools_greedy, pabutools_mes

IDS = [f"p{number}" for number in range(1, 10)]


@st.composite
def pools(draw, *, max_projects=8, max_cost=100, max_score=12):
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=max_projects, unique=True))
    # Small score range on purpose: ties are common and must be handled.
    return [
        Project(
            id=project_id,
            cost=draw(st.integers(0, max_cost)),
            score=draw(st.integers(0, max_score)),
        )
        for project_id in ids
    ]


@st.composite
def elections(draw, *, max_voters=10):
    projects = draw(pools(max_projects=6, max_cost=60))
    ids = [project.id for project in projects]
    ballots = draw(
        st.lists(
            st.lists(st.sampled_from(ids), max_size=len(ids), unique=True),
            max_size=max_voters,
        )
    )
    return projects, ballots


budgets = st.integers(0, 300)
tie_draws = st.one_of(
    st.none().map(lambda _: {}),
    st.integers(0, 10**6).map(lambda seed: {"tie_seed": seed}),
    st.permutations(IDS).map(lambda order: {"tie_order": order}),
)
greedy_options = st.fixed_dictionaries(
    {
        "stop_at_first_misfit": st.booleans(),
        "threshold_votes": st.none() | st.integers(0, 12),
    }
)


def cost_of(projects, funded):
    by_id = {project.id: project for project in projects}
    return sum(by_id[project_id].cost for project_id in funded)


@given(pools(), budgets, greedy_options, tie_draws)
def test_greedy_never_exceeds_the_budget(projects, budget, options, tie_draw):
    result = greedy_allocate(projects=projects, budget=budget, **options, **tie_draw)

    assert result.spent == cost_of(projects, result.funded) <= budget
    assert len(set(result.funded)) == len(result.funded)


@given(pools(), budgets, greedy_options, tie_draws)
def test_greedy_never_prefers_fewer_votes_at_no_lower_cost(projects, budget, options, tie_draw):
    result = greedy_allocate(projects=projects, budget=budget, **options, **tie_draw)
    funded = set(result.funded)

    for left_out in projects:
        if left_out.id in funded:
            continue
        for winner in projects:
            if winner.id in funded and winner.score < left_out.score:
                assert winner.cost < left_out.cost, (left_out, winner)


@given(pools(), budgets, tie_draws)
def test_skip_to_fit_leaves_no_eligible_project_that_still_fits(projects, budget, tie_draw):
    result = greedy_allocate(projects=projects, budget=budget, **tie_draw)
    funded = set(result.funded)

    assert all(p.cost > result.money_left for p in projects if p.id not in funded)


@given(pools(), budgets, greedy_options, tie_draws, st.randoms(use_true_random=False))
def test_greedy_does_not_depend_on_input_order(projects, budget, options, tie_draw, rng):
    shuffled = list(projects)
    rng.shuffle(shuffled)
    first = greedy_allocate(projects=projects, budget=budget, **options, **tie_draw)
    second = greedy_allocate(projects=shuffled, budget=budget, **options, **tie_draw)

    assert first == second


mes_options = st.builds(
    MesOptions,
    completion=st.sampled_from(list(MesCompletion)),
    add1_stop=st.sampled_from(list(Add1Stop)),
)


@given(elections(), budgets, mes_options, tie_draws)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_equal_shares_never_exceeds_the_budget(election, budget, options, tie_draw):
    projects, ballots = election
    result = equal_shares_allocate(
        projects=projects, ballots=ballots, budget=budget, options=options, **tie_draw
    )

    assert result.spent == cost_of(projects, result.funded) <= budget
    assert len(set(result.funded)) == len(result.funded)


@given(elections(), budgets, tie_draws, st.randoms(use_true_random=False))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_equal_shares_does_not_depend_on_input_order(election, budget, tie_draw, rng):
    projects, ballots = election
    shuffled_projects = list(projects)
    rng.shuffle(shuffled_projects)
    shuffled_ballots = [rng.sample(ballot, len(ballot)) for ballot in ballots]
    rng.shuffle(shuffled_ballots)

    first = equal_shares_allocate(projects=projects, ballots=ballots, budget=budget, **tie_draw)
    second = equal_shares_allocate(
        projects=shuffled_projects, ballots=shuffled_ballots, budget=budget, **tie_draw
    )

    assert first.funded == second.funded
    assert first.steps == second.steps


@given(elections(), budgets, st.booleans())
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_equal_shares_matches_pabutools(election, budget, add_one):
    """Same funded set as pabutools' MES (Cost_Sat), with and without add one (stopping at
    the first exhaustive outcome, as pabutools does) + completion by votes.

    Small integer costs and few voters make exact price ties frequent, so this also checks
    that ties go to more votes, then the lower cost, then the lower id.
    """
    projects, ballots = election
    options = MesOptions(
        completion=MesCompletion.ADD1_UTILITARIAN if add_one else MesCompletion.NONE,
        add1_stop=Add1Stop.EXHAUSTIVE,
    )
    ours = equal_shares_allocate(projects=projects, ballots=ballots, budget=budget, options=options)
    instance, profile = pabutools_election(projects, ballots, budget)

    assert set(ours.funded) == pabutools_mes(
        instance, profile, add_one=add_one, fill_greedy=add_one
    )


def test_seeded_draw_is_the_same_in_every_process():
    """The documented recipe gives a fixed order: anyone can recompute it."""
    ids = ["p1", "p2", "p3", "p4"]
    random.Random("7:p1,p2,p3,p4").shuffle(ids)
    result = greedy_allocate(
        projects=[Project(project_id, 1, 5) for project_id in ["p4", "p2", "p1", "p3"]],
        budget=10,
        tie_seed=7,
    )
    assert result.ties[0].order == tuple(ids)


@st.composite
def pabulib_files(draw, *, max_voters=8):
    """A small election of a random vote type, as pabulib holds it."""
    vote_type = draw(st.sampled_from(["approval", "ordinal", "cumulative", "scoring"]))
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=6, unique=True))
    projects = [PbProject(project_id, draw(st.integers(1, 60))) for project_id in ids]
    votes = []
    for number in range(draw(st.integers(0, max_voters))):
        chosen = tuple(draw(st.permutations(ids))[: draw(st.integers(1, len(ids)))])
        points = None
        if vote_type in ("cumulative", "scoring"):
            points = tuple(draw(st.integers(1, 5)) for _ in chosen)
        votes.append(PbVote(f"v{number}", chosen, points))
    meta = {"budget": str(draw(st.integers(0, 200))), "vote_type": vote_type, "rule": "greedy"}
    longest = max((len(vote.vote) for vote in votes), default=1)
    if vote_type == "ordinal" and draw(st.booleans()):  # Borda over max_length, not the ballot
        meta["max_length"] = str(draw(st.integers(longest, longest + 2)))
    columns = ("voter_id", "vote", "points") if vote_type in ("cumulative", "scoring") else None
    return PbInstance(meta, projects, votes, vote_columns=columns or ("voter_id", "vote"))


# Ballots shorter than max_length: their first place gets max_length points, not their length.
SHORT_RANKINGS = PbInstance(
    {"budget": "100", "vote_type": "ordinal", "rule": "greedy", "max_length": "3"},
    [PbProject("p1", 60), PbProject("p2", 50), PbProject("p3", 30), PbProject("p4", 20)],
    [
        PbVote("v1", ("p1", "p2", "p3")),
        PbVote("v2", ("p2", "p1")),
        PbVote("v3", ("p3", "p4", "p1")),
        PbVote("v4", ("p4",)),
    ],
)


@given(pabulib_files())
@example(SHORT_RANKINGS)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_greedy_of_a_pabulib_file_matches_pabutools(instance):
    """The same `.pb` text, read by each: votes for approval, points for cumulative and
    scoring, Borda-like points over META max_length (or the ballot) for ordinal."""
    text = pabulib_dumps(instance)
    theirs_instance, profile = parse_pabulib_from_string(text)
    approval = instance.vote_type == "approval"
    theirs = pabutools_greedy(
        theirs_instance, profile, sat_class=Cost_Sat if approval else ScoreTimesCostSat
    )

    assert set(pabulib_allocate(instance).funded) == theirs
