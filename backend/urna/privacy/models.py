"""Data-subject requests (GDPR art. 16–21) filed by residents with their receipt code and
a one-time code, handled by the office in the console within a month (art. 12(3))."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, LargeBinary
from sqlmodel import Field, SQLModel

from urna.core.db import BigIntId, UTCDateTime, utcnow

REQUEST_KINDS = ("rectification", "erasure", "restriction", "objection")
REQUEST_TEXT_MAX = 4000  # characters of a request and of its answer
REQUEST_STATES = ("new", "in_progress", "done", "refused")


class DataRequest(SQLModel, table=True):
    __tablename__ = "data_request"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('rectification', 'erasure', 'restriction', 'objection')", name="kind"
        ),
        CheckConstraint("state IN ('new', 'in_progress', 'done', 'refused')", name="state"),
    )

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    ballot_id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, ForeignKey("ballot.id", ondelete="SET NULL"), index=True),
    )
    kind: str = Field(max_length=15)
    state: str = Field(default="new", max_length=15)
    # What the resident wrote and the office's answer: sealed with the edition's key,
    # so they are shredded with the identities at the retention date.
    body_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    answer_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    filed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
