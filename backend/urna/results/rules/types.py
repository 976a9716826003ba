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


class TieMethod(StrEnum):
    """How the order inside a group of tied projects was decided."""

    EXPLICIT = "explicit"  # the result of the public draw, as entered by the office
    SEED = "seed"  # computed from the recorded draw seed, see `ties.seeded_order`
    FALLBACK_ID = "fallback_id"  # no draw given: ascending id; the draw is still needed


class MesOutcome(StrEnum):
    """Why the add-one loop of equal shares stopped, or went on, after one run."""

    EXHAUSTIVE = "exhaustive"  # nothing else fits: this run is the result
    INFEASIBLE = "infeasible"  # overspends the budget: the previous run is the result
    CONTINUE = "continue"  # money would be left: raise each voter's budget and run again
    FINAL = "final"  # no completion asked for: this single run is the result


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

    @property
    def money_left(self) -> int:
        return self.budget - self.spent

    @property
    def draw_needed(self) -> bool:
        """True when a tie was ordered by the id fallback, i.e. a public draw is still due."""
        return any(group.method is TieMethod.FALLBACK_ID for group in self.ties)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, e.g. to store a published result."""
        return {
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
