"""A person's decision on a ballot: valid or invalid, with a reason category and a note.

A decision is active until it is reversed; the database allows one active decision per
ballot (a partial UNIQUE index), so two verifiers deciding the same ballot at once cannot
both win. An invalidation made while the edition requires a second verifier
(``needs_confirmation``) takes effect only when another verifier confirms it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Text, text
from sqlmodel import Field, SQLModel

from urna.core.db import BigIntId, UTCDateTime, utcnow
from urna.core.i18n import N_

VERDICTS = ("valid", "invalid")
# The reason categories a verifier picks from (the receipt page shows an invalid one's
# label): code -> (verdict it goes with, label msgid).
REASONS: dict[str, tuple[str, str]] = {
    "genuine": ("valid", N_("Checked: cast by the resident")),
    "shared_network": ("valid", N_("Shared household or network, explained")),
    "duplicate_identity": ("invalid", N_("Duplicate identity")),
    "foreign_identity": ("invalid", N_("Someone else's identity")),
    "non_resident": ("invalid", N_("Not a resident of the municipality")),
    "automated": ("invalid", N_("Cast by a bot or an automated script")),
    "bought_or_coerced": ("invalid", N_("Bought or coerced vote")),
    "other": ("invalid", N_("Other breach of the voting rules")),
}
ACTIVE = text("reversed_at IS NULL")


class Decision(SQLModel, table=True):
    __tablename__ = "decision"
    __table_args__ = (
        CheckConstraint("verdict IN ('valid', 'invalid')", name="verdict"),
        CheckConstraint(
            "confirmed_by IS NULL OR confirmed_by <> decided_by", name="second_verifier"
        ),
        Index(
            "uq_decision_ballot_active",
            "ballot_id",
            unique=True,
            postgresql_where=ACTIVE,
            sqlite_where=ACTIVE,
        ),
    )

    id: int | None = Field(default=None, sa_type=BigIntId, primary_key=True)
    edition_id: int = Field(foreign_key="edition.id", ondelete="CASCADE", index=True)
    ballot_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("ballot.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    case_id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger, ForeignKey("fraud_case.id", ondelete="SET NULL"), nullable=True
        ),
    )
    verdict: str = Field(max_length=10)
    reason_category: str = Field(max_length=30)
    note: str = Field(default="", sa_type=Text)
    # The edition's rule when the decision was made: an invalidation then waits for a
    # second verifier. The ballot's status before the decision took effect (restored by
    # a reversal).
    needs_confirmation: bool = False
    status_before: str | None = Field(default=None, max_length=15)
    decided_by: int = Field(foreign_key="staff_user.id")
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_by: int | None = Field(default=None, foreign_key="staff_user.id")
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reversed_by: int | None = Field(default=None, foreign_key="staff_user.id")
    reversed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reversal_note: str = Field(default="", sa_type=Text)

    @property
    def pending(self) -> bool:
        """An invalidation still waiting for the second verifier."""
        return self.reversed_at is None and self.needs_confirmation and self.confirmed_at is None

    @property
    def effective(self) -> bool:
        return self.reversed_at is None and not self.pending
