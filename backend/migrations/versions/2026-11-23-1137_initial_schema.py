"""initial schema

Revision ID: 7967f4f2400b
Revises: (none)
Create Date: 2026-11-23 11:37:01.191706
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7967f4f2400b"
down_revision = None
branch_labels = None
depends_on = None

# 64-bit ids on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:

    op.create_table(
        "edition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("municipality", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("voting_opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voting_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("results_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retention_months", sa.Integer(), nullable=False),
        sa.Column("required_fields", sa.JSON(), nullable=False),
        sa.Column("confirmation_channel", sa.String(length=10), nullable=False),
        sa.Column("max_ballots_per_contact", sa.Integer(), nullable=False),
        sa.Column("district_limited_to_area", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "confirmation_channel IN ('sms', 'email', 'none')",
            name=op.f("ck_edition_confirmation_channel"),
        ),
        sa.CheckConstraint(
            "max_ballots_per_contact >= 1", name=op.f("ck_edition_ballots_per_contact")
        ),
        sa.CheckConstraint(
            "voting_opens_at < voting_closes_at", name=op.f("ck_edition_voting_window")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edition")),
        sa.UniqueConstraint("slug", name=op.f("uq_edition_slug")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("payload_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'email')", name=op.f("ck_outbox_channel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_created_at"), ["created_at"], unique=False)

    op.create_table(
        "area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_area_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area")),
        sa.UniqueConstraint("edition_id", "code", name=op.f("uq_area_edition_id_code")),
    )
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "policy_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("change_summary", sa.String(length=500), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('clause', 'policy', 'accessibility')", name=op.f("ck_policy_document_kind")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_policy_document_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_document")),
        sa.UniqueConstraint(
            "kind", "edition_id", "version", name=op.f("uq_policy_document_kind_edition_id_version")
        ),
    )
    op.create_table(
        "pool",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("min_choices", sa.Integer(), nullable=False),
        sa.Column("max_choices", sa.Integer(), nullable=False),
        sa.Column("max_total_cost", sa.BigInteger(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('citywide', 'district')", name=op.f("ck_pool_kind")),
        sa.CheckConstraint("budget >= 0", name=op.f("ck_pool_budget")),
        sa.CheckConstraint(
            "min_choices >= 0 AND max_choices >= min_choices", name=op.f("ck_pool_choices")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_pool_area_id_area"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_pool_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pool")),
        sa.UniqueConstraint("edition_id", "code", name=op.f("uq_pool_edition_id_code")),
    )
    with op.batch_alter_table("pool", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pool_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "street",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_street_area_id_area"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_street_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street")),
        sa.UniqueConstraint("edition_id", "name", name=op.f("uq_street_edition_id_name")),
    )
    with op.batch_alter_table("street", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_street_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "voter",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("identity_key", sa.String(length=64), nullable=True),
        sa.Column("contact_key", sa.String(length=64), nullable=True),
        sa.Column("contact_slot", sa.Integer(), nullable=False),
        sa.Column("pesel_key", sa.String(length=64), nullable=True),
        sa.Column("identity_enc", sa.LargeBinary(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("age_band", sa.String(length=10), nullable=False),
        sa.Column("guardian_role", sa.String(length=10), nullable=True),
        sa.Column("clause_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("contact_slot >= 0", name=op.f("ck_voter_contact_slot")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_voter_area_id_area"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["clause_id"], ["policy_document.id"], name=op.f("fk_voter_clause_id_policy_document")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_voter_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voter")),
        sa.UniqueConstraint(
            "edition_id",
            "contact_key",
            "contact_slot",
            name=op.f("uq_voter_edition_id_contact_key_contact_slot"),
        ),
        sa.UniqueConstraint(
            "edition_id", "identity_key", name=op.f("uq_voter_edition_id_identity_key")
        ),
        sa.UniqueConstraint("edition_id", "pesel_key", name=op.f("uq_voter_edition_id_pesel_key")),
    )
    op.create_table(
        "ballot",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.BigInteger(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=15), nullable=False),
        sa.Column("receipt_hash", sa.String(length=64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=500), nullable=True),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint("channel IN ('online', 'paper')", name=op.f("ck_ballot_channel")),
        sa.CheckConstraint(
            "status IN ('counted', 'under_review', 'invalid')", name=op.f("ck_ballot_status")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_ballot_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voter_id"], ["voter.id"], name=op.f("fk_ballot_voter_id_voter"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sa.UniqueConstraint("receipt_hash", name=op.f("uq_ballot_receipt_hash")),
        sa.UniqueConstraint("voter_id", name=op.f("uq_ballot_voter_id")),
    )
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_project_cost")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_project_area_id_area"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_project_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pool.id"], name=op.f("fk_project_pool_id_pool"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("edition_id", "number", name=op.f("uq_project_edition_id_number")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_edition_id"), ["edition_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_pool_id"), ["pool_id"], unique=False)

    op.create_table(
        "ballot_choice",
        sa.Column("ballot_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["ballot.id"],
            name=op.f("fk_ballot_choice_ballot_id_ballot"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pool.id"], name=op.f("fk_ballot_choice_pool_id_pool")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_ballot_choice_project_id_project")
        ),
        sa.PrimaryKeyConstraint("ballot_id", "project_id", name=op.f("pk_ballot_choice")),
    )
    with op.batch_alter_table("ballot_choice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ballot_choice_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("ballot_choice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_choice_project_id"))

    op.drop_table("ballot_choice")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_pool_id"))
        batch_op.drop_index(batch_op.f("ix_project_edition_id"))

    op.drop_table("project")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_edition_id"))

    op.drop_table("ballot")
    op.drop_table("voter")
    with op.batch_alter_table("street", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_street_edition_id"))

    op.drop_table("street")
    with op.batch_alter_table("pool", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_edition_id"))

    op.drop_table("pool")
    op.drop_table("policy_document")
    with op.batch_alter_table("area", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_edition_id"))

    op.drop_table("area")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_created_at"))

    op.drop_table("outbox")
    op.drop_table("edition")
