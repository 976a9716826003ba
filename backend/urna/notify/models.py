"""Messages waiting to be sent (SMS, e-mail). Recipient and body are encrypted and wiped
once sent: the outbox is a queue, not an archive of personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from urna.core.db import BigIntId, UTCDateTime, utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('sms', 'email')", name="channel"),
        # The worker's claim reads only unsent rows; sent ones stay as counts.
        Index(
            "ix_outbox_unsent",
            "id",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    channel: str = Field(max_length=10)
    purpose: str = Field(max_length=40)
    payload_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When a worker took it for sending; a claim older than the timeout is taken again.
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
