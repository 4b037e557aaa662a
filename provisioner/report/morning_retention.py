"""The morning report's lines on retention: the open retention tasks (to destroy, to review,
how many overdue) and the archive holds in force. Counts only, never a person's key or a
category of a person (the channel's members may not see whose data is due)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.i18n import Language, tr
from provisioner.store.tables import ManualTaskRow
from provisioner.store.tables_retention import RetentionHold


def retention_lines(sessions: sessionmaker[Session], language: Language, today: date) -> list[str]:
    """The section's lines; empty when no retention task is open and no hold is in force."""
    with sessions() as session:
        rows = session.execute(
            select(ManualTaskRow.kind, ManualTaskRow.due_on).where(
                ManualTaskRow.kind.like("retention\\_%", escape="\\"),
                ManualTaskRow.status == "open",
            )
        ).all()
        holds = session.execute(
            select(func.count()).select_from(RetentionHold).where(RetentionHold.lifted_at.is_(None))
        ).scalar_one()
    lines: list[str] = []
    if rows:
        destroy = sum(1 for kind, _ in rows if kind == "retention_destroy")
        overdue = sum(1 for _, due in rows if due is not None and due < today)
        lines.append(tr(language, "{destroy} to destroy, {review} to review, {overdue} overdue",
                        destroy=destroy, review=len(rows) - destroy, overdue=overdue))  # fmt: skip
    if holds:
        lines.append(tr(language, "{n} archive hold(s) in force", n=holds))
    if lines:
        lines.append(tr(language, "Details: provisioner retention due"))
    return lines
