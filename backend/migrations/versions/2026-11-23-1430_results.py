"""results: pool rule settings, ballot points and anonymous facts, result runs, tie draws

Revision ID: 0004_results
Revises: 0003_request_log
Create Date: 2026-11-23 14:30:00

The ballot's anonymous facts (area, age band) move from ``voter`` to ``ballot``: turnout
statistics and open data read them from the ballot, and they outlive the purge of the
identity. Existing values are copied before the voter columns are dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_results"
down_revision = "0003_request_log"
branch_labels = None
depends_on = None

PUBLISHED = sa.text("status = 'published'")


def upgrade() -> None:
    op.create_table(
        "result_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'withdrawn')", name=op.f("ck_result_run_status")
        ),
        sa.ForeignKeyConstraint(
            ["computed_by"], ["staff_user.id"], name=op.f("fk_result_run_computed_by_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_result_run_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["staff_user.id"],
            name=op.f("fk_result_run_published_by_staff_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result_run")),
    )
    op.create_index(op.f("ix_result_run_edition_id"), "result_run", ["edition_id"])
    op.create_index(
        "uq_result_run_published",
        "result_run",
        ["edition_id"],
        unique=True,
        postgresql_where=PUBLISHED,
        sqlite_where=PUBLISHED,
    )
    op.create_table(
        "tie_draw",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("draw_order", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(seed IS NULL) <> (draw_order IS NULL)", name=op.f("ck_tie_draw_seed_or_order")
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_tie_draw_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["pool.id"], name=op.f("fk_tie_draw_pool_id_pool"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff_user.id"], name=op.f("fk_tie_draw_recorded_by_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tie_draw")),
        sa.UniqueConstraint("pool_id", name=op.f("uq_tie_draw_pool_id")),
    )
    op.create_index(op.f("ix_tie_draw_edition_id"), "tie_draw", ["edition_id"])

    with op.batch_alter_table("ballot") as batch:
        batch.add_column(sa.Column("area_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("age_band", sa.String(length=10), server_default="", nullable=False)
        )
        batch.add_column(sa.Column("sex", sa.String(length=1), server_default="", nullable=False))
        batch.create_foreign_key(
            op.f("fk_ballot_area_id_area"), "area", ["area_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_check_constraint(op.f("ck_ballot_sex"), "sex IN ('', 'F', 'M')")
    op.execute(
        "UPDATE ballot SET area_id = (SELECT voter.area_id FROM voter WHERE voter.id = "
        "ballot.voter_id), age_band = COALESCE((SELECT voter.age_band FROM voter "
        "WHERE voter.id = ballot.voter_id), '')"
    )
    with op.batch_alter_table("voter") as batch:
        batch.drop_constraint(op.f("fk_voter_area_id_area"), type_="foreignkey")
        batch.drop_column("age_band")
        batch.drop_column("area_id")

    op.add_column(
        "ballot_choice", sa.Column("points", sa.Integer(), server_default="1", nullable=False)
    )
    with op.batch_alter_table("edition") as batch:
        batch.add_column(
            sa.Column("vote_type", sa.String(length=12), server_default="approval", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "publish_demographics", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch.create_check_constraint(
            op.f("ck_edition_vote_type"),
            "vote_type IN ('approval', 'ordinal', 'cumulative', 'scoring')",
        )
    with op.batch_alter_table("pool") as batch:
        batch.add_column(
            sa.Column("rule", sa.String(length=15), server_default="greedy", nullable=False)
        )
        batch.add_column(sa.Column("min_votes", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("min_votes_percent", sa.Numeric(precision=5, scale=2), nullable=True)
        )
        batch.add_column(sa.Column("leftover_to_pool_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_pool_leftover_to_pool_id_pool"),
            "pool",
            ["leftover_to_pool_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_check_constraint(
            op.f("ck_pool_rule"), "rule IN ('greedy', 'greedy_stop', 'equal_shares')"
        )
        batch.create_check_constraint(
            op.f("ck_pool_min_votes"), "min_votes IS NULL OR min_votes >= 0"
        )
        batch.create_check_constraint(
            op.f("ck_pool_min_votes_percent"),
            "min_votes_percent IS NULL OR (min_votes_percent >= 0 AND min_votes_percent <= 100)",
        )


def downgrade() -> None:
    with op.batch_alter_table("pool") as batch:
        batch.drop_constraint(op.f("ck_pool_min_votes_percent"), type_="check")
        batch.drop_constraint(op.f("ck_pool_min_votes"), type_="check")
        batch.drop_constraint(op.f("ck_pool_rule"), type_="check")
        batch.drop_constraint(op.f("fk_pool_leftover_to_pool_id_pool"), type_="foreignkey")
        batch.drop_column("leftover_to_pool_id")
        batch.drop_column("min_votes_percent")
        batch.drop_column("min_votes")
        batch.drop_column("rule")
    with op.batch_alter_table("edition") as batch:
        batch.drop_constraint(op.f("ck_edition_vote_type"), type_="check")
        batch.drop_column("publish_demographics")
        batch.drop_column("vote_type")
    op.drop_column("ballot_choice", "points")

    with op.batch_alter_table("voter") as batch:
        batch.add_column(sa.Column("area_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("age_band", sa.String(length=10), server_default="", nullable=False)
        )
        batch.create_foreign_key(
            op.f("fk_voter_area_id_area"), "area", ["area_id"], ["id"], ondelete="SET NULL"
        )
    op.execute(
        "UPDATE voter SET area_id = (SELECT ballot.area_id FROM ballot WHERE ballot.voter_id = "
        "voter.id), age_band = COALESCE((SELECT ballot.age_band FROM ballot "
        "WHERE ballot.voter_id = voter.id), '')"
    )
    with op.batch_alter_table("ballot") as batch:
        batch.drop_constraint(op.f("ck_ballot_sex"), type_="check")
        batch.drop_constraint(op.f("fk_ballot_area_id_area"), type_="foreignkey")
        batch.drop_column("sex")
        batch.drop_column("age_band")
        batch.drop_column("area_id")

    op.drop_index(op.f("ix_tie_draw_edition_id"), table_name="tie_draw")
    op.drop_table("tie_draw")
    op.drop_index("uq_result_run_published", table_name="result_run")
    op.drop_index(op.f("ix_result_run_edition_id"), table_name="result_run")
    op.drop_table("result_run")
