"""Versioned public documents: the privacy policy and each edition's information clause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from urna.core.db import UTCDateTime, utcnow


class PolicyDocument(SQLModel, table=True):
    """One dated version of a document; the versions of a (kind, edition) are its change
    register. A ballot stores the id of the clause version its voter was shown."""

    __tablename__ = "policy_document"
    __table_args__ = (
        UniqueConstraint("kind", "edition_id", "version"),
        CheckConstraint("kind IN ('clause', 'policy', 'accessibility')", name="kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    edition_id: int | None = Field(default=None, foreign_key="edition.id", ondelete="CASCADE")
    version: int
    title: str = Field(max_length=200)
    # Shown on English pages; empty, the (binding) Polish title is shown there too.
    title_en: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    body: str = Field(sa_type=Text)
    body_en: str = Field(default="", sa_type=Text)
    change_summary: str = Field(default="", max_length=500)
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
