"""The pools a resident may vote in, with their projects, and the limits of each pool:
the same checks for the online ballot and for a ballot typed from paper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from urna.core.errors import AppError
from urna.core.i18n import N_
from urna.editions.models import Edition, Pool, Project
from urna.editions.service import EditionSnapshot
from urna.voting.state import FlowOutOfOrder, VoteState
from urna.voting.wording import Audience, Wording

# Each rule's message as the resident ("you chose") and the operator ("the ballot marks")
# read it.
TOO_MANY = Wording(
    N_("You chose more projects than this pool allows."),
    N_("The ballot marks more projects than this pool allows."),
)
TOO_FEW = Wording(
    N_("You chose fewer projects than this pool requires."),
    N_("The ballot marks fewer projects than this pool requires."),
)
TOO_DEAR = Wording(
    N_("The projects you chose cost more than this pool allows."),
    N_("The projects marked on the ballot cost more than this pool allows."),
)
NONE_CHOSEN = Wording(
    N_("Choose at least one project."),
    N_("The ballot marks no project."),
)


class NotEligible(AppError):
    status_code = 403
    message = N_("You cannot vote in this pool.")


@dataclass
class PoolChoice:
    pool: Pool
    projects: Sequence[Project]
    chosen: list[int]

    @property
    def chosen_cost(self) -> int:
        return sum(p.cost for p in self.projects if p.id in self.chosen)

    @property
    def chosen_count(self) -> int:
        return len(self.chosen)


def ballot_options_all(*, snapshot: EditionSnapshot) -> list[PoolChoice]:
    """Every pool of the edition with its projects, nothing chosen (a paper ballot shows
    them all; the address decides which may be marked)."""
    by_pool = snapshot.projects_by_pool
    return [PoolChoice(pool=pool, projects=by_pool[pool.id], chosen=[]) for pool in snapshot.pools]


def ballot_options(*, snapshot: EditionSnapshot, state: VoteState) -> list[PoolChoice]:
    """The pools this resident may vote in, with their projects and current picks."""
    if not state.confirmed:
        raise FlowOutOfOrder()
    options = []
    for option in ballot_options_all(snapshot=snapshot):
        if _pool_open_to(option.pool, snapshot.edition, state):
            option.chosen = state.choices.get(str(option.pool.id), [])
            options.append(option)
    return options


def _pool_open_to(pool: Pool, edition: Edition, state: VoteState) -> bool:
    if pool.kind == "citywide" or not edition.district_limited_to_area:
        return True
    return pool.area_id is not None and pool.area_id == state.area_id


def choices_apply(
    *,
    options: list[PoolChoice],
    state: VoteState,
    picked: Sequence[int],
    strict: bool,
    audience: Audience = "resident",
) -> dict[str, str]:
    """Record the picks (project ids, ``schemas.choices_parse``) per pool; return messages
    per pool (``pool-<id>``) if limits are broken, worded for ``audience``. ``strict`` also
    requires the minimum (on submit, not while ticking boxes). The messages carry no
    number: a page says the pool's limit beside them, in the plural its language needs."""
    wanted = set(picked)
    allowed = {project.id for option in options for project in option.projects}
    if wanted - allowed:
        raise NotEligible()
    errors: dict[str, str] = {}
    state.choices = {}
    for option in options:
        option.chosen = [p.id for p in option.projects if p.id in wanted]
        if option.chosen:
            state.choices[str(option.pool.id)] = option.chosen
        key = f"pool-{option.pool.id}"
        if option.chosen_count > option.pool.max_choices:
            errors[key] = TOO_MANY.to(audience)
        elif strict and 0 < option.chosen_count < option.pool.min_choices:
            errors[key] = TOO_FEW.to(audience)
        elif (
            option.pool.max_total_cost is not None
            and option.chosen_cost > option.pool.max_total_cost
        ):
            errors[key] = TOO_DEAR.to(audience)
    if strict and not wanted:
        errors["choices"] = NONE_CHOSEN.to(audience)
    return errors


def choices_pooled(
    options: Sequence[PoolChoice], picked: Sequence[int]
) -> tuple[tuple[int, int], ...]:
    """(project id, pool id) of each pick, as the ballot stores them."""
    pool_of = {p.id: o.pool.id for o in options for p in o.projects}
    return tuple((pid, pool_of[pid]) for pid in picked)
