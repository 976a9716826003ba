"""Messages waiting to be sent (SMS, e-mail). Recipient and body are encrypted and wiped
once sent: the outbox is a queue, not an archive of personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, LargeBinary
from sqlmodel import Field, SQLModel

from urna.core.db import BigIntId, UTCDateTime, utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (CheckConstraint("channel IN ('sms', 'email')", name="channel"),)

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    channel: str = Field(max_length=10)
    purpose: str = Field(max_length=40)
    payload_enc: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=300)
