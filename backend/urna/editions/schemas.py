"""The import format of an edition (JSON), also used by the demo seed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from urna.editions.models import DEFAULT_IDENTITY_FIELDS, IDENTITY_FIELDS, SLUG_PATTERN


class AreaIn(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)


class StreetIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    area: str


class PoolRulesIn(BaseModel):
    """How a pool picks its winners; the editions service checks the values (with messages
    for the office) against the edition and its other pools."""

    rule: Literal["greedy", "greedy_stop", "equal_shares"] = "greedy"
    min_votes: int | None = None
    min_votes_percent: Decimal | None = Field(default=None, description="% of the pool's voters")
    leftover_to: str | None = Field(default=None, description="code of the receiving pool")
    # Equal shares' options (see urna.results.rules: MesCompletion, Add1Stop, Add1Start,
    # Comparison); stored for every pool, used when the rule is equal_shares.
    mes_completion: Literal["add1_utilitarian", "add1", "utilitarian", "none"] = "add1_utilitarian"
    mes_add1_stop: Literal["over_budget", "exhaustive"] = "over_budget"
    mes_add1_start: Literal["exact", "whole"] = "exact"
    mes_comparison: Literal["none", "satisfaction", "at_least_one"] = "none"


class PoolIn(PoolRulesIn):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["citywide", "district"] = "citywide"
    area: str | None = None
    budget: int = Field(ge=0, description="grosze")
    min_choices: int = Field(default=0, ge=0)
    max_choices: int = Field(default=1, ge=1)
    max_total_cost: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> PoolIn:
        if self.max_choices < self.min_choices:
            raise ValueError("max_choices must be at least min_choices")
        if self.kind == "district" and not self.area:
            raise ValueError(f"district pool {self.code} needs an area")
        return self


class LocationIn(BaseModel):
    """Where a project is: its address and, when known, its point on a map (WGS 84)."""

    location: str = Field(default="", max_length=300)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)

    @model_validator(mode="after")
    def _both_or_neither(self) -> LocationIn:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both the latitude and the longitude, or neither")
        return self


class ProjectIn(LocationIn):
    number: str = Field(min_length=1, max_length=40)
    pool: str
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    cost: int = Field(ge=0, description="grosze")
    area: str | None = None
    category: str = Field(default="", max_length=80)


class DocumentIn(BaseModel):
    title: str
    body: str
    body_en: str = ""


class EditionIn(BaseModel):
    slug: str = Field(pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    municipality: str = Field(min_length=1, max_length=200)
    description: str = ""
    description_en: str = ""
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
    areas: list[AreaIn] = Field(default_factory=list)
    streets: list[StreetIn] = Field(default_factory=list)
    pools: list[PoolIn] = Field(min_length=1)
    projects: list[ProjectIn] = Field(default_factory=list)
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
        unknown = sorted(set(value) - set(IDENTITY_FIELDS))
        if unknown:
            raise ValueError(f"unknown identity fields: {', '.join(unknown)}")
        if not {"first_name", "last_name"} <= set(value) and "pesel" not in value:
            raise ValueError("an edition needs at least first and last name, or PESEL")
        return value

    @model_validator(mode="after")
    def _references(self) -> EditionIn:
        if not self.voting_opens_at < self.voting_closes_at <= self.results_at:
            raise ValueError("voting must open before it closes, and close before results")
        if self.confirmation_channel == "sms" and "phone" not in self.required_fields:
            raise ValueError("confirmation by SMS needs the phone field")
        if self.confirmation_channel == "email" and "email" not in self.required_fields:
            raise ValueError("confirmation by e-mail needs the email field")
        areas = {a.code for a in self.areas}
        pools = {p.code for p in self.pools}
        errors = [
            f"street {s.name}: unknown area {s.area}" for s in self.streets if s.area not in areas
        ]
        errors += [
            f"pool {p.code}: unknown area {p.area}"
            for p in self.pools
            if p.area and p.area not in areas
        ]
        for project in self.projects:
            if project.pool not in pools:
                errors.append(f"project {project.number}: unknown pool {project.pool}")
            if project.area and project.area not in areas:
                errors.append(f"project {project.number}: unknown area {project.area}")
        if len(pools) != len(self.pools):
            errors.append("pool codes repeat")
        if len({p.number for p in self.projects}) != len(self.projects):
            errors.append("project numbers repeat")
        if errors:
            raise ValueError("; ".join(errors))
        return self
