"""What one vote of a pabulib file may hold, by its file's META, checked as it is imported.

An import is the whole election or nothing: a vote its own file's limits refuse refuses the
file, naming the voter (`ImportRefused`; voter ids are unique, so it names one line).

Of these limits the pool keeps only min_length, max_length and max_sum_cost (its
``min_choices``, ``max_choices``, ``max_total_cost``), which the online form applies too.
``min_sum_cost`` and the points limits (``min_points``, ``max_points``, ``min_sum_points``,
``max_sum_points``) have no pool column and no place on the form: cumulative and scoring
editions come only from imports (the online form casts no points), and a spending floor
would need a migration and a check on the form for files that have one. They are checked
here only, as pabutools reads them (0 is no limit for a minimum), and a vote breaking one
refuses the file: counted, it would be a ballot the city's own form refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.results import pabulib
from urna.results.pabulib_cells import Amount, meta_amount


class ImportRefused(AppError):
    status_code = 409


TWICE = N_("Voter %(voter)s names project %(project)s twice.")
TOO_MANY = N_(
    "Voter %(voter)s names more projects (%(count)s) than the file's max_length of %(most)s."
)
TOO_COSTLY = N_(
    "Voter %(voter)s names projects costing %(cost)s in all, more than the file's "
    "max_sum_cost of %(most)s."
)
TOO_FEW = N_(
    "Voter %(voter)s names fewer projects (%(count)s) than the file's min_length of %(least)s."
)
TOO_FEW_POINTS = N_(
    "Voter %(voter)s gives project %(project)s %(points)s points; points must be at least 1."
)
TOO_MANY_POINTS = N_(
    "Voter %(voter)s gives %(points)s points in all, more than the file's max_sum_points of "
    "%(most)s."
)
TOO_CHEAP = N_(
    "Voter %(voter)s names projects costing %(cost)s in all, less than the file's "
    "min_sum_cost of %(least)s."
)
BELOW_MIN_POINTS = N_(
    "Voter %(voter)s gives project %(project)s %(points)s points, fewer than the file's "
    "min_points of %(least)s."
)
ABOVE_MAX_POINTS = N_(
    "Voter %(voter)s gives project %(project)s %(points)s points, more than the file's "
    "max_points of %(most)s."
)
TOO_FEW_POINTS_IN_ALL = N_(
    "Voter %(voter)s gives %(points)s points in all, fewer than the file's min_sum_points of "
    "%(least)s."
)


@dataclass(frozen=True, slots=True)
class VoteLimits:
    """What one vote may hold, by its file's META."""

    least: int  # projects: min_length
    most: int | None  # projects: max_length
    most_points: int | None  # points in all: max_sum_points
    scored: bool  # the points are the file's (not approval's one per project)
    most_cost: Amount | None = None  # the chosen projects' cost in all: max_sum_cost
    costs: dict[str, Amount] = field(default_factory=dict)  # project id -> cost
    least_cost: Amount | None = None  # min_sum_cost
    least_each: int | None = None  # points for one project: min_points
    most_each: int | None = None  # max_points
    least_points: int | None = None  # points in all: min_sum_points

    @classmethod
    def of(cls, instance: pabulib.PbInstance) -> VoteLimits:
        meta = instance.meta
        return cls(
            least=pabulib.meta_number(meta, "min_length") or 0,
            most=pabulib.meta_number(meta, "max_length"),
            most_points=pabulib.meta_number(meta, "max_sum_points"),
            scored=instance.vote_type not in ("approval", "choose-1"),
            most_cost=max_sum_cost(instance),
            costs={project.project_id: project.cost for project in instance.projects},
            least_cost=meta_amount(meta, "min_sum_cost") or None,
            least_each=pabulib.meta_number(meta, "min_points") or None,
            most_each=pabulib.meta_number(meta, "max_points"),
            least_points=pabulib.meta_number(meta, "min_sum_points") or None,
        )


def max_sum_cost(instance: pabulib.PbInstance) -> Amount | None:
    """META ``max_sum_cost``; 0 is no limit, as pabutools reads it."""
    return meta_amount(instance.meta, "max_sum_cost") or None


def choices_checked(vote: pabulib.PbVote, limits: VoteLimits) -> None:
    """The projects of ``vote`` are each named once, as many and as costly as the file
    allows."""
    count = len(vote.vote)
    if len(set(vote.vote)) != count:
        twice = next(number for number in vote.vote if vote.vote.count(number) > 1)
        _refused(vote, TWICE, project=twice)
    if limits.most is not None and count > limits.most:
        _refused(vote, TOO_MANY, count=count, most=limits.most)
    cost = sum(limits.costs.get(number, 0) for number in vote.vote)
    if limits.most_cost is not None and cost > limits.most_cost:
        _refused(vote, TOO_COSTLY, cost=cost, most=limits.most_cost)
    if limits.least_cost is not None and cost < limits.least_cost:
        _refused(vote, TOO_CHEAP, cost=cost, least=limits.least_cost)
    if count < limits.least:
        _refused(vote, TOO_FEW, count=count, least=limits.least)


def points_checked(vote: pabulib.PbVote, points: tuple[int, ...], limits: VoteLimits) -> None:
    """Points are counted as they are: 0 or fewer would count for nothing or against a
    project, and a vote weighs within the file's min/max_points for each project and
    min/max_sum_points in all."""
    for number, given in zip(vote.vote, points, strict=True):
        if given < 1:
            _refused(vote, TOO_FEW_POINTS, project=number, points=given)
        if limits.least_each is not None and given < limits.least_each:
            _refused(vote, BELOW_MIN_POINTS, project=number, points=given, least=limits.least_each)
        if limits.most_each is not None and given > limits.most_each:
            _refused(vote, ABOVE_MAX_POINTS, project=number, points=given, most=limits.most_each)
    total = sum(points)
    if limits.most_points is not None and total > limits.most_points:
        _refused(vote, TOO_MANY_POINTS, points=total, most=limits.most_points)
    if limits.least_points is not None and total < limits.least_points:
        _refused(vote, TOO_FEW_POINTS_IN_ALL, points=total, least=limits.least_points)


def _refused(vote: pabulib.PbVote, message: str, **params: object) -> NoReturn:
    raise ImportRefused(message, params={"voter": vote.voter_id, **params})
