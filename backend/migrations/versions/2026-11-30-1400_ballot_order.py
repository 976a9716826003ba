"""results: a random seed per published run fixes the order of ballots in the open data

Revision ID: 0011_ballot_order
Revises: 0006_verification
Create Date: 2026-11-30 14:00:00

The pabulib file listed ballots in id order, i.e. in the order people voted. Each run now
gets a random seed when it is published (never shown); runs already published get one here.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011_ballot_order"
down_revision = "0009_experience"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("result_run") as batch:
        batch.add_column(sa.Column("ballot_order_seed", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    published = bind.execute(sa.text("SELECT id FROM result_run WHERE status <> 'draft'"))
    for (run_id,) in published.fetchall():
        bind.execute(
            sa.text("UPDATE result_run SET ballot_order_seed = :seed WHERE id = :id"),
            {"seed": secrets.randbits(62), "id": run_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("result_run") as batch:
        batch.drop_column("ballot_order_seed")
