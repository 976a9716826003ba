"""fraud: signals, cases, the allow-list, ballot facts, the scan mark; the voter's signal keys

Revision ID: 0005_fraud
Revises: 0004_results
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_fraud"
down_revision = "0010_privacy"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
VOTER_INDEXES = ("address_key", "guardian_key", "lookup_key")
FACT_INDEXES = ("net", "timing", "datacenter", "ts")


def _ballot_link(table: str, owner: str, owner_table: str) -> None:
    op.create_table(
        table,
        sa.Column(owner, sa.BigInteger(), nullable=False),
        sa.Column("ballot_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballot.id"],
            name=op.f(f"fk_{table}_ballot_id_ballot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            [owner],
            [f"{owner_table}.id"],
            name=op.f(f"fk_{table}_{owner}_{owner_table}"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(owner, "ballot_id", name=op.f(f"pk_{table}")),
    )
    op.create_index(op.f(f"ix_{table}_ballot_id"), table, ["ballot_id"])


def upgrade() -> None:
    op.create_table(
        "fraud_allow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=50), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_user.id"],
            name=op.f("fk_fraud_allow_created_by_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_allow")),
        sa.UniqueConstraint("cidr", name=op.f("uq_fraud_allow_cidr")),
    )
    op.create_table(
        "fraud_case",
        sa.Column("id", ID, nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('open', 'decided')", name=op.f("ck_fraud_case_status")),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_fraud_case_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_case")),
    )
    op.create_index(op.f("ix_fraud_case_edition_id"), "fraud_case", ["edition_id"])
    op.create_index(
        "uq_fraud_case_edition_id_key", "fraud_case", ["edition_id", "key"], unique=True
    )
    op.create_table(
        "fraud_signal",
        sa.Column("id", ID, nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["fraud_case.id"],
            name=op.f("fk_fraud_signal_case_id_fraud_case"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_fraud_signal_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_signal")),
    )
    op.create_index(op.f("ix_fraud_signal_case_id"), "fraud_signal", ["case_id"])
    op.create_index(
        "uq_fraud_signal_edition_id_kind_key",
        "fraud_signal",
        ["edition_id", "kind", "key"],
        unique=True,
    )
    _ballot_link("fraud_signal_ballot", "signal_id", "fraud_signal")
    _ballot_link("fraud_case_ballot", "case_id", "fraud_case")
    op.create_table(
        "fraud_project_day",
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("ballots", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_fraud_project_day_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_fraud_project_day_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "edition_id", "project_id", "day", name=op.f("pk_fraud_project_day")
        ),
    )
    op.create_table(
        "fraud_scan_mark",
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("last_ballot_id", sa.BigInteger(), nullable=False),
        sa.Column("full_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("incremental_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_fraud_scan_mark_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("edition_id", name=op.f("pk_fraud_scan_mark")),
    )
    op.create_table(
        "fraud_ballot_fact",
        sa.Column("ballot_id", sa.BigInteger(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.Float(), nullable=False),
        sa.Column("net", sa.String(length=50), nullable=True),
        sa.Column("ipua", sa.String(length=100), nullable=True),
        sa.Column("datacenter", sa.String(length=50), nullable=True),
        sa.Column("choice_set", sa.Text(), nullable=False),
        sa.Column("pace", sa.Float(), nullable=True),
        sa.Column("views", sa.Integer(), nullable=True),
        sa.Column("timing", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballot.id"],
            name=op.f("fk_fraud_ballot_fact_ballot_id_ballot"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ballot_id", name=op.f("pk_fraud_ballot_fact")),
    )
    for column in FACT_INDEXES:
        op.create_index(
            f"ix_fraud_ballot_fact_edition_id_{column}", "fraud_ballot_fact", ["edition_id", column]
        )

    with op.batch_alter_table("voter") as batch:
        batch.add_column(sa.Column("address_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("guardian_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("lookup_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("birth_order", sa.Integer(), nullable=True))
    for column in VOTER_INDEXES:
        op.create_index(f"ix_voter_fraud_edition_id_{column}", "voter", ["edition_id", column])


def downgrade() -> None:
    for column in VOTER_INDEXES:
        op.drop_index(f"ix_voter_fraud_edition_id_{column}", table_name="voter")
    with op.batch_alter_table("voter") as batch:
        batch.drop_column("birth_order")
        batch.drop_column("lookup_key")
        batch.drop_column("guardian_key")
        batch.drop_column("address_key")
    for column in FACT_INDEXES:
        op.drop_index(f"ix_fraud_ballot_fact_edition_id_{column}", table_name="fraud_ballot_fact")
    op.drop_table("fraud_ballot_fact")
    op.drop_table("fraud_scan_mark")
    op.drop_table("fraud_project_day")
    for table in ("fraud_case_ballot", "fraud_signal_ballot"):
        op.drop_index(op.f(f"ix_{table}_ballot_id"), table_name=table)
        op.drop_table(table)
    op.drop_index("uq_fraud_signal_edition_id_kind_key", table_name="fraud_signal")
    op.drop_index(op.f("ix_fraud_signal_case_id"), table_name="fraud_signal")
    op.drop_table("fraud_signal")
    op.drop_index("uq_fraud_case_edition_id_key", table_name="fraud_case")
    op.drop_index(op.f("ix_fraud_case_edition_id"), table_name="fraud_case")
    op.drop_table("fraud_case")
    op.drop_table("fraud_allow")
