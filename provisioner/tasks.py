"""Manual tasks: the steps a person does by hand because a system has no API.

Examples: making a leaver inactive in a SIS without a write interface (ParnasSys), removing
access to the Inspectie's Schooldossier or Mijn Vensters, approving a deletion. A task names
the system, the exact thing to do and who does it (``location_leader``, ``central_office``,
``privacy_officer`` or one staff member ``staff:<n>``). Opening the same task twice while it
is open gives the one task (a nightly run may ask again every night). Every change is in the
audit trail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker
from typing_extensions import Unpack

from provisioner.audit.service import record
from provisioner.store.tables import AccountName, ManualTaskRow
from provisioner.task_desk import ManualTask, NewTask, TaskDesk, TaskStatus

__all__ = [
    "ASSIGNEES",
    "ManualTask",
    "ManualTasks",
    "NewTask",
    "StoreTaskDesk",
    "TaskDesk",
    "TaskError",
    "TaskStatus",
    "open_task",
]


ASSIGNEES = ("location_leader", "central_office", "privacy_officer")


class TaskError(Exception):
    """The task does not exist or is no longer open."""


def open_task(session: Session, **task: Unpack[NewTask]) -> ManualTask:
    """Open a task in the caller's transaction (the caller commits).

    An open task of the same kind and system for the same person is returned unchanged.
    """
    kind, system, assignee = task["kind"], task["system"], task["assignee"]
    person_key, due_on = task.get("person_key"), task.get("due_on")
    if assignee not in ASSIGNEES and not assignee.startswith("staff:"):
        raise ValueError(f"unknown assignee {assignee!r}: use one of {ASSIGNEES} or staff:<n>")
    existing = session.execute(
        select(ManualTaskRow).where(
            ManualTaskRow.kind == kind,
            ManualTaskRow.system == system,
            ManualTaskRow.person_key.is_(None)
            if person_key is None
            else ManualTaskRow.person_key == person_key,
            ManualTaskRow.status == TaskStatus.OPEN.value,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return _task(existing)
    row = ManualTaskRow(
        kind=kind,
        system=system,
        title=task["title"],
        instructions=task["instructions"],
        assignee=assignee,
        person_key=person_key,
        location=task.get("location"),
        due_on=due_on,
        status=TaskStatus.OPEN.value,
        origin=task["origin"],
        created_at=datetime.now(UTC),
        created_by=task["actor"],
        note="",
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=task["actor"],
        action="task.opened",
        target=system,
        object_key=person_key,
        reason=f"manual task {row.id} ({kind}) for {assignee}",
        change={"task": row.id, "kind": kind, "assignee": assignee, "due_on": _iso(due_on)},
    )
    return _task(row)


class ManualTasks:
    """The task list, each call in its own transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def open(self, **task: Unpack[NewTask]) -> ManualTask:
        """:func:`open_task` in a transaction of its own."""
        with self.sessions() as session:
            opened = open_task(session, **task)
            session.commit()
            return opened

    def get(self, task_id: int) -> ManualTask | None:
        with self.sessions() as session:
            row = session.get(ManualTaskRow, task_id)
            return _task(row) if row is not None else None

    def complete(self, task_id: int, *, actor: str, note: str = "") -> ManualTask:
        return self._close(task_id, TaskStatus.DONE, actor=actor, note=note)

    def cancel(self, task_id: int, *, actor: str, reason: str) -> ManualTask:
        return self._close(task_id, TaskStatus.CANCELLED, actor=actor, note=reason)

    def list(
        self,
        *,
        status: TaskStatus | None = TaskStatus.OPEN,
        assignee: str | None = None,
        location: str | None = None,
        person_key: str | None = None,
    ) -> list[ManualTask]:
        query = select(ManualTaskRow).order_by(ManualTaskRow.id)
        if status is not None:
            query = query.where(ManualTaskRow.status == status.value)
        if assignee is not None:
            query = query.where(ManualTaskRow.assignee == assignee)
        if location is not None:
            query = query.where(ManualTaskRow.location == location)
        if person_key is not None:
            query = query.where(ManualTaskRow.person_key == person_key)
        with self.sessions() as session:
            return [_task(row) for row in session.execute(query).scalars()]

    def _close(self, task_id: int, status: TaskStatus, *, actor: str, note: str) -> ManualTask:
        """Close an open task: one conditional UPDATE (``... WHERE status = 'open'``) whose
        row count says whether this call closed it, so of two presses at once (a double
        click, two replicas) exactly one closes it and is audited; the other gets
        :class:`TaskError`."""
        with self.sessions() as session:
            closed: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(ManualTaskRow)
                .where(ManualTaskRow.id == task_id,
                       ManualTaskRow.status == TaskStatus.OPEN.value)
                .values(status=status.value, done_at=datetime.now(UTC), done_by=actor,
                        note=note)
            )
            row = session.get(ManualTaskRow, task_id, populate_existing=True)
            if row is None:
                raise TaskError(f"there is no manual task {task_id}")
            if closed.rowcount != 1:
                session.rollback()
                raise TaskError(f"manual task {task_id} is already {row.status}")
            record(
                session,
                actor=actor,
                action=f"task.{status.value}",
                target=row.system,
                object_key=row.person_key,
                reason=f"manual task {row.id} ({row.kind})",
                change={"task": row.id, "status": status.value},
            )
            session.commit()
            return _task(row)


def _task(row: ManualTaskRow) -> ManualTask:
    return ManualTask(
        id=row.id,
        kind=row.kind,
        system=row.system,
        title=row.title,
        instructions=row.instructions,
        assignee=row.assignee,
        person_key=row.person_key,
        location=row.location,
        due_on=row.due_on,
        status=TaskStatus(row.status),
        origin=row.origin,
        created_at=row.created_at,
        created_by=row.created_by,
        done_at=row.done_at,
        done_by=row.done_by,
        note=row.note or "",
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


class StoreTaskDesk(ManualTasks):
    """The :class:`TaskDesk` port on the store: the task list and the stored usernames."""

    def open_task_ids(self, system: str) -> set[int]:
        return {task.id for task in self.list() if task.system == system}

    def usernames(self) -> dict[str, str]:
        with self.sessions() as session:
            rows = session.execute(select(AccountName)).scalars()
            return {row.username.lower(): row.key for row in rows}
