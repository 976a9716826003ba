"""paper: a counted sheet typed wrongly is withdrawn before the results

Revision ID: 0017_paper_withdraw
Revises: 0016_paper_sheet_numbers
Create Date: 2026-12-03 11:00:00

A ballot may be ``withdrawn`` (paper only, with the moment: a CHECK keeps it so for good,
whatever writes the status later) and every typing of its sheet too; the sheet number is
then unique among the typings not withdrawn (a partial UNIQUE index), so the sheet can be
typed again under its number while the withdrawn typings stay as evidence.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_paper_withdraw"
down_revision = "0016_paper_sheet_numbers"
branch_labels = None
depends_on = None

BALLOT = "'counted', 'under_review', 'invalid'"
ENTRY = "'awaiting_second', 'matched', 'mismatch', 'counted', 'conflict', 'invalid'"
WITHDRAWN = (
    "(status = 'withdrawn' AND withdrawn_at IS NOT NULL AND channel = 'paper') "
    "OR (status <> 'withdrawn' AND withdrawn_at IS NULL)"
)
LIVE = "status <> 'withdrawn'"


def upgrade() -> None:
    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint(op.f("ck_ballot_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_ballot_status"), f"status IN ({BALLOT}, 'withdrawn')"
        )
        batch.create_check_constraint(op.f("ck_ballot_withdrawn"), WITHDRAWN)
    with op.batch_alter_table("paper_entry") as batch:
        batch.drop_constraint(op.f("uq_paper_entry_edition_id_sheet_kind"), type_="unique")
        batch.drop_constraint(op.f("ck_paper_entry_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_paper_entry_status"), f"status IN ({ENTRY}, 'withdrawn')"
        )
    op.create_index(
        "uq_paper_entry_live_sheet",
        "paper_entry",
        ["edition_id", "sheet", "kind"],
        unique=True,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )


def downgrade() -> None:
    """Refused while a withdrawn typing or ballot exists: the old schema cannot hold it."""
    op.drop_index("uq_paper_entry_live_sheet", table_name="paper_entry")
    with op.batch_alter_table("paper_entry") as batch:
        batch.drop_constraint(op.f("ck_paper_entry_status"), type_="check")
        batch.create_check_constraint(op.f("ck_paper_entry_status"), f"status IN ({ENTRY})")
        batch.create_unique_constraint(
            op.f("uq_paper_entry_edition_id_sheet_kind"), ["edition_id", "sheet", "kind"]
        )
    with op.batch_alter_table("ballot") as batch:
        batch.drop_constraint(op.f("ck_ballot_withdrawn"), type_="check")
        batch.drop_constraint(op.f("ck_ballot_status"), type_="check")
        batch.create_check_constraint(op.f("ck_ballot_status"), f"status IN ({BALLOT})")
        batch.drop_column("withdrawn_at")
