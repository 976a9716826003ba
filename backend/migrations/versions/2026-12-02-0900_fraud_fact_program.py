"""fraud: a ballot's client that is a program, not a person's web browser

Revision ID: 0015_fraud_fact_program
Revises: 0014_document_title_en
Create Date: 2026-12-02 09:00:00

A ballot cast by an HTTP library, a command-line tool, a crawler or a headless browser
pacing itself like a person raised no signal: its user agent was only seen in its trail.
The scan now names such a client in the ballot's facts (``program``: ua-parser's family,
"" when no user agent was sent; NULL for a browser), read once per distinct user agent
after the facts are written. Existing facts get theirs at the next full scan.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_fraud_fact_program"
down_revision = "0014_document_title_en"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fraud_ballot_fact") as batch:
        batch.add_column(sa.Column("program", sa.String(50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fraud_ballot_fact") as batch:
        batch.drop_column("program")
