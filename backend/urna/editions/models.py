"""Edition, its areas and street register, pools and projects."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    LargeBinary,
    Numeric,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel

from urna.core.db import UTCDateTime, utcnow

IDENTITY_FIELDS = ("first_name", "last_name", "address", "birth_date", "phone", "email", "pesel")
DEFAULT_IDENTITY_FIELDS = ["first_name", "last_name", "address", "birth_date", "phone"]
# How a ballot scores: one vote per chosen project (approval), points by rank (ordinal),
# points the resident spreads (cumulative) or gives each project (scoring).
VOTE_TYPES = ("approval", "ordinal", "cumulative", "scoring")
# Allocation rule of a pool: greedy by votes skipping projects that do not fit, greedy
# stopping at the first misfit, or the Method of Equal Shares with the add-one completion.
POOL_RULES = ("greedy", "greedy_stop", "equal_shares")
# Equal shares' options, the values of the enums in urna.results.rules (described there):
# the completion, when the add-one loop stops and what it starts from, the comparison step.
MES_COMPLETIONS = ("add1_utilitarian", "add1", "utilitarian", "none")
MES_ADD1_STOPS = ("over_budget", "exhaustive")
MES_ADD1_STARTS = ("exact", "whole")
MES_COMPARISONS = ("none", "satisfaction", "at_least_one")


# What an edition's address may be: anything else names no edition (and a NUL byte or
# 20,000 characters never reach the database).
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,79}$"


class Edition(SQLModel, table=True):
    __tablename__ = "edition"
    __table_args__ = (
        CheckConstraint("voting_opens_at < voting_closes_at", name="voting_window"),
        CheckConstraint("max_ballots_per_contact >= 1", name="ballots_per_contact"),
        CheckConstraint(
            "confirmation_channel IN ('sms', 'email', 'none')", name="confirmation_channel"
        ),
        CheckConstraint(
            "vote_type IN ('approval', 'ordinal', 'cumulative', 'scoring')", name="vote_type"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    municipality: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    description_en: str = Field(default="", sa_type=Text)
    voting_opens_at: datetime = Field(sa_type=UTCDateTime)
    voting_closes_at: datetime = Field(sa_type=UTCDateTime)
    results_at: datetime = Field(sa_type=UTCDateTime)
    retention_months: int = 3
    required_fields: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IDENTITY_FIELDS), sa_type=JSON
    )
    confirmation_channel: str = Field(default="sms", max_length=10)
    max_ballots_per_contact: int = 1
    district_limited_to_area: bool = True
    vote_type: str = Field(
        default="approval", max_length=12, sa_column_kwargs={"server_default": "approval"}
    )
    # Open data may carry each anonymous ballot's age band and sex only when this is set.
    publish_demographics: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # ---- set in the verification console: an invalidation takes effect only when a
    # second, different verifier confirms it
    second_verifier_required: bool = Field(
        default=False, sa_column_kwargs={"server_default": false()}
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Area(SQLModel, table=True):
    __tablename__ = "area"
    __table_args__ = (UniqueConstraint("edition_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)


class Street(SQLModel, table=True):
    """The municipal street register: a street belongs to one area of the edition
    (``area_id``), or is split between areas by house numbers (``area_id`` NULL, its
    ``StreetRange`` rows say which numbers belong where)."""

    __tablename__ = "street"
    __table_args__ = (UniqueConstraint("edition_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=200)
    area_id: int | None = Field(default=None, foreign_key="area.id", ondelete="CASCADE")


class StreetRange(SQLModel, table=True):
    """The house numbers of a split street that belong to one area: from ``number_from`` to
    ``number_to`` (NULL: and above), on one ``side`` of the street or both
    (``editions.street_ranges``; the import refuses ranges that overlap or leave gaps)."""

    __tablename__ = "street_range"
    __table_args__ = (
        CheckConstraint("number_from >= 1", name="number_from"),
        CheckConstraint("number_to IS NULL OR number_to >= number_from", name="number_to"),
        CheckConstraint("side IN ('all', 'odd', 'even')", name="side"),
    )

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id", ondelete="CASCADE", index=True)
    area_id: int = Field(foreign_key="area.id", ondelete="CASCADE")
    number_from: int = 1
    number_to: int | None = None
    side: str = Field(default="all", max_length=4)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Pool(SQLModel, table=True):
    __tablename__ = "pool"
    __table_args__ = (
        UniqueConstraint("edition_id", "code"),
        CheckConstraint("kind IN ('citywide', 'district')", name="kind"),
        CheckConstraint("min_choices >= 0 AND max_choices >= min_choices", name="choices"),
        CheckConstraint("budget >= 0", name="budget"),
        CheckConstraint("rule IN ('greedy', 'greedy_stop', 'equal_shares')", name="rule"),
        CheckConstraint("min_votes IS NULL OR min_votes >= 0", name="min_votes"),
        CheckConstraint(
            "min_votes_percent IS NULL OR (min_votes_percent >= 0 AND min_votes_percent <= 100)",
            name="min_votes_percent",
        ),
        CheckConstraint(_one_of("mes_completion", MES_COMPLETIONS), name="mes_completion"),
        CheckConstraint(_one_of("mes_add1_stop", MES_ADD1_STOPS), name="mes_add1_stop"),
        CheckConstraint(_one_of("mes_add1_start", MES_ADD1_STARTS), name="mes_add1_start"),
        CheckConstraint(_one_of("mes_comparison", MES_COMPARISONS), name="mes_comparison"),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(default="citywide", max_length=10)
    area_id: int | None = Field(default=None, foreign_key="area.id", ondelete="SET NULL")
    budget: int = Field(sa_type=BigInteger)
    min_choices: int = 0
    max_choices: int = 1
    max_total_cost: int | None = Field(default=None, sa_type=BigInteger)
    position: int = 0
    rule: str = Field(
        default="greedy", max_length=15, sa_column_kwargs={"server_default": "greedy"}
    )
    # A project needs at least this many votes (points), and this % of the pool's voters.
    min_votes: int | None = None
    min_votes_percent: Decimal | None = Field(default=None, sa_type=Numeric(5, 2))
    # Money this pool does not spend moves to that pool, which is then computed again.
    leftover_to_pool_id: int | None = Field(
        default=None, foreign_key="pool.id", ondelete="SET NULL"
    )
    # Equal shares only (see MES_COMPLETIONS above).
    mes_completion: str = Field(
        default="add1_utilitarian",
        max_length=20,
        sa_column_kwargs={"server_default": "add1_utilitarian"},
    )
    mes_add1_stop: str = Field(
        default="over_budget", max_length=12, sa_column_kwargs={"server_default": "over_budget"}
    )
    mes_add1_start: str = Field(
        default="exact", max_length=8, sa_column_kwargs={"server_default": "exact"}
    )
    mes_comparison: str = Field(
        default="none", max_length=14, sa_column_kwargs={"server_default": "none"}
    )


class Project(SQLModel, table=True):
    __tablename__ = "project"
    __table_args__ = (
        UniqueConstraint("edition_id", "number"),
        # What a ballot's choice refers to (voting's ``ballot_choice``): the project in
        # its pool, so a choice cannot name a pool that is not its project's.
        UniqueConstraint("id", "pool_id"),
        CheckConstraint("cost >= 0", name="cost"),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    pool_id: int = Field(foreign_key="pool.id", ondelete="CASCADE", index=True)
    number: str = Field(max_length=40)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_type=Text)
    cost: int = Field(sa_type=BigInteger)
    area_id: int | None = Field(default=None, foreign_key="area.id", ondelete="SET NULL")
    category: str = Field(default="", max_length=80)
    # Where the project is: its address (``location``) and, when known, its point on a map.
    location: str = Field(default="", max_length=300)
    latitude: Decimal | None = Field(default=None, sa_type=Numeric(8, 6))
    longitude: Decimal | None = Field(default=None, sa_type=Numeric(9, 6))


class ProjectImage(SQLModel, table=True):
    """A picture of a project, as the office attached it: resized and stripped of its
    metadata (``editions.images``), kept in the database so every app process serves it."""

    __tablename__ = "project_image"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE", index=True)
    alt_text: str = Field(max_length=300)
    width: int
    height: int
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ClosingExtension(SQLModel, table=True):
    """Voting was extended once it had opened: a later closing date, never an earlier one,
    with the reason the office gave (announced on the edition's page, in the audit log)."""

    __tablename__ = "closing_extension"

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    previous_closes_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
