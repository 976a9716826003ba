"""privacy: per-edition data keys, wrapped by the master key and shredded at retention

Revision ID: 0010_privacy
Revises: 0005_worker
Create Date: 2026-11-30 13:00:00

Identity blobs are sealed with a random key per edition, stored only wrapped by the
master key (``edition_key``); the retention purge deletes it with the identities.
Residents' data-subject requests are queued in ``data_request``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_privacy"
down_revision = "0007_mes_variants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "edition_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "edition_id",
            sa.Integer(),
            sa.ForeignKey(
                "edition.id", name=op.f("fk_edition_key_edition_id_edition"), ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("master_id", sa.String(length=16), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition_key")),
    )
    op.create_index("ix_edition_key_edition_id", "edition_key", ["edition_id"])
    op.create_table(
        "data_request",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=15), nullable=False),
        sa.Column("state", sa.String(length=15), nullable=False),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("answer_enc", sa.LargeBinary(), nullable=True),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('rectification', 'erasure', 'restriction', 'objection')",
            name=op.f("ck_data_request_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('new', 'in_progress', 'done', 'refused')", name=op.f("ck_data_request_state")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_data_request_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballot.id"],
            name=op.f("fk_data_request_ballot_id_ballot"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_request")),
    )
    op.create_index("ix_data_request_edition_id", "data_request", ["edition_id"])
    op.create_index("ix_data_request_ballot_id", "data_request", ["ballot_id"])


def downgrade() -> None:
    op.drop_index("ix_data_request_ballot_id", table_name="data_request")
    op.drop_index("ix_data_request_edition_id", table_name="data_request")
    op.drop_table("data_request")
    op.drop_index("ix_edition_key_edition_id", table_name="edition_key")
    op.drop_table("edition_key")
