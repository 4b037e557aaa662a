"""interns: every internship with its supervisors and whether its end was handled
(docs/accountability.md)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "internships",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_key", sa.String(length=200), nullable=False),
        sa.Column("location", sa.String(length=20), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("study_end", sa.Date(), nullable=True),
        sa.Column("institute", sa.String(length=200), nullable=False),
        sa.Column("workplace_supervisor", sa.String(length=200), nullable=True),
        sa.Column("school_trainer", sa.String(length=200), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by_run", sa.String(length=64), nullable=True),
        sa.Column("reflection_task", sa.Integer(), nullable=True),
        sa.Column("recordings_task", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["reflection_task"], ["manual_tasks.id"]),
        sa.ForeignKeyConstraint(["recordings_task"], ["manual_tasks.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_key", "location", "start_on", name="uq_internships"),
    )
    op.create_index("ix_internships_person", "internships", ["person_key"])


def downgrade() -> None:
    op.drop_index("ix_internships_person", table_name="internships")
    op.drop_table("internships")
