"""consent: how an answer was obtained, answers unique per giver, the yearly reminders

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 22:40:00

- ``consents.mechanism`` (opt_in, opt_out, pre_ticked, condition_of_enrolment, unknown):
  NULL for every existing answer, which means "the source did not say": the board's
  ``[consent] default_mechanism`` applies (docs/consent.md, "Upgrading").
- The answer's unique key gains ``given_by``: parents and a pupil of 16 may answer on the
  same day.
- A "withdrawn" stored before this revision for a giver who never said yes (a pupil's
  refusal after the parents' yes) becomes the refusal it was.
- ``consent_reminders``: the yearly reminder per location and school year.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD_KEY = ("pupil_id", "medium", "school_year", "recorded_on", "status")
_NEW_KEY = (*_OLD_KEY, "given_by")
#: Gives the unnamed unique key of 0001 a name when SQLite's table is copied.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def _old_key_name() -> str:
    """The name the database gave the unique key 0001 created without one."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return "uq_consents_" + "_".join(_OLD_KEY)
    for constraint in sa.inspect(bind).get_unique_constraints("consents"):
        if tuple(constraint["column_names"]) == _OLD_KEY and constraint["name"]:
            return str(constraint["name"])
    raise RuntimeError("consents: the unique key of revision 0001 was not found")


def upgrade() -> None:
    old_key = _old_key_name()
    with op.batch_alter_table("consents", naming_convention=_NAMING) as batch:
        batch.add_column(sa.Column("mechanism", sa.String(length=30), nullable=True))
        batch.drop_constraint(old_key, type_="unique")
        batch.create_unique_constraint("uq_consents_answer", list(_NEW_KEY))
    _withdrawals_without_consent_become_refusals()
    op.create_table(
        "consent_reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("location", sa.String(length=6), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("location", "school_year", "sent_on", name="uq_consent_reminders"),
    )


def _withdrawals_without_consent_become_refusals() -> None:
    """Before this revision a "no" counted as a withdrawal after anyone's "yes"; now only
    after the same giver's. Rows whose refusal already exists are left (the same meaning)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, pupil_id, medium, school_year, recorded_on, status, given_by"
            " FROM consents ORDER BY recorded_on, id"
        )
    ).all()
    said_yes: set[tuple[str, str, str, str]] = set()
    keys = {
        (r.pupil_id, r.medium, r.school_year, r.recorded_on, r.status, r.given_by) for r in rows
    }
    for row in rows:
        giver = (row.pupil_id, row.medium, row.school_year, row.given_by)
        if row.status == "granted":
            said_yes.add(giver)
        elif row.status == "withdrawn" and giver not in said_yes:
            refusal = (*giver[:3], row.recorded_on, "refused", row.given_by)
            if refusal not in keys:
                bind.execute(
                    sa.text("UPDATE consents SET status = 'refused' WHERE id = :id"),
                    {"id": row.id},
                )
                keys.add(refusal)


def downgrade() -> None:
    op.drop_table("consent_reminders")
    with op.batch_alter_table("consents") as batch:
        batch.drop_constraint("uq_consents_answer", type_="unique")
        batch.create_unique_constraint("uq_consents_" + "_".join(_OLD_KEY), list(_OLD_KEY))
        batch.drop_column("mechanism")
