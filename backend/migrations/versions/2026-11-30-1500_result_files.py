"""results: open-data files of a published run, built once and served by their SHA-256

Revision ID: 0012_result_files
Revises: 0011_ballot_order
Create Date: 2026-11-30 15:00:00

The `.pb` download read every counted ballot at each request (90,000 for Łódź). A run's
JSON, CSV and `.pb` files are now built when it is published and kept here; runs published
before this revision get theirs at their first download.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_result_files"
down_revision = "0011_ballot_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("media_type", sa.String(60), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["result_run.id"],
            name=op.f("fk_result_file_run_id_result_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_file")),
        sa.UniqueConstraint("run_id", "name", name=op.f("uq_result_file_run_id_name")),
    )
    op.create_index(op.f("ix_result_file_run_id"), "result_file", ["run_id"])
    op.create_index(op.f("ix_result_file_sha256"), "result_file", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_result_file_sha256", table_name="result_file")
    op.drop_index("ix_result_file_run_id", table_name="result_file")
    op.drop_table("result_file")
