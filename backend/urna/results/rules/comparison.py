"""The comparison step of equal shares: its outcome against the greedy outcome by votes.

Each voter compares the two outcomes by their own approval ballot: with
``Comparison.SATISFACTION`` they prefer the one in which more of their approved projects win;
with ``Comparison.AT_LEAST_ONE`` the one in which at least one of them wins while in the other
none does. Voters with no preference (and empty ballots) count for neither. The MES outcome
stands unless strictly more voters prefer the greedy one; both counts are recorded.

A voter with no winning project in one outcome counts as having 0 there (the computation
tool's JavaScript leaves such voters out of its "satisfaction" counts; the rule as stated
counts them).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import numpy as np

from urna.results.rules.mes_run import MesProfile
from urna.results.rules.types import Allocation, Comparison, ComparisonResult, Step, StepKind


def voters_preferring(
    *,
    profile: MesProfile,
    first: Collection[str],
    second: Collection[str],
    criterion: Comparison,
) -> tuple[int, int]:
    """How many voters prefer ``first``, and how many ``second`` (funded project ids)."""
    first_wins = _winning_per_class(profile, first)
    second_wins = _winning_per_class(profile, second)
    if criterion is Comparison.AT_LEAST_ONE:
        first_wins, second_wins = first_wins > 0, second_wins > 0
    counts = profile.class_counts
    return int(counts[first_wins > second_wins].sum()), int(counts[second_wins > first_wins].sum())


def _winning_per_class(profile: MesProfile, funded: Collection[str]) -> np.ndarray:
    """For each distinct ballot, how many of its approved projects are in ``funded``."""
    position = {project_id: index for index, project_id in enumerate(profile.ids)}
    wins = np.zeros(len(profile.class_counts), dtype=np.int64)
    for project_id in funded:
        wins[profile.supporter_classes[position[project_id]]] += 1  # each class once a project
    return wins


def comparison_apply(
    *, profile: MesProfile, mes: Allocation, greedy: Allocation, criterion: Comparison
) -> Allocation:
    """``mes`` with the comparison step: its counts, and greedy's outcome if more prefer it."""
    prefer_mes, prefer_greedy = voters_preferring(
        profile=profile, first=mes.funded, second=greedy.funded, criterion=criterion
    )
    result = ComparisonResult(
        criterion=criterion,
        prefer_mes=prefer_mes,
        prefer_greedy=prefer_greedy,
        greedy_funded=greedy.funded,
    )
    step = Step(
        kind=StepKind.COMPARISON,
        pool_id=mes.pool_id,
        comparison=criterion,
        prefer_mes=prefer_mes,
        prefer_greedy=prefer_greedy,
        funded_count=len(greedy.funded),
        spent=greedy.spent,
    )
    # Greedy's ties decide its outcome, and so the counts: they are part of the result.
    ties = tuple(dict.fromkeys(mes.ties + greedy.ties))
    if not result.greedy_wins:
        return replace(mes, steps=(*mes.steps, step), ties=ties, comparison=result)
    return replace(
        mes,
        funded=greedy.funded,
        spent=greedy.spent,
        steps=(*mes.steps, step, *greedy.steps),
        ties=ties,
        comparison=result,
    )
