"""Reference results from pabutools 1.2.3, to check Urna's rules against.

Greedy by score: pabutools' greedy ranks by total satisfaction / cost. With ``Cost_Sat``
(satisfaction = cost of an approved project) that is the number of votes; for ordinal and
cumulative ballots ``ScoreTimesCostSat`` (points x cost) makes it the number of points.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from pabutools.election import (
    AdditiveSatisfaction,
    ApprovalBallot,
    ApprovalProfile,
    Cost_Sat,
    Instance,
    OrdinalBallot,
    SatisfactionProfile,
)
from pabutools.election import Project as PabuProject
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
)
from pabutools.tiebreaking import TieBreakingRule

from urna.results.rules import Project


def pabutools_election(
    projects: Sequence[Project], ballots: Sequence[Collection[str]], budget: int
) -> tuple[Instance, ApprovalProfile]:
    by_id = {project.id: PabuProject(project.id, project.cost) for project in projects}
    instance = Instance(by_id.values(), budget_limit=budget)
    profile = ApprovalProfile(
        [ApprovalBallot(by_id[project_id] for project_id in ballot) for ballot in ballots]
    )
    return instance, profile


# Urna's equal shares settles equal prices by more votes, then the lower cost, then the draw
# (by default ascending id); pabutools' greedy completion keeps its lexicographic default,
# which is Urna's greedy without a draw.
VOTES_THEN_COST = TieBreakingRule(
    lambda instance, profile, project: (
        -profile.approval_score(project),
        project.cost,
        project.name,
    )
)


def pabutools_mes(instance, profile, *, add_one: bool, fill_greedy: bool) -> set[str]:
    """MES with Cost_Sat; with add one (increment 1, stopping at the first exhaustive
    outcome) and greedy completion when asked."""
    mes_params = {"sat_class": Cost_Sat, "tie_breaking": VOTES_THEN_COST}
    if add_one:
        mes_params["voter_budget_increment"] = 1
    if not fill_greedy:
        return {project.name for project in method_of_equal_shares(instance, profile, **mes_params)}
    outcome = completion_by_rule_combination(
        instance,
        profile,
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [mes_params, {"sat_class": Cost_Sat}],
    )
    return {project.name for project in outcome}


def pabutools_greedy(instance, profile, *, sat_class=Cost_Sat, min_score=None, scores=None):
    """Greedy by score; projects below ``min_score`` are removed from the instance first.

    The satisfactions are built on ``instance``: pabutools' parser leaves the profile's own
    instance empty, without the META ``max_length`` that ordinal points are counted over."""
    if min_score is not None:
        kept = [project for project in instance if scores[project.name] >= min_score]
        instance = Instance(kept, budget_limit=instance.budget_limit, meta=instance.meta)
    satisfactions = SatisfactionProfile(instance=instance, profile=profile, sat_class=sat_class)
    outcome = greedy_utilitarian_welfare(
        instance, profile, sat_profile=satisfactions, is_sat_additive=True
    )
    return {project.name for project in outcome}


def _points_times_cost(instance, profile, ballot, project, precomputed_values):
    """Points the ballot gives the project, times its cost (see the module docstring)."""
    if project not in ballot:
        return 0
    if isinstance(ballot, OrdinalBallot):  # Borda-like: k, k-1, ... points (Kraków: 3/2/1)
        places = int(instance.meta.get("max_length") or len(ballot))
        return (places - ballot.position(project)) * project.cost
    return ballot[project] * project.cost  # cumulative: the points given


class ScoreTimesCostSat(AdditiveSatisfaction):
    def __init__(self, instance, profile, ballot):
        AdditiveSatisfaction.__init__(self, instance, profile, ballot, _points_times_cost)
