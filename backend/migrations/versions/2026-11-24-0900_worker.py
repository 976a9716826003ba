"""worker: outbox claims, and partial indexes for the worker's queues

Revision ID: 0005_worker
Revises: 0004_results
Create Date: 2026-11-24 09:00:00

``urna worker`` delivers the outbox and resolves host names of request-log rows. A
message it takes for sending carries the time of the claim (a stale claim is taken
again). Both queues are read through partial indexes over the rows still waiting, so a
round costs the same with a million sent messages or logged requests behind it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_worker"
down_revision = "0004_results"
branch_labels = None
depends_on = None

UNSENT = sa.text("sent_at IS NULL")
HOST_PENDING = sa.text("host IS NULL AND ip IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_outbox_unsent", ["id"], postgresql_where=UNSENT, sqlite_where=UNSENT
        )
    with op.batch_alter_table("request_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_request_log_host_pending",
            ["ip"],
            postgresql_where=HOST_PENDING,
            sqlite_where=HOST_PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("request_log", schema=None) as batch_op:
        batch_op.drop_index("ix_request_log_host_pending")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unsent")
        batch_op.drop_column("claimed_at")
