"""Voter (identity, encrypted; uniqueness by keyed HMACs), Ballot and its choices."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from urna.core.db import BigIntId, UTCDateTime, utcnow

# "withdrawn": a paper ballot typed wrongly, withdrawn before the results (``paper_withdraw``)
BALLOT_STATUSES = ("counted", "under_review", "invalid", "withdrawn")
# A withdrawal is final and only of paper: nothing counts a withdrawn ballot again.
BALLOT_WITHDRAWN = (
    "(status = 'withdrawn' AND withdrawn_at IS NOT NULL AND channel = 'paper') "
    "OR (status <> 'withdrawn' AND withdrawn_at IS NULL)"
)
# Each sheet number once per kind of typing, withdrawn typings aside (kept as evidence).
PAPER_LIVE = "status <> 'withdrawn'"


class Voter(SQLModel, table=True):
    """One resident's identity in one edition.

    Equality of the vote (art. 5a) is enforced here by UNIQUE constraints, never by a
    check-then-insert: the identity key, the PESEL key and (contact key, slot) are each
    unique per edition, whatever the channel (online or paper).
    """

    __tablename__ = "voter"
    __table_args__ = (
        UniqueConstraint("edition_id", "identity_key"),
        UniqueConstraint("edition_id", "pesel_key"),
        UniqueConstraint("edition_id", "contact_key", "contact_slot"),
        CheckConstraint("contact_slot >= 0", name="contact_slot"),
    )

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE")
    identity_key: str | None = Field(default=None, max_length=64)
    contact_key: str | None = Field(default=None, max_length=64)
    contact_slot: int = 0
    pesel_key: str | None = Field(default=None, max_length=64)
    identity_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    guardian_role: str | None = Field(default=None, max_length=10)
    clause_id: int = Field(foreign_key="policy_document.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    purged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # ---- read by urna.fraud (and the verification team's lookup), written at the cast by
    # ``voting.fraud_keys`` (which says why ``birth_order`` is shifted by a secret offset);
    # identity data, purged with the identity
    address_key: str | None = Field(default=None, max_length=64)
    guardian_key: str | None = Field(default=None, max_length=64)
    lookup_key: str | None = Field(default=None, max_length=64)
    birth_order: int | None = None


class Ballot(SQLModel, table=True):
    """A cast ballot. Its anonymous facts (area, age band, sex) live here, not on the voter:
    they feed turnout statistics and open data and outlive the identity's purge."""

    __tablename__ = "ballot"
    __table_args__ = (
        CheckConstraint("channel IN ('online', 'paper')", name="channel"),
        CheckConstraint(
            "status IN ('counted', 'under_review', 'invalid', 'withdrawn')", name="status"
        ),
        CheckConstraint("sex IN ('', 'F', 'M')", name="sex"),
        CheckConstraint(BALLOT_WITHDRAWN, name="withdrawn"),
    )

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    voter_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("voter.id", ondelete="SET NULL"), unique=True, nullable=True
        ),
    )
    channel: str = Field(default="online", max_length=10)
    status: str = Field(default="counted", max_length=15)
    receipt_hash: str = Field(max_length=64, unique=True)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    request_id: str | None = Field(default=None, max_length=40)
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=500)
    session_hash: str | None = Field(default=None, max_length=64)
    area_id: int | None = Field(default=None, foreign_key="area.id", ondelete="SET NULL")
    age_band: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    sex: str = Field(default="", max_length=1, sa_column_kwargs={"server_default": ""})
    # ---- set by urna.verification: the reason category of a person's decision (the
    # receipt page shows an invalid ballot's reason)
    status_reason: str | None = Field(default=None, max_length=30)
    # set once, by ``voting.paper_withdraw``: the paper ballot no longer counts, for good
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BallotChoice(SQLModel, table=True):
    """One project a ballot chose. Its pool is its project's pool, which one key to
    ``project (id, pool_id)`` guarantees: a bulk import checks each row's keys one by one,
    so one key for project and pool instead of two is a third less of that work."""

    __tablename__ = "ballot_choice"
    __table_args__ = (
        ForeignKeyConstraint(["project_id", "pool_id"], ["project.id", "project.pool_id"]),
    )

    ballot_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True)
    )
    project_id: int = Field(primary_key=True, index=True)
    pool_id: int
    # 1 for approval ballots; the rank's or the resident's points otherwise.
    points: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


PAPER_ENTRY_KINDS = ("first", "second", "resolution")
PAPER_ENTRY_STATUSES = (
    "awaiting_second",
    "matched",
    "mismatch",
    "counted",
    "conflict",
    "invalid",
)


class PaperEntry(SQLModel, table=True):
    """One typing of a paper ballot (a numbered sheet) by a staff operator.

    The ``first`` entry of a sheet carries the sheet's status: counted, conflict (this
    resident already has a ballot, online or on paper), or, with double entry, awaiting
    the ``second`` typing by another operator, then counted or mismatch; a mismatch is
    settled by a ``resolution`` typing. What was typed (identity, choices) is kept only
    encrypted, and is purged with the edition's identity data. A counted sheet typed
    wrongly is ``withdrawn`` before the results (every typing of it, kept as evidence,
    ``invalid_reason`` saying why): its number is then typed again."""

    __tablename__ = "paper_entry"
    __table_args__ = (
        Index(
            "uq_paper_entry_live_sheet",
            "edition_id",
            "sheet",
            "kind",
            unique=True,
            postgresql_where=text(PAPER_LIVE),
            sqlite_where=text(PAPER_LIVE),
        ),  # fmt: skip
        CheckConstraint("kind IN ('first', 'second', 'resolution')", name="kind"),
        CheckConstraint(
            "status IN ('awaiting_second', 'matched', 'mismatch', 'counted', 'conflict', "
            "'invalid', 'withdrawn')",
            name="status",
        ),
    )

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    sheet: str = Field(max_length=40)
    kind: str = Field(max_length=12)
    double_entry: bool = False
    collection_point: str = Field(max_length=120)
    collected_on: date
    operator_id: int = Field(foreign_key="staff_user.id")
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(max_length=20)
    data_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    mismatch_fields: list[str] = Field(default_factory=list, sa_type=JSON)
    conflict: str = Field(default="", max_length=20)
    # A sheet that cannot be counted (unreadable, unsigned, not a ballot of this edition):
    # recorded as such, with the operator's reason, and never cast.
    invalid_reason: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    ballot_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("ballot.id", ondelete="SET NULL"), nullable=True),
    )


class CollectionPoint(SQLModel, table=True):
    """Where paper ballots are collected (the office's list): every sheet names one, and
    the subtotals are made per point."""

    __tablename__ = "collection_point"
    __table_args__ = (UniqueConstraint("edition_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
