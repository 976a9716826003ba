"""What one vote of a pabulib file may hold, by its file's META, checked as it is imported.

An import is the whole election or nothing: a vote its own file's limits refuse refuses the
file, naming the voter (`ImportRefused`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.results import pabulib
from urna.results.pabulib_cells import meta_amount


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


@dataclass(frozen=True, slots=True)
class VoteLimits:
    """What one vote may hold, by its file's META."""

    least: int  # projects: min_length
    most: int | None  # projects: max_length
    most_points: int | None  # points in all: max_sum_points
    scored: bool  # the points are the file's (not approval's one per project)
    most_cost: int | None = None  # the chosen projects' cost in all: max_sum_cost
    costs: dict[str, int] = field(default_factory=dict)  # project id -> cost

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
        )


def max_sum_cost(instance: pabulib.PbInstance) -> int | None:
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
    if count < limits.least:
        _refused(vote, TOO_FEW, count=count, least=limits.least)


def points_checked(vote: pabulib.PbVote, points: tuple[int, ...], limits: VoteLimits) -> None:
    """Points are counted as they are: 0 or fewer would count for nothing or against a
    project, and a vote cannot weigh more than the file's max_sum_points."""
    for number, given in zip(vote.vote, points, strict=True):
        if given < 1:
            _refused(vote, TOO_FEW_POINTS, project=number, points=given)
    if limits.most_points is not None and sum(points) > limits.most_points:
        _refused(vote, TOO_MANY_POINTS, points=sum(points), most=limits.most_points)


def _refused(vote: pabulib.PbVote, message: str, **params: object) -> NoReturn:
    raise ImportRefused(message, params={"voter": vote.voter_id, **params})
