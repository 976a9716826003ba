"""editions: a street split between areas by house-number ranges

Revision ID: 0018_street_ranges
Revises: 0017_paper_withdraw
Create Date: 2026-12-03 12:00:00

A register could give a street one area only, while municipal registers split long streets
between districts ("ul. Długa 1–49 → Śródmieście, 50 and above → Północ", or odd numbers
one district and even the other). ``street_range`` holds each part of a split street; such
a street's ``area_id`` is NULL. Existing streets keep their one area and no ranges.

Downgrade: a split street gets the area of its lowest range (the earlier schema holds one
area per street), then the ranges are dropped.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_street_ranges"
down_revision = "0017_paper_withdraw"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("street") as batch:  # SQLite rebuilds it: before its referrer
        batch.alter_column("area_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "street_range",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("number_from", sa.Integer(), nullable=False),
        sa.Column("number_to", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.CheckConstraint("number_from >= 1", name=op.f("ck_street_range_number_from")),
        sa.CheckConstraint(
            "number_to IS NULL OR number_to >= number_from", name=op.f("ck_street_range_number_to")
        ),
        sa.CheckConstraint("side IN ('all', 'odd', 'even')", name=op.f("ck_street_range_side")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_street_range_area_id_area"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["street_id"],
            ["street.id"],
            name=op.f("fk_street_range_street_id_street"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_street_range")),
    )
    with op.batch_alter_table("street_range") as batch:
        batch.create_index(batch.f("ix_street_range_street_id"), ["street_id"], unique=False)


def downgrade() -> None:
    op.execute(
        "UPDATE street SET area_id = (SELECT r.area_id FROM street_range r"
        " WHERE r.street_id = street.id ORDER BY r.number_from, r.id LIMIT 1)"
        " WHERE area_id IS NULL"
    )
    op.execute("DELETE FROM street WHERE area_id IS NULL")  # a split street without ranges
    with op.batch_alter_table("street_range") as batch:
        batch.drop_index(batch.f("ix_street_range_street_id"))
    op.drop_table("street_range")
    with op.batch_alter_table("street") as batch:
        batch.alter_column("area_id", existing_type=sa.Integer(), nullable=False)
