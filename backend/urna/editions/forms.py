"""The console's edition forms as schemas (``core.forms``): what a clerk types, parsed or
refused with one message per field; each form's ``as_input()`` is the editions' input
model (``editions.schemas``). Money is typed in złoty ("150 000", "2 499,99 zł"); CSV
rows give costs in grosze."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from urna.core.errors import FormInvalid
from urna.core.forms import (
    TOO_LARGE,
    FormModel,
    Line,
    LocalDateTime,
    Money,
    Percent,
    Text,
    form_error,
    whole,
)
from urna.core.i18n import N_
from urna.core.money import MAX_GROSZE
from urna.editions.models import IDENTITY_FIELDS, VOTE_TYPES
from urna.editions.schemas import (
    BUDGET_NOT_POSITIVE,
    COST_NOT_POSITIVE,
    MAX_COUNT,
    SPEND_LIMIT_NOT_POSITIVE,
    AreaIn,
    EditionIn,
    LocationIn,
    PoolIn,
    PoolRulesIn,
    ProjectIn,
    ProjectNumber,
    StreetIn,
    more_than_zero,
)

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")


def _slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise form_error(N_("Use lower-case letters, digits and hyphens, e.g. bo-2027."))
    return value


def _coordinate(value: Any) -> Decimal:
    text = value.strip().replace(",", ".") if isinstance(value, str) else ""
    if not _COORDINATE.fullmatch(text):
        raise form_error(N_("Give degrees as a decimal number, e.g. 53,123456."))
    return Decimal(text)


_COORDINATE = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,6})?")
Slug = Annotated[
    Line, AfterValidator(_slug), Field(json_schema_extra={"pattern": f"^{_SLUG.pattern}$"})
]
Coordinate = Annotated[Decimal, BeforeValidator(_coordinate)]
Code = Annotated[Line, Field(min_length=1, max_length=40)]
Name = Annotated[Line, Field(min_length=1, max_length=200)]
Count = whole(0, MAX_COUNT, N_("Give a whole number, 0 or more."), too_large=TOO_LARGE)
CountFrom1 = whole(1, MAX_COUNT, N_("Give a whole number, 1 or more."), too_large=TOO_LARGE)
BallotsPerContact = whole(1, 20, N_("Give a number from 1 to 20."))
RetentionMonths = whole(1, 120, N_("Give a number of months from 1 to 120."))
Grosze = whole(0, MAX_GROSZE, N_("Give the cost in grosze, as a whole number, e.g. 1500000."))
Cost = Annotated[Money, more_than_zero(COST_NOT_POSITIVE)]
CostInGrosze = Annotated[Grosze, more_than_zero(COST_NOT_POSITIVE)]
Budget = Annotated[Money, more_than_zero(BUDGET_NOT_POSITIVE)]
SpendLimit = Annotated[Money, more_than_zero(SPEND_LIMIT_NOT_POSITIVE)]
IdentityField = Literal[IDENTITY_FIELDS]  # type: ignore[valid-type]
VoteType = Literal[VOTE_TYPES]  # type: ignore[valid-type]


class AreaForm(FormModel):
    """An area (district); its fields share the pools page, hence ``area_`` names."""

    code: Code = Field(validation_alias="area_code")
    name: Name = Field(validation_alias="area_name")

    def as_input(self) -> AreaIn:
        return AreaIn(code=self.code, name=self.name)


class PoolRulesForm(FormModel):
    """How a pool picks its winners (the range of the percentage is the service's check,
    made against the edition and its other pools)."""

    rule: Literal["greedy", "greedy_stop", "equal_shares"] = "greedy"
    min_votes: Count | None = None
    min_votes_percent: Percent | None = None
    leftover_to: Code | None = None
    # Equal shares only: how the method completes and compares (results.rules).
    mes_completion: Literal["add1_utilitarian", "add1", "utilitarian", "none"] = "add1_utilitarian"
    mes_add1_stop: Literal["over_budget", "exhaustive"] = "over_budget"
    mes_add1_start: Literal["exact", "whole"] = "exact"
    mes_comparison: Literal["none", "satisfaction", "at_least_one"] = "none"

    def as_input(self) -> PoolRulesIn:
        return PoolRulesIn.model_validate(self.model_dump(include=set(PoolRulesIn.model_fields)))


class PoolForm(PoolRulesForm):
    code: Code
    name: Name
    kind: Literal["citywide", "district"] = "citywide"
    area: Code | None = None
    budget: Budget
    min_choices: Count = 0
    max_choices: CountFrom1 = 1
    max_total_cost: SpendLimit | None = None

    def problems(self) -> dict[str, str]:
        problems = {}
        if self.max_choices < self.min_choices:
            problems["max_choices"] = N_(
                "The most projects a resident may choose cannot be fewer than the fewest."
            )
        if self.kind == "district" and not self.area:
            problems["area"] = N_("A district pool needs its area.")
        return problems

    def as_input(self) -> PoolIn:
        return PoolIn.model_validate(self.model_dump())


class LocationForm(FormModel):
    """Where a project is: its address, and its point on a map (both coordinates or
    neither)."""

    location: Annotated[Line, Field(max_length=300)] = ""
    latitude: Coordinate | None = None
    longitude: Coordinate | None = None

    def problems(self) -> dict[str, str]:
        problems = {}
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            problems["latitude"] = N_("The latitude is between -90 and 90 degrees.")
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            problems["longitude"] = N_("The longitude is between -180 and 180 degrees.")
        if (self.latitude is None) != (self.longitude is None):
            missing = "latitude" if self.latitude is None else "longitude"
            problems.setdefault(missing, N_("Give both coordinates of the point, or neither."))
        return problems

    def as_input(self) -> LocationIn:
        return LocationIn.model_validate(self.model_dump())


class ImageForm(FormModel):
    """The text that describes a picture to a resident who cannot see it."""

    alt_text: Annotated[Line, Field(min_length=1, max_length=300)]


class ClosingExtensionForm(FormModel):
    """A later closing date for an open edition, with the reason announced."""

    voting_closes_at: LocalDateTime
    reason: Annotated[Text, Field(min_length=1, max_length=1000)]


class ProjectForm(LocationForm):
    number: ProjectNumber
    pool: Code
    title: Annotated[Line, Field(min_length=1, max_length=300)]
    description: Text = ""
    cost: Cost
    area: Code | None = None
    category: Annotated[Line, Field(max_length=80)] = ""

    def as_input(self) -> ProjectIn:
        return ProjectIn.model_validate(self.model_dump())


class ProjectRow(ProjectForm):
    """A project from a CSV file, where the cost is in grosze."""

    cost: CostInGrosze


class StreetRow(StreetIn, FormModel):
    """A street of the register from a CSV file (``name``, ``area``; for a part of a split
    street ``from``, ``to``, ``side`` too: ``StreetIn``), blank cells left out."""

    def as_input(self) -> StreetIn:
        return StreetIn.model_validate(self.model_dump())


class EditionForm(FormModel):
    """The rules of an edition, as its page changes them until voting opens."""

    name: Name
    description: Text = ""
    description_en: Text = ""
    voting_opens_at: LocalDateTime
    voting_closes_at: LocalDateTime
    results_at: LocalDateTime
    required_fields: list[IdentityField] = []
    confirmation_channel: Literal["sms", "email", "none"] = "sms"
    max_ballots_per_contact: BallotsPerContact = 1
    retention_months: RetentionMonths = 3
    # Check boxes: sent only when ticked.
    district_limited_to_area: bool = False
    vote_type: VoteType = "approval"
    publish_demographics: bool = False
    open_now: bool = False  # an opening time already past, confirmed (``opening_check``)

    def problems(self) -> dict[str, str]:
        problems = {}
        if not self.voting_opens_at < self.voting_closes_at:
            problems["voting_closes_at"] = N_("Voting must close after it opens.")
        elif not self.voting_closes_at <= self.results_at:
            problems["results_at"] = N_("The results cannot come before voting closes.")
        fields = set(self.required_fields)
        if not ({"first_name", "last_name"} <= fields or "pesel" in fields):
            problems["required_fields"] = N_(
                "Residents must give at least their first and last name, or their PESEL number."
            )
        channel_field = {"sms": "phone", "email": "email"}.get(self.confirmation_channel)
        if channel_field is not None and channel_field not in fields:
            problems["confirmation_channel"] = (
                N_("A code by SMS needs the mobile phone number among the identity fields.")
                if channel_field == "phone"
                else N_("A code by e-mail needs the e-mail address among the identity fields.")
            )
        return problems

    def changes(self) -> dict[str, Any]:
        """The edition's rules as this form sets them (each of ``EDITABLE_FIELDS``)."""
        return self.model_dump(include=set(EditionForm.model_fields) - {"open_now"})

    def opening_check(self, now: datetime, *, opened_at: datetime | None = None) -> None:
        """An opening time already past opens voting the moment it is saved, and with it the
        rules, pools, projects and clause can no longer change: a mistyped year must not do
        that unnoticed. Refused (on ``open_now``) unless confirmed, for an edition not open
        yet (``opened_at``: its opening time now, None for a new edition)."""
        not_open = opened_at is None or opened_at > now
        if self.voting_opens_at <= now and not_open and not self.open_now:
            raise FormInvalid({"open_now": OPENS_AT_ONCE})


OPENS_AT_ONCE = N_(
    "This opening time has passed: saving it opens voting at once, and the edition's rules, "
    "pools, projects and clause can no longer be changed. Give a later time, or tick "
    "“Open voting now” to confirm."
)


class EditionNewForm(EditionForm):
    """A new edition with its first (city-wide) pool; the rest is added on its pages."""

    slug: Slug
    municipality: Name
    pool_code: Code
    pool_name: Name
    pool_budget: Budget
    pool_max_choices: CountFrom1 = 1

    def as_input(self) -> EditionIn:
        pool = {
            "code": self.pool_code,
            "name": self.pool_name,
            "budget": self.pool_budget,
            "max_choices": self.pool_max_choices,
        }
        names = {"slug": self.slug, "municipality": self.municipality}
        return EditionIn.model_validate({**self.changes(), **names, "pools": [pool]})
