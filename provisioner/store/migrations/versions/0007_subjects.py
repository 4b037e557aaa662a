"""subjects: the requests of the people concerned, and who a breach includes
(docs/accountability.md)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 01:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_requests",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("person_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("made_by", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subject_requests_person", "subject_requests", ["person_key"])
    op.create_index("ix_subject_requests_open", "subject_requests", ["status", "due_on"])
    op.create_table(
        "subject_breaches",
        sa.Column("breach_id", sa.String(length=20), nullable=False),
        sa.Column("person_key", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["breach_id"], ["breaches.id"]),
        sa.PrimaryKeyConstraint("breach_id", "person_key"),
    )
    op.create_index("ix_subject_breaches_person", "subject_breaches", ["person_key"])


def downgrade() -> None:
    op.drop_index("ix_subject_breaches_person", table_name="subject_breaches")
    op.drop_table("subject_breaches")
    op.drop_index("ix_subject_requests_open", table_name="subject_requests")
    op.drop_index("ix_subject_requests_person", table_name="subject_requests")
    op.drop_table("subject_requests")
