"""request log

Revision ID: 0003_request_log
Revises: 0002_staff_audit
Create Date: 2026-11-23 13:30:00

One row per HTTP request (requestlog/). The primary key holds the time of arrival and no
foreign key touches the table, so it can become ``PARTITION BY RANGE (arrived_at)`` by
month without changing a query; the time index is a BRIN on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_request_log"
down_revision = "0002_staff_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_us", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("referer", sa.String(length=1000), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("request_id", "arrived_at", name=op.f("pk_request_log")),
    )
    with op.batch_alter_table("request_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_request_log_arrived_at", ["arrived_at"], unique=False, postgresql_using="brin"
        )
        batch_op.create_index("ix_request_log_ip", ["ip"], unique=False)
        batch_op.create_index("ix_request_log_session_hash", ["session_hash"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("request_log", schema=None) as batch_op:
        batch_op.drop_index("ix_request_log_session_hash")
        batch_op.drop_index("ix_request_log_ip")
        batch_op.drop_index("ix_request_log_arrived_at", postgresql_using="brin")
    op.drop_table("request_log")
