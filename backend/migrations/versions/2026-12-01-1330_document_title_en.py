"""documents: an English title beside the Polish one

Revision ID: 0014_document_title_en
Revises: 0013_choice_project_pool
Create Date: 2026-12-01 13:30:00

A document's English text had no English title: the English page of the privacy policy,
the accessibility statement or a clause was headed in Polish. ``title_en`` is optional;
empty, the Polish title is shown (as for ``body_en``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_document_title_en"
down_revision = "0013_choice_project_pool"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policy_document") as batch:
        batch.add_column(sa.Column("title_en", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("policy_document") as batch:
        batch.drop_column("title_en")
