"""directory: the pupil's ECK iD in a column of its own

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The snapshot is rewritten whole on every applied run, so the column fills on the next one.
    with op.batch_alter_table("directory_people") as batch:
        batch.add_column(sa.Column("eck_id", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("directory_people") as batch:
        batch.drop_column("eck_id")
