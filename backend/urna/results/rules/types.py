"""Value types shared by the allocation rules: inputs, the step log and the result."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from fractions import Fraction
from typing import Any


@dataclass(frozen=True, slots=True)
class Project:
    """A project competing for a pool's money.

    `cost` is an integer in the pool's money unit (grosze in the database, whole złoty in
    pabulib files); `score` is the number of votes, or points for ordinal/cumulative ballots.
    """

    id: str
    cost: int
    score: int = 0

    def __post_init__(self) -> None:
        if self.cost < 0:
            raise ValueError(f"project {self.id}: cost must not be negative")


class StepKind(StrEnum):
    """What happened at one step of a computation; the web layer renders each kind."""

    FUNDED = "funded"
    SKIPPED_DOES_NOT_FIT = "skipped_does_not_fit"
    BELOW_THRESHOLD = "below_threshold"
    STOPPED = "stopped"
    NOT_CONSIDERED = "not_considered"
    TIE_RESOLVED = "tie_resolved"
    MES_ROUND = "mes_round"
    COMPLETION = "completion"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    RECOMPUTED = "recomputed"
    MES_VARIANT = "mes_variant"  # equal shares: which completion and comparison apply
    COMPARISON = "comparison"  # equal shares: the comparison with the greedy outcome


class TieMethod(StrEnum):
    """How the order inside a group of tied projects was decided."""

    EXPLICIT = "explicit"  # the result of the public draw, as entered by the office
    SEED = "seed"  # computed from the recorded draw seed, see `ties.seeded_order`
    FALLBACK_ID = "fallback_id"  # no draw given: ascending id; the draw is still needed


class MesOutcome(StrEnum):
    """Why the add-one loop of equal shares stopped, or went on, after one run."""

    EXHAUSTIVE = "exhaustive"  # nothing else fits: this run is the result
    INFEASIBLE = "infeasible"  # overspends the budget: the previous run is the result
    CONTINUE = "continue"  # within the budget: raise each voter's budget and run again
    FINAL = "final"  # no completion asked for: this single run is the result
    ALL_FUNDED = "all_funded"  # every supported project is funded: more money changes nothing


class MesCompletion(StrEnum):
    """What equal shares does with the money a run with the pool's budget leaves unspent."""

    NONE = "none"  # one run with the pool's budget; the rest stays unspent
    UTILITARIAN = "utilitarian"  # one run, then the rest by votes while projects fit
    ADD1 = "add1"  # raise every voter's budget by one unit at a time (see Add1Stop)
    ADD1_UTILITARIAN = "add1_utilitarian"  # add one, then the rest by votes (pabulib's add1)


class Add1Stop(StrEnum):
    """When the add-one loop stops."""

    # At the first step whose outcome exceeds the budget; the step before stands (the
    # method's computation tool, equalshares.net).
    OVER_BUDGET = "over_budget"
    # Also at the first exhaustive outcome, where no further project fits (pabutools, and
    # Urna before the options existed).
    EXHAUSTIVE = "exhaustive"


class Add1Start(StrEnum):
    """The total X the add-one loop starts from, shared equally by the n voters."""

    EXACT = "exact"  # X = B: each voter starts with B / n
    WHOLE = "whole"  # X = floor(B / n) * n: each voter starts with whole units (złoty)


class Comparison(StrEnum):
    """Whether equal shares is compared with the greedy outcome, and how a voter chooses.

    The MES outcome stands unless strictly more voters prefer the greedy one.
    """

    NONE = "none"
    SATISFACTION = "satisfaction"  # a voter prefers the outcome with more of their projects
    AT_LEAST_ONE = "at_least_one"  # a voter prefers the outcome with at least one of theirs


@dataclass(frozen=True, slots=True)
class MesOptions:
    """How equal shares completes its outcome and whether it is compared with greedy."""

    completion: MesCompletion = MesCompletion.ADD1_UTILITARIAN
    add1_stop: Add1Stop = Add1Stop.OVER_BUDGET
    add1_start: Add1Start = Add1Start.EXACT
    comparison: Comparison = Comparison.NONE

    @property
    def add_one(self) -> bool:
        return self.completion in (MesCompletion.ADD1, MesCompletion.ADD1_UTILITARIAN)

    @property
    def fill_by_votes(self) -> bool:
        return self.completion in (MesCompletion.UTILITARIAN, MesCompletion.ADD1_UTILITARIAN)

    def to_dict(self) -> dict[str, str]:
        return {item.name: getattr(self, item.name).value for item in fields(self)}


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """The comparison step: how many voters prefer each outcome, and which one stands."""

    criterion: Comparison
    prefer_mes: int
    prefer_greedy: int
    greedy_funded: tuple[str, ...]

    @property
    def greedy_wins(self) -> bool:
        return self.prefer_greedy > self.prefer_mes

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion.value,
            "prefer_mes": self.prefer_mes,
            "prefer_greedy": self.prefer_greedy,
            "greedy_funded": list(self.greedy_funded),
            "kept": "greedy" if self.greedy_wins else "equal_shares",
        }


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of the step-by-step log; fields that do not apply to a kind stay None.

    Money fields are integers in the pool's unit. `per_voter_budget` (equal shares) is exact.
    """

    kind: StepKind
    project_id: str | None = None
    pool_id: str | None = None
    cost: int | None = None
    score: int | None = None
    money_left: int | None = None
    threshold: int | None = None
    amount: int | None = None
    other_pool_id: str | None = None
    budget: int | None = None
    tied_ids: tuple[str, ...] = ()
    tie_method: TieMethod | None = None
    round: int | None = None  # equal shares: the round within a run
    run: int | None = None  # equal shares: the pass of the add-one loop (1 = first)
    per_voter_budget: Fraction | None = None
    max_payment: Fraction | None = None  # equal shares: each supporter pays at most this
    mes_outcome: MesOutcome | None = None
    funded_count: int | None = None
    spent: int | None = None
    # equal shares: the options (StrEnum values, plain strings once stored) and the comparison
    completion: str | None = None
    add1_stop: str | None = None
    add1_start: str | None = None
    comparison: str | None = None
    prefer_mes: int | None = None
    prefer_greedy: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict without the empty fields (fractions become "p/q" strings)."""
        result: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value == ():
                continue
            if isinstance(value, Fraction):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, StrEnum):
                value = value.value
            result[item.name] = value
        return result


@dataclass(frozen=True, slots=True)
class TieGroup:
    """Projects that tie (equal score, or equal price in equal shares) and how they were ordered."""

    project_ids: tuple[str, ...]  # ascending id
    order: tuple[str, ...]  # the order used, first = preferred
    method: TieMethod
    score: int | None = None  # greedy: the shared score
    round: int | None = None  # equal shares: the round in which the projects tied
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """The result of one rule on one pool."""

    budget: int
    funded: tuple[str, ...]  # in the order the rule funded them
    spent: int
    steps: tuple[Step, ...]
    ties: tuple[TieGroup, ...] = ()
    pool_id: str | None = None
    rule: str = "greedy"
    per_voter_budget: Fraction | None = None  # equal shares: the budget of the accepted run
    mes_options: MesOptions | None = None  # equal shares: the options it ran with
    comparison: ComparisonResult | None = None  # equal shares: the comparison step, if any

    @property
    def money_left(self) -> int:
        return self.budget - self.spent

    @property
    def draw_needed(self) -> bool:
        """True when a tie was ordered by the id fallback, i.e. a public draw is still due."""
        return any(group.method is TieMethod.FALLBACK_ID for group in self.ties)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, e.g. to store a published result (equal shares adds its
        options and the comparison step)."""
        result: dict[str, Any] = {
            "pool_id": self.pool_id,
            "rule": self.rule,
            "budget": self.budget,
            "spent": self.spent,
            "money_left": self.money_left,
            "funded": list(self.funded),
            "per_voter_budget": None
            if self.per_voter_budget is None
            else str(self.per_voter_budget),
            "draw_needed": self.draw_needed,
            "ties": [
                {
                    "project_ids": list(group.project_ids),
                    "order": list(group.order),
                    "method": group.method.value,
                    "score": group.score,
                    "round": group.round,
                    "seed": group.seed,
                }
                for group in self.ties
            ],
            "steps": [step.to_dict() for step in self.steps],
        }
        if self.mes_options is not None:
            result["mes_options"] = self.mes_options.to_dict()
        if self.comparison is not None:
            result["comparison"] = self.comparison.to_dict()
        return result
