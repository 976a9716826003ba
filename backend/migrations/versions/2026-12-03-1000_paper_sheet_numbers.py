"""paper: one spelling of a sheet number

Revision ID: 0016_paper_sheet_numbers
Revises: 0015_fraud_fact_program
Create Date: 2026-12-03 10:00:00

A sheet number typed with a Unicode dash (‐ ‑ – —, a minus sign) or full-width characters
was another number than the ASCII one: one paper could be typed in twice. Numbers are now
spelt one way when typed (``voting.paper_ballot.sheet_number``); the numbers stored before
are spelt so here, and found by what is typed now. A stored number whose new spelling is
another sheet's already (the same paper typed twice under the two spellings) is left as it
is: both typings stay, for the office to settle. Nothing to undo on the way down: the new
spelling is as valid a number as the old one.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0016_paper_sheet_numbers"
down_revision = "0015_fraud_fact_program"
branch_labels = None
depends_on = None

paper_entry = sa.table(
    "paper_entry",
    sa.column("id", sa.BigInteger),
    sa.column("edition_id", sa.Integer),
    sa.column("sheet", sa.String),
    sa.column("kind", sa.String),
)


def _spelt(typed: str) -> str:
    """``sheet_number`` as it was written when this migration was (frozen here)."""
    folded = unicodedata.normalize("NFKC", typed)
    return "".join(
        "-" if unicodedata.category(ch) == "Pd" or ch == "\u2212" else ch for ch in folded
    ).upper()


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            paper_entry.c.id, paper_entry.c.edition_id, paper_entry.c.sheet, paper_entry.c.kind
        )
    ).all()
    taken = {(row.edition_id, row.sheet, row.kind) for row in rows}
    for row in rows:
        spelt = _spelt(row.sheet)
        if spelt == row.sheet or (row.edition_id, spelt, row.kind) in taken:
            continue
        taken.discard((row.edition_id, row.sheet, row.kind))
        taken.add((row.edition_id, spelt, row.kind))
        connection.execute(
            sa.update(paper_entry).where(paper_entry.c.id == row.id).values(sheet=spelt)
        )


def downgrade() -> None:
    pass
