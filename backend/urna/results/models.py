"""Computed results (drafts and the published one) and the public tie draws they rely on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from urna.core.db import UTCDateTime, utcnow

RESULT_STATUSES = ("draft", "published", "withdrawn")


class ResultRun(SQLModel, table=True):
    """One computation of an edition's results, frozen as computed.

    The payload (tallies, allocations with their step logs, transfers, turnout) is what the
    public pages and the open data show, byte for byte: publishing flips the status of a
    reviewed draft, it never recomputes. ``sha256`` is the digest of the canonical JSON of
    the payload, printed on the results page so that anyone can check a download. At most
    one run per edition is published (a partial UNIQUE index).

    ``ballot_order_seed`` is drawn at random when the run is published and never shown: it
    fixes the permutation in which the open data lists ballots, so that their order says
    nothing about ballot ids or the order of voting."""

    __tablename__ = "result_run"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="status"),
        Index(
            "uq_result_run_published",
            "edition_id",
            unique=True,
            postgresql_where=text("status = 'published'"),
            sqlite_where=text("status = 'published'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    status: str = Field(default="draft", max_length=10)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    computed_by: int | None = Field(default=None, foreign_key="staff_user.id")
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by: int | None = Field(default=None, foreign_key="staff_user.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    sha256: str = Field(max_length=64)
    ballot_order_seed: int | None = Field(default=None, sa_type=BigInteger)


class TieDraw(SQLModel, table=True):
    """The public draw that orders a pool's tied projects, as the office recorded it.

    Either ``seed`` (the number drawn; each tie group's order follows from it, see
    `urna.results.rules.ties`) or ``draw_order`` (project numbers, earlier = preferred, the
    draw's result as read out). One draw per pool; the computation is deterministic from it."""

    __tablename__ = "tie_draw"
    __table_args__ = (
        UniqueConstraint("pool_id"),
        CheckConstraint("(seed IS NULL) <> (draw_order IS NULL)", name="seed_or_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    pool_id: int = Field(foreign_key="pool.id", ondelete="CASCADE")
    seed: int | None = Field(default=None, sa_type=BigInteger)
    draw_order: list[str] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    note: str = Field(default="", sa_type=Text)
    recorded_by: int | None = Field(default=None, foreign_key="staff_user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ResultFile(SQLModel, table=True):
    """One open-data file of a published run (JSON, CSV, a pool's `.pb`), built once when
    the run is published and served by its SHA-256 (the ETag) at every download: no
    ballot is read again. ``name`` is what the download is asked for (``results.json``,
    ``results.csv``, ``<pool>.pb``, ``<pool>.demographics.pb`` while the edition publishes
    demographics). The files of a run go with it when it is withdrawn."""

    __tablename__ = "result_file"
    __table_args__ = (UniqueConstraint("run_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="result_run.id", ondelete="CASCADE", index=True)
    name: str = Field(max_length=120)
    media_type: str = Field(max_length=60)
    sha256: str = Field(max_length=64, index=True)
    size: int
    content: bytes = Field(sa_type=LargeBinary, repr=False)
    built_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
