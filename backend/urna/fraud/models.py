"""Fraud signals, the cases they form, the allow-list of known shared networks, and the
scan's progress mark.

A signal is one suspicious group of ballots (``kind`` + ``key``, e.g. ``ip`` +
``ip:203.0.113.7``), unique per edition, so a rescan updates it in place. Signals that
share ballots form a case; a case's ``key`` is a stable fingerprint (its strongest
signal's kind and key), so a rescan finds the same case instead of making a new one.
Evidence is a message id with parameters (rendered in Polish or English when shown),
never a name, a contact or an address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, ForeignKey, Index, Text
from sqlmodel import Field, SQLModel

from urna.core.db import BigIntId, UTCDateTime, utcnow
from urna.voting.models import Voter

CASE_STATUSES = ("open", "decided")


class FraudAllow(SQLModel, table=True):
    """A known shared network (the town hall's kiosk, a library, a school): ballots from
    it do not raise the network signals."""

    __tablename__ = "fraud_allow"

    id: int | None = Field(default=None, primary_key=True)
    cidr: str = Field(max_length=50, unique=True)
    note: str = Field(default="", sa_type=Text)
    created_by: int | None = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FraudCase(SQLModel, table=True):
    __tablename__ = "fraud_case"
    __table_args__ = (CheckConstraint("status IN ('open', 'decided')", name="status"),)

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    key: str = Field(sa_type=Text)
    score: float = 0.0
    # 'open' until urna.verification marks it 'decided'; a rescan that finds new ballots
    # for a decided case reopens it and says so in its evidence.
    status: str = Field(default="open", max_length=10)
    # Why the case was reopened, if it was ({"message": msgid, "params": {...}}, or {}).
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


Index("uq_fraud_case_edition_id_key", FraudCase.edition_id, FraudCase.key, unique=True)


class FraudSignal(SQLModel, table=True):
    __tablename__ = "fraud_signal"

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE")
    case_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("fraud_case.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    kind: str = Field(max_length=30)
    key: str = Field(sa_type=Text)
    score: float = 0.0
    # {"message": msgid, "params": {...}}: rendered in the reader's language.
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_at: datetime = Field(sa_type=UTCDateTime)
    last_at: datetime = Field(sa_type=UTCDateTime)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


Index(
    "uq_fraud_signal_edition_id_kind_key",
    FraudSignal.edition_id,
    FraudSignal.kind,
    FraudSignal.key,
    unique=True,
)


def _ballot_ref() -> Any:
    return Field(
        sa_column=Column(
            BigInteger, ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


class FraudSignalBallot(SQLModel, table=True):
    __tablename__ = "fraud_signal_ballot"

    signal_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("fraud_signal.id", ondelete="CASCADE"), primary_key=True
        )
    )
    ballot_id: int = _ballot_ref()


class FraudCaseBallot(SQLModel, table=True):
    __tablename__ = "fraud_case_ballot"

    case_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("fraud_case.id", ondelete="CASCADE"), primary_key=True
        )
    )
    ballot_id: int = _ballot_ref()


class FraudScanMark(SQLModel, table=True):
    """How far the scan of an edition has read: the incremental scan starts after
    ``last_ballot_id``."""

    __tablename__ = "fraud_scan_mark"

    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", primary_key=True)
    last_ballot_id: int = Field(default=0, sa_type=BigInteger)
    full_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    incremental_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FraudBallotFact(SQLModel, table=True):
    """What the scan reads about one ballot, computed once when the ballot is first
    scanned (the full scan recomputes it): its network, its choice set, whether its
    client was a program rather than a browser, and from the request log of its session
    the pace (information clause to cast), the page views before the cast and the timing
    pattern of the voting steps."""

    __tablename__ = "fraud_ballot_fact"

    ballot_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True)
    )
    edition_id: int  # the ballot's (no key of its own: the ballot's cascade removes the row)
    ts: float  # submitted_at as seconds since the epoch: windows over time are numeric
    net: str | None = Field(default=None, max_length=50)  # the IPv4 /24 or IPv6 /48
    ipua: str | None = Field(default=None, max_length=100)  # the IP + a hash of the UA
    datacenter: str | None = Field(default=None, max_length=50)  # matching listed CIDR
    choice_set: str = Field(default="", sa_type=Text)  # sorted project ids
    pace: float | None = None  # seconds from the clause's page to the cast
    views: int | None = None  # pages, styles, images loaded before the cast, outside the vote
    # The client's name (ua-parser's family; "" for none) when the cast's user agent is
    # not a person's web browser (``agents.agent_program``); None for a browser.
    program: str | None = Field(default=None, max_length=50)
    timing: str | None = Field(default=None, sa_type=Text)  # seconds from each step to the cast


Index("ix_fraud_ballot_fact_edition_id_net", FraudBallotFact.edition_id, FraudBallotFact.net)
Index("ix_fraud_ballot_fact_edition_id_ts", FraudBallotFact.edition_id, FraudBallotFact.ts)
Index("ix_fraud_ballot_fact_edition_id_timing", FraudBallotFact.edition_id, FraudBallotFact.timing)
Index(
    "ix_fraud_ballot_fact_edition_id_datacenter",
    FraudBallotFact.edition_id,
    FraudBallotFact.datacenter,
)


class FraudProjectDay(SQLModel, table=True):
    """Ballots per project per day (a calendar day in Polish time): the counters a burst is
    measured against. The full scan recounts them; the incremental scan changes them by the
    new ballots' own counts, so finding a burst never reads the whole edition, nor a whole
    day."""

    __tablename__ = "fraud_project_day"

    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE", primary_key=True)
    day: int = Field(primary_key=True)  # a Polish calendar day, counted from 1 January 1970
    ballots: int


# The voter's signal keys are looked up per edition (the scan's groups, the verification
# team's lookup by name and address).
Index("ix_voter_fraud_edition_id_address_key", Voter.edition_id, Voter.address_key)
Index("ix_voter_fraud_edition_id_guardian_key", Voter.edition_id, Voter.guardian_key)
Index("ix_voter_fraud_edition_id_lookup_key", Voter.edition_id, Voter.lookup_key)
