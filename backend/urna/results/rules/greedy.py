"""Greedy allocation by score, the rule most Polish municipalities write into their BO resolution.

Projects are ranked by score (votes, or points), highest first; ties are ordered by the
recorded public draw (see `ties`). Walking down the ranking, a project that fits the money
left is funded; one that does not fit is skipped and the next one tried ("skip-to-fit"), or,
with ``stop_at_first_misfit=True``, the allocation ends there. Projects whose score is below
the minimum threshold cannot win. A project with score 0 is treated like any other: it is
funded if it fits, unless a threshold of at least 1 excludes it (pabutools does the same).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import groupby

from urna.results.rules.ties import check_tie_arguments, tie_group_order
from urna.results.rules.types import Allocation, Project, Step, StepKind, TieGroup


def minimum_score(
    *,
    threshold_votes: int | None = None,
    threshold_percent: Decimal | Fraction | int | None = None,
    voter_count: int | None = None,
) -> int:
    """The lowest score a project needs to be eligible (0 when there is no threshold).

    ``threshold_percent`` is a percentage of the pool's voters (e.g. ``Decimal("2.5")``):
    a project needs ``score >= percent * voter_count / 100``. Scores are integers, so that is
    ``score >= ceil(percent * voter_count / 100)``; computed exactly, without floats.
    Given both thresholds, a project must pass both.
    """
    needed = 0
    if threshold_votes is not None:
        if threshold_votes < 0:
            raise ValueError("threshold_votes must not be negative")
        needed = threshold_votes
    if threshold_percent is not None:
        if voter_count is None:
            raise ValueError("threshold_percent needs voter_count (the pool's voters)")
        percent = Fraction(threshold_percent)
        if not 0 <= percent <= 100:
            raise ValueError("threshold_percent must be between 0 and 100")
        needed = max(needed, math.ceil(percent * voter_count / 100))
    return needed


def greedy_allocate(
    *,
    projects: Iterable[Project],
    budget: int,
    stop_at_first_misfit: bool = False,
    threshold_votes: int | None = None,
    threshold_percent: Decimal | Fraction | int | None = None,
    voter_count: int | None = None,
    tie_order: Sequence[str] | None = None,
    tie_seed: int | None = None,
    pool_id: str | None = None,
) -> Allocation:
    """Fund projects by descending score within ``budget``; see the module docstring."""
    check_tie_arguments(tie_order=tie_order, tie_seed=tie_seed)
    project_list = _checked_projects(projects, budget)
    needed = minimum_score(
        threshold_votes=threshold_votes,
        threshold_percent=threshold_percent,
        voter_count=voter_count,
    )
    ranking, ties = _ranking(project_list, needed, tie_order, tie_seed)
    tie_step_before = {group.order[0]: group for group in ties}

    steps: list[Step] = []
    funded: list[str] = []
    money_left = budget
    stopped = False
    for project in ranking:
        group = tie_step_before.get(project.id)
        if group is not None:
            steps.append(_tie_step(group, pool_id))
        if project.score < needed:
            steps.append(_step(StepKind.BELOW_THRESHOLD, project, money_left, pool_id, needed))
        elif stopped:
            steps.append(_step(StepKind.NOT_CONSIDERED, project, money_left, pool_id))
        elif project.cost <= money_left:
            money_left -= project.cost
            funded.append(project.id)
            steps.append(_step(StepKind.FUNDED, project, money_left, pool_id))
        elif stop_at_first_misfit:
            stopped = True
            steps.append(_step(StepKind.STOPPED, project, money_left, pool_id))
        else:
            steps.append(_step(StepKind.SKIPPED_DOES_NOT_FIT, project, money_left, pool_id))
    return Allocation(
        budget=budget,
        funded=tuple(funded),
        spent=budget - money_left,
        steps=tuple(steps),
        ties=ties,
        pool_id=pool_id,
        rule="greedy_stop" if stop_at_first_misfit else "greedy",
    )


def _checked_projects(projects: Iterable[Project], budget: int) -> list[Project]:
    if budget < 0:
        raise ValueError("budget must not be negative")
    project_list = list(projects)
    ids = [project.id for project in project_list]
    if len(set(ids)) != len(ids):
        raise ValueError("project ids must be unique")
    return project_list


def _ranking(
    projects: list[Project],
    needed: int,
    tie_order: Sequence[str] | None,
    tie_seed: int | None,
) -> tuple[list[Project], tuple[TieGroup, ...]]:
    """Projects by descending score, each tie group in its draw order.

    Tie groups below the threshold are not drawn: they cannot win, so no draw is needed.
    """
    by_id = {project.id: project for project in projects}
    ranked: list[Project] = []
    ties: list[TieGroup] = []
    by_score = sorted(projects, key=lambda project: (-project.score, project.id))
    for score, members in groupby(by_score, key=lambda project: project.score):
        ids = [project.id for project in members]
        if len(ids) > 1 and score >= needed:
            order, method = tie_group_order(project_ids=ids, tie_order=tie_order, tie_seed=tie_seed)
            ties.append(
                TieGroup(
                    project_ids=tuple(ids),
                    order=order,
                    method=method,
                    score=score,
                    seed=tie_seed,
                )
            )
            ids = list(order)
        ranked.extend(by_id[project_id] for project_id in ids)
    return ranked, tuple(ties)


def _step(
    kind: StepKind,
    project: Project,
    money_left: int,
    pool_id: str | None,
    threshold: int | None = None,
) -> Step:
    return Step(
        kind=kind,
        project_id=project.id,
        pool_id=pool_id,
        cost=project.cost,
        score=project.score,
        money_left=money_left,
        threshold=threshold,
    )


def _tie_step(group: TieGroup, pool_id: str | None) -> Step:
    return Step(
        kind=StepKind.TIE_RESOLVED,
        pool_id=pool_id,
        score=group.score,
        tied_ids=group.order,
        tie_method=group.method,
        round=group.round,
    )
