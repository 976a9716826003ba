"""resident experience: project images and map points, extensions of the closing date,
paper collection points and invalid sheets

Revision ID: 0009_experience
Revises: 0006_verification
Create Date: 2026-11-30 12:00:00

A project gets pictures (resized, without metadata, in the database so every app process
serves them) and, besides its address, a point on a map. An edition whose voting has
opened may still be extended (a later closing date, with the reason announced). Paper
sheets name a collection point from the office's list (the points already typed become
that list) and may be recorded as invalid, with the reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_experience"
down_revision = "0006_verification"
branch_labels = None
depends_on = None


STATUSES = "'awaiting_second', 'matched', 'mismatch', 'counted', 'conflict'"


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("latitude", sa.Numeric(precision=8, scale=6), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True))
    op.create_table(
        "project_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(length=300), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_image_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_image")),
    )
    op.create_index(op.f("ix_project_image_project_id"), "project_image", ["project_id"])
    op.create_table(
        "closing_extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("previous_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_closing_extension_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closing_extension")),
    )
    op.create_index(op.f("ix_closing_extension_edition_id"), "closing_extension", ["edition_id"])
    op.create_table(
        "collection_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["edition.id"],
            name=op.f("fk_collection_point_edition_id_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_point")),
        sa.UniqueConstraint("edition_id", "name", name=op.f("uq_collection_point_edition_id_name")),
    )
    op.create_index(op.f("ix_collection_point_edition_id"), "collection_point", ["edition_id"])
    op.execute(
        "INSERT INTO collection_point (edition_id, name, created_at) "
        "SELECT DISTINCT edition_id, collection_point, CURRENT_TIMESTAMP FROM paper_entry"
    )
    with op.batch_alter_table("paper_entry") as batch:
        batch.add_column(sa.Column("invalid_reason", sa.Text(), server_default="", nullable=False))
        batch.drop_constraint(op.f("ck_paper_entry_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_paper_entry_status"), f"status IN ({STATUSES}, 'invalid')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM paper_entry WHERE status = 'invalid'")
    with op.batch_alter_table("paper_entry") as batch:
        batch.drop_constraint(op.f("ck_paper_entry_status"), type_="check")
        batch.create_check_constraint(op.f("ck_paper_entry_status"), f"status IN ({STATUSES})")
        batch.drop_column("invalid_reason")
    op.drop_index(op.f("ix_collection_point_edition_id"), table_name="collection_point")
    op.drop_table("collection_point")
    op.drop_index(op.f("ix_closing_extension_edition_id"), table_name="closing_extension")
    op.drop_table("closing_extension")
    op.drop_index(op.f("ix_project_image_project_id"), table_name="project_image")
    op.drop_table("project_image")
    with op.batch_alter_table("project") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
