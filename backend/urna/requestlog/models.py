"""One row per HTTP request, append-only.

Ready to be partitioned by month on PostgreSQL: the primary key includes the time of
arrival, no foreign key points into or out of the table, and the time index is a BRIN
(tiny, and right for rows that arrive in time order). Converting it is a migration that
renames the table, creates ``request_log`` ``PARTITION BY RANGE (arrived_at)`` with the
same columns and indexes, and attaches the old table as the first partition.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, SmallInteger, text
from sqlmodel import Field, SQLModel

from urna.core.db import UTCDateTime

COLUMNS = (
    "request_id",
    "arrived_at",
    "responded_at",
    "duration_us",
    "ip",
    "host",
    "method",
    "url",
    "status",
    "error",
    "referer",
    "user_agent",
    "session_hash",
)


class RequestLog(SQLModel, table=True):
    __tablename__ = "request_log"
    __table_args__ = (
        Index("ix_request_log_arrived_at", "arrived_at", postgresql_using="brin"),
        Index("ix_request_log_ip", "ip"),
        Index("ix_request_log_session_hash", "session_hash"),
        # The worker's reverse-DNS queue: rows whose host name is not looked up yet.
        Index(
            "ix_request_log_host_pending",
            "ip",
            postgresql_where=text("host IS NULL AND ip IS NOT NULL"),
            sqlite_where=text("host IS NULL AND ip IS NOT NULL"),
        ),
    )

    request_id: str = Field(max_length=32, primary_key=True)
    arrived_at: datetime = Field(sa_type=UTCDateTime, primary_key=True)
    responded_at: datetime = Field(sa_type=UTCDateTime)
    duration_us: int
    # A canonical IP address (or NULL for a peer that has none, e.g. a unix socket).
    ip: str | None = Field(default=None, max_length=45)
    # Reverse DNS, filled in by the worker: NULL not looked up yet (or no answer from the
    # resolver yet: asked again later), "" the resolver answered that there is no name.
    host: str | None = Field(default=None, max_length=255)
    method: str = Field(max_length=10)
    url: str = Field(max_length=2000)
    status: int = Field(sa_type=SmallInteger)
    error: str | None = Field(default=None, max_length=500)
    referer: str | None = Field(default=None, max_length=1000)
    user_agent: str | None = Field(default=None, max_length=500)
    session_hash: str | None = Field(default=None, max_length=64)
