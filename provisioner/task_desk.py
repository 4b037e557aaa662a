"""The manual-task desk as a port: what a connector for a system without a write interface
(ParnasSys staff) may do with the task list, without knowing the store. The store's
implementation is :class:`provisioner.tasks.StoreTaskDesk`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NotRequired, Protocol, TypedDict

from typing_extensions import Unpack


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class NewTask(TypedDict):
    """What opening a task takes: the system, the exact thing to do and who does it."""

    kind: str
    system: str
    title: str
    instructions: str
    assignee: str
    origin: str  # the run id, or the chat request
    actor: str  # who opens it, for the audit trail
    person_key: NotRequired[str | None]
    location: NotRequired[str | None]
    due_on: NotRequired[date | None]


@dataclass(frozen=True)
class ManualTask:
    id: int
    kind: str
    system: str
    title: str
    instructions: str
    assignee: str
    person_key: str | None
    location: str | None
    due_on: date | None
    status: TaskStatus
    origin: str
    created_at: datetime
    created_by: str
    done_at: datetime | None
    done_by: str | None
    note: str = ""


class TaskDesk(Protocol):
    """Open and cancel tasks, see which are still open, and the usernames the board gave."""

    def open(self, **task: Unpack[NewTask]) -> ManualTask:
        """Open a task; an open task of the same kind, system and person is returned."""
        ...

    def cancel(self, task_id: int, *, actor: str, reason: str) -> ManualTask:
        """Cancel an open task (it is no longer needed)."""
        ...

    def open_task_ids(self, system: str) -> set[int]:
        """The ids of the open tasks of ``system``."""
        ...

    def usernames(self) -> dict[str, str]:
        """Every username the board gave (lower case) -> the person's key."""
        ...
