"""pool: the options of the Method of Equal Shares (completion, add-one stop and start,
comparison step)

Revision ID: 0007_mes_variants
Revises: 0004_results
Create Date: 2026-11-30 11:00:00

Pools that exist already keep the add-one loop they were set up with, which also stopped at
the first exhaustive outcome (``mes_add1_stop = 'exhaustive'``); new pools default to the
computation tool's rule, stopping at the first step whose outcome exceeds the budget.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_mes_variants"
down_revision = "0005_worker"
branch_labels = None
depends_on = None

COLUMNS = (
    ("mes_completion", 20, "add1_utilitarian", ("add1_utilitarian", "add1", "utilitarian", "none")),
    ("mes_add1_stop", 12, "over_budget", ("over_budget", "exhaustive")),
    ("mes_add1_start", 8, "exact", ("exact", "whole")),
    ("mes_comparison", 14, "none", ("none", "satisfaction", "at_least_one")),
)


def upgrade() -> None:
    with op.batch_alter_table("pool") as batch:
        for name, length, default, values in COLUMNS:
            batch.add_column(
                sa.Column(name, sa.String(length=length), server_default=default, nullable=False)
            )
            batch.create_check_constraint(
                op.f(f"ck_pool_{name}"),
                f"{name} IN ({', '.join(repr(value) for value in values)})",
            )
    op.execute("UPDATE pool SET mes_add1_stop = 'exhaustive'")


def downgrade() -> None:
    with op.batch_alter_table("pool") as batch:
        for name, _, _, _ in reversed(COLUMNS):
            batch.drop_constraint(op.f(f"ck_pool_{name}"), type_="check")
            batch.drop_column(name)
