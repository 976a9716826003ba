"""The audit log: append-only events, each carrying the hash of the one before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from urna.core.db import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """Who did what, to what, when (UTC) and why.

    Ids are assigned from the chain head, gapless: a missing id is a deleted event. The
    database refuses UPDATE and DELETE on this table (a trigger, from the migrations)."""

    __tablename__ = "audit_event"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    occurred_at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    action: str = Field(max_length=60, index=True)
    target: str = Field(default="", max_length=200)
    reason: str = Field(default="", sa_type=Text)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The single row (id 1) naming the last event: the lock that serialises appends, and
    the witness that no event was cut off the end of the chain."""

    __tablename__ = "audit_head"

    id: int = Field(primary_key=True)
    last_event_id: int = Field(sa_type=BigInteger)
    last_hash: str = Field(max_length=64)
