"""The morning report's lines on the requests of the people concerned (GDPR Art. 12(3): one
month; an objection: 4 weeks, seed 002 §5): how many are open, which are overdue and when
each is due. Like the rest of the report it holds request numbers, kinds and dates only,
never a name or a person's key (the channel's members may not see who asked)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.subject_deadlines import KIND_WORDS
from provisioner.i18n import Language, tr


def subject_lines(sessions: sessionmaker[Session], language: Language, today: date) -> list[str]:
    """The section's lines; empty when no request is open."""
    from provisioner.accountability.subject_requests import SubjectRequests

    items = SubjectRequests(sessions).open_requests(today)
    if not items:
        return []
    overdue = sum(1 for item in items if item.overdue)
    lines = [tr(language, "{count} open, {overdue} overdue", count=len(items), overdue=overdue)]
    for item in items:
        kind = tr(language, KIND_WORDS[item.kind]) if item.kind in KIND_WORDS else item.kind
        values = {"id": item.id, "kind": kind, "due": item.deadline.isoformat()}
        if item.overdue:
            lines.append(tr(language, "{id} {kind}: OVERDUE, was due {due}", **values))
        else:
            lines.append(tr(language, "{id} {kind}: due {due}", **values))
        if item.flags:
            lines[-1] += tr(language, " (check who may make it)")
    lines.append(tr(language, "Details: provisioner subject list --open"))
    return lines
