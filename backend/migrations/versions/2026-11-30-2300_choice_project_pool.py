"""voting: a ballot's choice refers to its project and pool with one key

Revision ID: 0013_choice_project_pool
Revises: 0012_result_files
Create Date: 2026-11-30 23:00:00

``ballot_choice`` had a key to ``project`` and another to ``pool``. One key
``(project_id, pool_id) -> project (id, pool_id)`` replaces both: PostgreSQL checks each
row's keys one by one (an import writes 326,000 choices for Łódź), so a third fewer checks,
and a stronger rule (a choice's pool is its project's pool, and the project's pool exists
by its own key). ``project`` gets the unique ``(id, pool_id)`` such a key needs.
"""

from __future__ import annotations

from alembic import op

revision = "0013_choice_project_pool"
down_revision = "0012_result_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.create_unique_constraint(op.f("uq_project_id_pool_id"), ["id", "pool_id"])
    with op.batch_alter_table("ballot_choice") as batch:
        batch.drop_constraint(op.f("fk_ballot_choice_pool_id_pool"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_ballot_choice_project_id_project"), type_="foreignkey")
        batch.create_foreign_key(
            op.f("fk_ballot_choice_project_id_project"),
            "project",
            ["project_id", "pool_id"],
            ["id", "pool_id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("ballot_choice") as batch:
        batch.drop_constraint(op.f("fk_ballot_choice_project_id_project"), type_="foreignkey")
        batch.create_foreign_key(
            op.f("fk_ballot_choice_project_id_project"), "project", ["project_id"], ["id"]
        )
        batch.create_foreign_key(op.f("fk_ballot_choice_pool_id_pool"), "pool", ["pool_id"], ["id"])
    with op.batch_alter_table("project") as batch:
        batch.drop_constraint(op.f("uq_project_id_pool_id"), type_="unique")
