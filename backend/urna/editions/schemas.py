"""The import format of an edition (JSON), also used by the demo seed.

Every field is typed and bounded as the database holds it: texts without control
characters or direction overrides (``core.forms.Line``/``Text``), numbers within their
column, lists of a size an office could mean. Messages carry no value of the file: a
mistake is reported on its path (``pools.2.area``), with a msgid."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from urna.core.forms import Line, Text, form_error, whole
from urna.core.i18n import N_
from urna.core.money import MAX_GROSZE
from urna.editions.models import DEFAULT_IDENTITY_FIELDS, IDENTITY_FIELDS, SLUG_PATTERN
from urna.editions.street_ranges import SIDE_WORDS, ranges_problems

MAX_COUNT = 1_000_000_000  # votes, choices: below what an INTEGER column holds
MAX_TEXT = 100_000  # a description, a clause: far more than any office writes
Grosze = Annotated[int, Field(ge=0, le=MAX_GROSZE, description="grosze")]
Code = Annotated[Line, Field(min_length=1, max_length=40)]
Name = Annotated[Line, Field(min_length=1, max_length=200)]
LongText = Annotated[Text, Field(max_length=MAX_TEXT)]

# A project number is a segment of its pages' addresses (/e/<slug>/projects/<number>): the
# letters (Polish ones too) and digits an office numbers projects with, and "-", "." or
# "_" between them; never "/", "?", "#", "%" or a space, nor "." or ".." alone.
_LETTERS = "A-Za-zĄĆĘŁŃÓŚŹŻąćęłńóśźż"
PROJECT_NUMBER_PATTERN = f"[0-9{_LETTERS}][0-9{_LETTERS}._-]*"
_PROJECT_NUMBER = re.compile(PROJECT_NUMBER_PATTERN)
PROJECT_NUMBER_INVALID = N_(
    "Use letters, digits, hyphens (-), dots (.) and underscores (_), beginning with a letter "
    "or digit, e.g. P-12."
)
COST_NOT_POSITIVE = N_("A project must cost more than 0 zł.")
BUDGET_NOT_POSITIVE = N_("A pool's budget must be more than 0 zł.")
# 0 would make every ballot of the pool impossible: no limit is left empty instead
SPEND_LIMIT_NOT_POSITIVE = N_("Leave the limit empty, or give more than 0 zł.")
# MAX_GROSZE in złoty, as the office reads amounts (pydantic's own words quoted grosze)
AMOUNT_TOO_LARGE = N_("An amount can be at most PLN 10,000,000,000,000.")


def _project_number(value: str) -> str:
    if not _PROJECT_NUMBER.fullmatch(value):
        raise form_error(PROJECT_NUMBER_INVALID)
    return value


def more_than_zero(message: str) -> AfterValidator:
    """An amount that must be more than 0 (a cost, a budget): ``message`` when it is not,
    and no more than Urna holds."""

    def check(value: int) -> int:
        if value <= 0:
            raise form_error(message)
        if value > MAX_GROSZE:
            raise form_error(AMOUNT_TOO_LARGE)
        return value

    return AfterValidator(check)


ProjectNumber = Annotated[
    Code,
    AfterValidator(_project_number),
    Field(json_schema_extra={"pattern": f"^{PROJECT_NUMBER_PATTERN}$"}),
]
# Nothing is free and no pool is empty: 0 (or less) is refused with its own message.
_Positive = Annotated[
    int,
    Field(description="grosze", json_schema_extra={"exclusiveMinimum": 0, "maximum": MAX_GROSZE}),
]
Cost = Annotated[_Positive, more_than_zero(COST_NOT_POSITIVE)]
Budget = Annotated[_Positive, more_than_zero(BUDGET_NOT_POSITIVE)]
SpendLimit = Annotated[_Positive, more_than_zero(SPEND_LIMIT_NOT_POSITIVE)]


class AreaIn(BaseModel):
    code: Code
    name: Name


def _side(value: object) -> object:
    if isinstance(value, str):
        side = SIDE_WORDS.get(value.strip().casefold().rstrip("."))
        if side is None:
            raise form_error(SIDE_UNKNOWN)
        return side
    return value


SIDE_UNKNOWN = N_("Write the side as odd, even or all (or leave it empty for all numbers).")
HouseNumber = whole(1, 9999, N_("Give a house number from 1 to 9999."))
Side = Annotated[Literal["all", "odd", "even"], BeforeValidator(_side)]


class StreetIn(BaseModel):
    """A street of the register in one area; or, with house numbers (``from``, ``to``:
    none means and above; ``side``: odd, even or all), the part of a split street that is
    in ``area``: a split street is named once for each of its parts."""

    model_config = ConfigDict(populate_by_name=True)

    name: Name
    area: Code
    number_from: HouseNumber | None = Field(default=None, alias="from")
    number_to: HouseNumber | None = Field(default=None, alias="to")
    side: Side = "all"

    @field_validator("number_to")
    @classmethod
    def _after_first(cls, value: int | None, info: ValidationInfo) -> int | None:
        first = info.data.get("number_from") or 1
        if value is not None and value < first:
            raise form_error(N_("A range cannot end before its first number."))
        return value

    @property
    def ranged(self) -> bool:
        """The part of a split street (its house numbers given), not a whole street."""
        return self.number_from is not None or self.number_to is not None or self.side != "all"

    def span(self) -> HouseRangeIn:
        return HouseRangeIn(self.number_from or 1, self.number_to, self.side)


class HouseRangeIn(NamedTuple):
    number_from: int
    number_to: int | None
    side: str


@dataclass(frozen=True)
class StreetProblem:
    """What a row of streets (``index``) says wrong with the file's other rows, on its
    ``field``: ``kind`` (a key of ``STREET_PROBLEMS``), the row it meets (``other``) and
    where a gap begins."""

    index: int
    field: str
    kind: str
    other: int = 0
    gap_from: int = 0


# Each problem as the edition file (JSON: its path names the item) and as a CSV file (its
# lines numbered) tell it.
STREET_PROBLEMS = {
    "repeats": (N_("This street repeats in the file."),) * 2,
    "unnumbered": (
        N_(
            "This street is split between areas in other rows: give this row its house "
            "numbers too (from, to or side)."
        ),
    )
    * 2,
    "overlap": (
        N_("These house numbers overlap an earlier range of the same street."),
        N_("These house numbers overlap the range on line %(line)s of the same street."),
    ),
    "gap": (
        N_(
            "Some house numbers between an earlier range of this street and this one are in "
            "no range. Extend a range to close the gap."
        ),
        N_(
            "House numbers from %(number)s up to this range are in no range of this street "
            "(the range on line %(line)s ends before them). Extend a range to close the gap."
        ),
    ),
}


def streets_problems(streets: Sequence[StreetIn]) -> list[StreetProblem]:
    """A street named twice without house numbers; a split street (some of its rows with
    house numbers) with a row without them; ranges of one street that overlap, or leave
    house numbers between them in no area. In the order of the rows."""
    by_name: dict[str, list[int]] = {}
    for index, street in enumerate(streets):
        by_name.setdefault(street.name.casefold(), []).append(index)
    problems: list[StreetProblem] = []
    for indexes in by_name.values():
        ranged = [index for index in indexes if streets[index].ranged]
        if not ranged:
            problems += [StreetProblem(index, "name", "repeats") for index in indexes[1:]]
            continue
        problems += [
            StreetProblem(index, "from", "unnumbered") for index in indexes if index not in ranged
        ]
        for found in ranges_problems([streets[index].span() for index in ranged]):
            kind = "overlap" if found.gap_from is None else "gap"
            other = ranged[found.other]
            problems.append(
                StreetProblem(ranged[found.index], "from", kind, other, found.gap_from or 0)
            )
    return sorted(problems, key=lambda problem: problem.index)


class PoolRulesIn(BaseModel):
    """How a pool picks its winners; the editions service checks the values (with messages
    for the office) against the edition and its other pools."""

    rule: Literal["greedy", "greedy_stop", "equal_shares"] = "greedy"
    min_votes: int | None = None  # its range, with its message: pool_rules
    min_votes_percent: Decimal | None = Field(default=None, description="% of the pool's voters")
    leftover_to: Code | None = Field(default=None, description="code of the receiving pool")
    # Equal shares' options (see urna.results.rules: MesCompletion, Add1Stop, Add1Start,
    # Comparison); stored for every pool, used when the rule is equal_shares.
    mes_completion: Literal["add1_utilitarian", "add1", "utilitarian", "none"] = "add1_utilitarian"
    mes_add1_stop: Literal["over_budget", "exhaustive"] = "over_budget"
    mes_add1_start: Literal["exact", "whole"] = "exact"
    mes_comparison: Literal["none", "satisfaction", "at_least_one"] = "none"


class PoolIn(PoolRulesIn):
    code: Code
    name: Name
    kind: Literal["citywide", "district"] = "citywide"
    area: Code | None = None
    budget: Budget
    min_choices: int = Field(default=0, ge=0, le=MAX_COUNT)
    max_choices: int = Field(default=1, ge=1, le=MAX_COUNT)
    max_total_cost: SpendLimit | None = None

    @model_validator(mode="after")
    def _consistent(self) -> PoolIn:
        if self.max_choices < self.min_choices:
            raise form_error(
                N_("The most projects a resident may choose cannot be fewer than the fewest.")
            )
        if self.kind == "district" and not self.area:
            raise form_error(N_("A district pool needs its area."))
        return self


class LocationIn(BaseModel):
    """Where a project is: its address and, when known, its point on a map (WGS 84)."""

    location: Annotated[Line, Field(max_length=300)] = ""
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)

    @model_validator(mode="after")
    def _both_or_neither(self) -> LocationIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both the latitude and the longitude, or neither")
        return self


class ProjectIn(LocationIn):
    number: ProjectNumber
    pool: Code
    title: Annotated[Line, Field(min_length=1, max_length=300)]
    description: LongText = ""
    cost: Cost
    area: Code | None = None
    category: Annotated[Line, Field(max_length=80)] = ""


class DocumentIn(BaseModel):
    title: Annotated[Line, Field(min_length=1, max_length=300)]
    title_en: Annotated[Line, Field(max_length=200)] = ""
    body: LongText
    body_en: LongText = ""


class EditionIn(BaseModel):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: Name
    municipality: Name
    description: LongText = ""
    description_en: LongText = ""
    voting_opens_at: datetime
    voting_closes_at: datetime
    results_at: datetime
    retention_months: int = Field(default=3, ge=1, le=120)
    required_fields: list[str] = Field(default_factory=lambda: list(DEFAULT_IDENTITY_FIELDS))
    confirmation_channel: Literal["sms", "email", "none"] = "sms"
    max_ballots_per_contact: int = Field(default=1, ge=1, le=20)
    district_limited_to_area: bool = True
    vote_type: Literal["approval", "ordinal", "cumulative", "scoring"] = "approval"
    publish_demographics: bool = False
    areas: list[AreaIn] = Field(default_factory=list, max_length=1_000)
    streets: list[StreetIn] = Field(default_factory=list, max_length=50_000)
    pools: list[PoolIn] = Field(min_length=1, max_length=1_000)
    projects: list[ProjectIn] = Field(default_factory=list, max_length=10_000)
    clause: DocumentIn | None = None

    @field_validator("voting_opens_at", "voting_closes_at", "results_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the time with a time zone, e.g. 2027-05-01T00:00:00+02:00")
        return value

    @field_validator("required_fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        if set(value) - set(IDENTITY_FIELDS):
            raise form_error(N_("Choose one of the options."))
        if not {"first_name", "last_name"} <= set(value) and "pesel" not in value:
            raise ValueError("an edition needs at least first and last name, or PESEL")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EditionIn:
        if not self.voting_opens_at < self.voting_closes_at <= self.results_at:
            raise ValueError("voting must open before it closes, and close before results")
        if self.confirmation_channel == "sms" and "phone" not in self.required_fields:
            raise ValueError("confirmation by SMS needs the phone field")
        if self.confirmation_channel == "email" and "email" not in self.required_fields:
            raise ValueError("confirmation by e-mail needs the email field")
        return self


# A district pool's project shown under another area would be listed to that area's
# residents, who cannot vote for it, and hidden from the pool's own.
OUTSIDE_POOL_AREA = N_(
    "A project of a district pool is in that pool's area: give that area, or leave it empty."
)


def area_outside_pool(project_area: object, pool_area: object) -> bool:
    """A project's area (code or id) other than its district pool's (None: city-wide)."""
    return project_area is not None and pool_area is not None and project_area != pool_area


def edition_reference_errors(edition: EditionIn) -> dict[str, str]:
    """What the file names but does not hold, and what it holds twice: a msgid on the path
    of each such item (the first of a repeated one is kept)."""
    errors: dict[str, str] = {}
    areas: set[str] = set()
    for i, area in enumerate(edition.areas):
        if area.code in areas:
            errors[f"areas.{i}.code"] = N_("This area code repeats in the file.")
        areas.add(area.code)
    for i, street in enumerate(edition.streets):
        if street.area not in areas:
            errors[f"streets.{i}.area"] = N_("Unknown area code.")
    for problem in streets_problems(edition.streets):
        errors[f"streets.{problem.index}.{problem.field}"] = STREET_PROBLEMS[problem.kind][0]
    pools: dict[str, str | None] = {}
    for i, pool in enumerate(edition.pools):
        if pool.area and pool.area not in areas:
            errors[f"pools.{i}.area"] = N_("Unknown area code.")
        if pool.code in pools:
            errors[f"pools.{i}.code"] = N_("This pool code repeats in the file.")
        pools.setdefault(pool.code, pool.area if pool.kind == "district" else None)
    numbers: set[str] = set()
    for i, project in enumerate(edition.projects):
        if project.pool not in pools:
            errors[f"projects.{i}.pool"] = N_("Unknown pool code.")
        if project.area and project.area not in areas:
            errors[f"projects.{i}.area"] = N_("Unknown area code.")
        elif area_outside_pool(project.area or None, pools.get(project.pool)):
            errors[f"projects.{i}.area"] = OUTSIDE_POOL_AREA
        if project.number in numbers:
            errors[f"projects.{i}.number"] = N_("This project number repeats in the file.")
        numbers.add(project.number)
    return errors
