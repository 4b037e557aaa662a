"""chat: idempotency keys of chat actions; the scope (locations) of an offboarding override

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_actions",
        sa.Column("key", sa.String(length=300), primary_key=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # NULL: the override ends every post (what every override before this revision meant).
    with op.batch_alter_table("overrides") as batch:
        batch.add_column(sa.Column("locations", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("overrides") as batch:
        batch.drop_column("locations")
    op.drop_table("chat_actions")
