"""The destruction list on the store: clocks and holds read, due lines with their tasks,
tasks opened once per line, archive holds added and lifted (all audited).

A due line's task is a manual task (:mod:`provisioner.tasks`) of kind ``retention_destroy`` or
``retention_review`` for the rule's owner, due on the line's day, in the board's language.
Its ``system`` is the rule's system with the category in brackets and the line's subject (and
its location when it names no person), because an open task is one per kind, system and
person: two categories, or two complaints, of one pupil in one system are two tasks.
``retention_tasks`` remembers which line got which task, so a line is opened once however
often the list runs; a task cancelled (an archive hold came) is opened again once the line
is due and not held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.accountability.retention_clock import Clock, DueLine, Hold, due_lines
from provisioner.accountability.retention_config import RetentionConfig
from provisioner.audit.service import record
from provisioner.i18n import N_, tr
from provisioner.store.tables import ManualTaskRow
from provisioner.store.tables_retention import RetentionEvent, RetentionHold, RetentionTask
from provisioner.tasks import ManualTask, open_task

__all__ = [
    "ACTION_WORDS",
    "EVENT_WORDS",
    "HOLD_SCOPES",
    "DueEntry",
    "HoldError",
    "add_hold",
    "due_entries",
    "holds",
    "lift_hold",
    "open_due_tasks",
    "open_tasks_under",
    "task_system",
]

HOLD_SCOPES = ("person", "category", "location")
#: A line's action in words.
ACTION_WORDS = {"destroy": N_("destroy"), "review": N_("review"), "held": N_("held")}
#: What started a clock, in words (task instructions, the list).
EVENT_WORDS = {
    "pupil_deregistered": N_("deregistration"),
    "staff_left": N_("leaving"),
    "internship_ended": N_("the end of the internship"),
    "breach_closed": N_("closing the breach"),
    "consent_withdrawn": N_("withdrawal of consent"),
    "complaint_closed": N_("closing the complaint (and deregistration)"),
    "school_year_end": N_("the end of the school year"),
    "standing": N_("each item is made (the system deletes by itself)"),
}


class HoldError(Exception):
    """The hold does not exist or is already lifted."""


@dataclass(frozen=True)
class DueEntry:
    """A due line and its task, if one was opened (``task_status``: open, done, cancelled)."""

    line: DueLine
    task_id: int | None
    task_status: str | None


def _clocks(session: Session) -> list[Clock]:
    rows = session.execute(select(RetentionEvent).order_by(RetentionEvent.id)).scalars()
    return [
        Clock(row.id, row.event, row.person_key, row.subject, row.location, row.occurred_on,
              row.returned_on)
        for row in rows
    ]  # fmt: skip


def holds(session: Session, *, lifted: bool = False) -> list[RetentionHold]:
    query = select(RetentionHold).order_by(RetentionHold.id)
    if not lifted:
        query = query.where(RetentionHold.lifted_at.is_(None))
    return list(session.execute(query).scalars())


def _tasks(session: Session) -> dict[str, tuple[int, str]]:
    rows = session.execute(
        select(RetentionTask.line_key, ManualTaskRow.id, ManualTaskRow.status).join(
            ManualTaskRow, ManualTaskRow.id == RetentionTask.task_id
        )
    )
    return {key: (task_id, status) for key, task_id, status in rows}


def due_entries(
    session: Session,
    config: RetentionConfig,
    *,
    on: date,
    ahead_days: int = 0,
    locations: tuple[str, ...] = (),
) -> list[DueEntry]:
    """Every line due on or before ``on`` (plus ``ahead_days``), with its task."""
    active = [Hold(h.id, h.scope, h.value, h.reason) for h in holds(session)]
    lines = due_lines(_clocks(session), config.table(), active, on=on, ahead_days=ahead_days,
                      locations=locations)  # fmt: skip
    tasks = _tasks(session)
    return [DueEntry(line, *tasks.get(line.key, (None, None))) for line in lines]


def task_system(line: DueLine) -> str:
    """The task's system: the rule's, the category, the subject (a medium, a complaint, a
    breach, a school year) and, without a person, the location: a manual task is one per
    kind, system and person while open."""
    text = f"{line.rule.system} [{line.rule.category}]"
    if line.subject:
        text += f" {line.subject}"
    if line.person_key is None and line.location:
        text += f" {line.location}"
    return text[:100]


def _task_text(line: DueLine, language: str) -> tuple[str, str]:
    rule = line.rule
    who = line.person_key or line.subject or ""
    if line.person_key and line.subject:
        who = f"{line.person_key} ({line.subject})"
    if not line.person_key and line.location:
        who = f"{who}, {line.location}"
    values = {"what": tr(language, rule.what), "who": who, "system": rule.system}
    if rule.action == "destroy":
        title = tr(language, "Destroy: {what}, {who} ({system})", **values)
        todo = tr(language, "Destroy this data in {system}, or record an archive hold if it "
                  "must be kept (provisioner retention hold add).", system=rule.system)  # fmt: skip
    else:
        title = tr(language, "Review: {what}, {who} ({system})", **values)
        todo = tr(language, "Look at whether this data in {system} is still needed and "
                  "destroy what is not.", system=rule.system)  # fmt: skip
    why = tr(language, "The retention period of {period} after {event} on {start} ended on "
             "{due} ({basis}).", period=rule.period.text(),
             event=tr(language, EVENT_WORDS.get(line.event, line.event)),
             start=line.started_on.isoformat(), due=line.due_on.isoformat(),
             basis=rule.basis)  # fmt: skip
    done = tr(language, "Then mark the task done: provisioner retention done TASK --note.")
    return title[:300], f"{why} {todo} {done}"


def open_due_tasks(
    session: Session,
    config: RetentionConfig,
    *,
    on: date,
    language: str,
    locations: tuple[str, ...],
    origin: str,
    actor: str,
) -> list[tuple[DueLine, ManualTask]]:
    """Open a task for every line due on or before ``on`` that is not held and has none (or
    whose task was cancelled); the caller commits. Returns what was opened."""
    opened: list[tuple[DueLine, ManualTask]] = []
    for entry in due_entries(session, config, on=on, locations=locations):
        line = entry.line
        if line.held or entry.task_status in ("open", "done"):
            continue
        title, instructions = _task_text(line, language)
        task = open_task(session, kind=f"retention_{line.rule.action}", system=task_system(line),
                         title=title, instructions=instructions, assignee=line.rule.owner,
                         person_key=line.person_key, location=line.location,
                         due_on=line.due_on, origin=origin, actor=actor)  # fmt: skip
        row = session.execute(
            select(RetentionTask).where(RetentionTask.line_key == line.key)
        ).scalar_one_or_none()
        if row is None:
            row = RetentionTask(line_key=line.key, event_id=line.clock_id,
                                category=line.rule.category)  # fmt: skip
            session.add(row)
        row.due_on, row.task_id, row.opened_at = line.due_on, task.id, datetime.now(UTC)
        session.flush()
        opened.append((line, task))
    return opened


def open_tasks_under(session: Session, hold: RetentionHold) -> list[int]:
    """The open retention tasks whose line the hold covers (to cancel: held data is never
    destroyed)."""
    query = (
        select(ManualTaskRow.id)
        .join(RetentionTask, RetentionTask.task_id == ManualTaskRow.id)
        .where(ManualTaskRow.status == "open")
        .order_by(ManualTaskRow.id)
    )
    if hold.scope == "person":
        query = query.where(ManualTaskRow.person_key == hold.value)
    elif hold.scope == "category":
        query = query.where(RetentionTask.category == hold.value)
    else:
        query = query.where(ManualTaskRow.location == hold.value)
    return list(session.execute(query).scalars())


def add_hold(session: Session, *, scope: str, value: str, reason: str, actor: str) -> RetentionHold:
    """Record an archive hold; audited. The caller commits."""
    if scope not in HOLD_SCOPES:
        raise ValueError(f"hold scope {scope!r}: use one of {', '.join(HOLD_SCOPES)}")
    row = RetentionHold(scope=scope, value=value, reason=reason, created_at=datetime.now(UTC),
                        created_by=actor)  # fmt: skip
    session.add(row)
    session.flush()
    record(session, actor=actor, action="retention.hold_added", target="retention",
           object_key=value if scope == "person" else None, reason=reason,
           change={"hold": row.id, "scope": scope, "value": value})  # fmt: skip
    return row


def lift_hold(session: Session, hold_id: int, *, actor: str, reason: str = "") -> RetentionHold:
    """Lift an archive hold; audited. The caller commits."""
    row = session.get(RetentionHold, hold_id)
    if row is None:
        raise HoldError(f"there is no archive hold {hold_id}")
    if row.lifted_at is not None:
        raise HoldError(f"archive hold {hold_id} is already lifted")
    row.lifted_at, row.lifted_by = datetime.now(UTC), actor
    record(session, actor=actor, action="retention.hold_lifted", target="retention",
           object_key=row.value if row.scope == "person" else None, reason=reason,
           change={"hold": row.id, "scope": row.scope, "value": row.value})  # fmt: skip
    return row
