"""The results payload: what a computation freezes, the public pages show and the open data
publish, typed.

The payload is stored as JSON and its SHA-256 (of the canonical JSON) is published, so the
models keep the stored form exactly: instants stay the ISO strings Python writes, a
percentage stays its decimal string, and an allocation's step log stays the dict the
allocation rules write (``Allocation.to_dict``, ``Step.to_dict``: their own format, read
back by ``display.step_from_dict``). ``ResultsPayload.model_validate(stored).as_json()``
gives back the stored dict, key for key.

The console's form of a pool's public draw (``DrawForm``) is here too, as a schema
(``core.forms``)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from urna.core.forms import FormModel, Text, whole
from urna.core.i18n import N_
from urna.results.rules.types import TieMethod

FORMAT = "urna-results/1"
_DIGITS = re.compile(r"([0-9]+)")


def number_key(number: str) -> tuple[list[int | str], str]:
    """How project numbers are ordered for people: runs of digits as numbers ("2" before
    "10", "C2" before "C10"), the rest by letter."""
    parts = _DIGITS.split(number)
    return [int(part) if odd % 2 else part.casefold() for odd, part in enumerate(parts)], number


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EditionFacts(_Frozen):
    slug: str
    name: str
    municipality: str
    vote_type: str
    voting_opens_at: str  # ISO 8601, as stored
    voting_closes_at: str


class ProjectResult(_Frozen):
    number: str
    title: str
    cost: int  # grosze
    votes: int  # counted ballots that chose it
    points: int  # their points (= votes for approval ballots)
    funded: bool
    outcome: str  # the last step's kind: funded, below_threshold, skipped_does_not_fit…
    rank: int


class DrawFacts(_Frozen):
    seed: int | None
    order: list[str] | None
    note: str
    recorded_at: str  # ISO 8601, as stored


class PoolResult(_Frozen):
    code: str
    name: str
    kind: str
    area: str | None  # the area's name
    rule: str
    budget: int
    received: int  # from other pools' leftovers
    given: int  # passed on to another pool
    spent: int
    money_left: int
    voters: int
    min_votes: int | None
    min_votes_percent: str | None  # a decimal, as text
    threshold: int  # the minimum score that applied (0: none)
    leftover_to: str | None  # the receiving pool's code
    draw: DrawFacts | None
    draw_needed: bool
    funded: list[str]  # project numbers, in funding order
    projects: list[ProjectResult]  # in ranking order
    allocation: dict[str, Any]  # Allocation.to_dict()

    def tied(self, *, undrawn: bool = False) -> list[str]:
        """The numbers of the projects that tie in this computation (``undrawn``: only those
        of ties that no recorded draw orders, for which a draw is due), in number order."""
        return sorted(
            {
                number
                for group in self.allocation.get("ties", ())
                if not undrawn or group["method"] == TieMethod.FALLBACK_ID
                for number in group["project_ids"]
            },
            key=number_key,
        )


# (label, ballots); a group smaller than ``small_group`` has None: "fewer than k"
TurnoutRows = list[tuple[str, int | None]]


class Turnout(_Frozen):
    total: int
    small_group: int
    by_area: TurnoutRows
    by_age_band: TurnoutRows
    by_channel: TurnoutRows
    by_day: TurnoutRows
    paper_invalid: int = 0  # invalid paper sheets (results published before: not counted)


class ResultsPayload(_Frozen):
    format: str = FORMAT
    edition: EditionFacts
    computed_at: str  # ISO 8601, as stored
    money_unit: str = "grosz"
    ballots: dict[str, int]  # status -> ballots, every status
    pools: list[PoolResult]
    transfers: list[dict[str, Any]]  # Step.to_dict() of each leftover transfer
    turnout: Turnout

    def as_json(self) -> dict[str, Any]:
        """The JSON-ready dict that is stored and published."""
        return self.model_dump(mode="json")

    def pool(self, code: str) -> PoolResult | None:
        return next((pool for pool in self.pools if pool.code == code), None)


def canonical_json(payload: dict[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8: the bytes of the published results file."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON: what anyone can recompute from the download."""
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


# ---- the console's form of a pool's public draw ----------------------------------------

DRAW_NOTE_MAX = 2000  # as the form field allows
DRAW_ORDER_MAX = 2000  # the drawn order: project numbers, comma-separated
# Project numbers hold no spaces, commas or semicolons (editions.schemas): any of them
# separates two numbers of a drawn order, as people type lists ("2, 1", "2; 1", "2 1").
_ORDER_SEPARATORS = re.compile(r"[\s,;]+")
DRAW_EMPTY = N_(
    "Enter the drawn number, or the drawn order of the tied projects (their numbers "
    "separated by commas)."
)


def _spaces_removed(value: Any) -> Any:
    """A drawn number as read aloud and noted: "424 242"."""
    return value.replace(" ", "") if isinstance(value, str) else value


DrawnNumber = Annotated[
    whole(
        0,
        2**63 - 1,  # the column is a BIGINT
        N_("The drawn number must be a whole number."),
        too_large=N_("The drawn number is too large."),
    ),
    BeforeValidator(_spaces_removed),
]


class DrawForm(FormModel):
    """A pool's public draw as the office records it: the drawn number, or the drawn order
    of the tied projects (their numbers, separated by commas, semicolons or spaces), and a
    note (who drew, where, witnesses). A draw with neither is refused here, with what to
    enter; one with both, or an order that does not fit the tie, by the results service
    (``draw_record``)."""

    seed: DrawnNumber | None = None
    order: Annotated[Text, Field(max_length=DRAW_ORDER_MAX)] = ""
    note: Annotated[Text, Field(max_length=DRAW_NOTE_MAX)] = ""

    @property
    def drawn_order(self) -> list[str] | None:
        """The project numbers of ``order``, in their drawn order (None: no order given)."""
        return [part for part in _ORDER_SEPARATORS.split(self.order) if part] or None

    def problems(self) -> dict[str, str]:
        if self.seed is None and self.drawn_order is None:
            return {"seed": DRAW_EMPTY}
        return {}
