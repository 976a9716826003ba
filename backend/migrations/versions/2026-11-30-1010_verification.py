"""verification: decisions on ballots, the ballot's status reason, the second-verifier rule

Revision ID: 0006_verification
Revises: 0005_fraud
Create Date: 2026-11-30 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_verification"
down_revision = "0005_fraud"
branch_labels = None
depends_on = None

ACTIVE = sa.text("reversed_at IS NULL")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("id", ID, nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("ballot_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("reason_category", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("needs_confirmation", sa.Boolean(), nullable=False),
        sa.Column("status_before", sa.String(length=15), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_by", sa.Integer(), nullable=True),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversal_note", sa.Text(), nullable=False),
        sa.CheckConstraint("verdict IN ('valid', 'invalid')", name=op.f("ck_decision_verdict")),
        sa.CheckConstraint(
            "confirmed_by IS NULL OR confirmed_by <> decided_by",
            name=op.f("ck_decision_second_verifier"),
        ),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballot.id"],
            name=op.f("fk_decision_ballot_id_ballot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["fraud_case.id"],
            name=op.f("fk_decision_case_id_fraud_case"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_decision_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["staff_user.id"], name=op.f("fk_decision_decided_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"], ["staff_user.id"], name=op.f("fk_decision_confirmed_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by"], ["staff_user.id"], name=op.f("fk_decision_reversed_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
    )
    op.create_index(op.f("ix_decision_edition_id"), "decision", ["edition_id"])
    op.create_index(op.f("ix_decision_ballot_id"), "decision", ["ballot_id"])
    op.create_index(
        "uq_decision_ballot_active",
        "decision",
        ["ballot_id"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("status_reason", sa.String(length=30), nullable=True))
    with op.batch_alter_table("edition") as batch:
        batch.add_column(
            sa.Column(
                "second_verifier_required", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("edition") as batch:
        batch.drop_column("second_verifier_required")
    with op.batch_alter_table("ballot") as batch:
        batch.drop_column("status_reason")
    op.drop_index("uq_decision_ballot_active", table_name="decision")
    op.drop_index(op.f("ix_decision_ballot_id"), table_name="decision")
    op.drop_index(op.f("ix_decision_edition_id"), table_name="decision")
    op.drop_table("decision")
