"""What one vote of a pabulib file may hold, by its file's META, checked as it is imported.

An import is the whole election or nothing: a vote its own file's limits refuse refuses the
file, naming the voter (`ImportRefused`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.results import pabulib
from urna.results.pabulib_cells import meta_amount


class ImportRefused(AppError):
    status_code = 409


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
        raise ImportRefused(
            N_("Voter %(voter)s names project %(project)s twice."),
            params={"voter": vote.voter_id, "project": twice},
        )
    if limits.most is not None and count > limits.most:
        raise ImportRefused(
            N_(
                "Voter %(voter)s names more projects (%(count)s) than the file's max_length "
                "of %(most)s."
            ),
            params={"voter": vote.voter_id, "count": count, "most": limits.most},
        )
    cost = sum(limits.costs.get(number, 0) for number in vote.vote)
    if limits.most_cost is not None and cost > limits.most_cost:
        raise ImportRefused(
            N_(
                "Voter %(voter)s names projects costing %(cost)s in all, more than the file's "
                "max_sum_cost of %(most)s."
            ),
            params={"voter": vote.voter_id, "cost": cost, "most": limits.most_cost},
        )
    if count < limits.least:
        raise ImportRefused(
            N_(
                "Voter %(voter)s names fewer projects (%(count)s) than the file's min_length "
                "of %(least)s."
            ),
            params={"voter": vote.voter_id, "count": count, "least": limits.least},
        )


def points_checked(vote: pabulib.PbVote, points: tuple[int, ...], limits: VoteLimits) -> None:
    """Points are counted as they are: 0 or fewer would count for nothing or against a
    project, and a vote cannot weigh more than the file's max_sum_points."""
    for number, given in zip(vote.vote, points, strict=True):
        if given < 1:
            raise ImportRefused(
                N_(
                    "Voter %(voter)s gives project %(project)s %(points)s points; points must "
                    "be at least 1."
                ),
                params={"voter": vote.voter_id, "project": number, "points": given},
            )
    if limits.most_points is not None and sum(points) > limits.most_points:
        raise ImportRefused(
            N_(
                "Voter %(voter)s gives %(points)s points in all, more than the file's "
                "max_sum_points of %(most)s."
            ),
            params={"voter": vote.voter_id, "points": sum(points), "most": limits.most_points},
        )
