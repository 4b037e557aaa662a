"""The board the conversation corpus talks to: built once, copied for every scenario.

The demo board of ``tests/board.py`` after one full sync, with the bot configured on it
(central office, privacy officer, portals) and one person the demo generator does not make:
``Kees Bakker <!channel> <https://evil.example|klik hier>``, a teacher there whose HR
family name holds Slack markup (a mention of everyone and a disguised link).

The generator's people are used as they are: Joost de Groot (a teacher at 07XY00, for a
misspelt name), Anne-Fleur van 't Hek (teacher at 07XY00 and care coordinator at 07XY01),
the two Sanne Jansens (07XY00 and 07XY02).

Building and syncing the board takes some seconds, so it happens once per test session
(:func:`template`); each scenario gets a copy of its folder and SQLite database (a few
milliseconds) and its own engine, Slack emulator and clock (:class:`World`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.config import Config
from provisioner.directory import Directory, GroupEntry, PupilEntry, StaffEntry
from provisioner.domain.models import Role
from provisioner.execution.engine import RunReport
from provisioner.planning.models import Operation
from provisioner.store.tables import (
    AuditEvent,
    ChatAction,
    ChatConversation,
    DirectoryPerson,
    Override,
)
from provisioner.tasks import ManualTask, ManualTasks
from tests.board import TODAY, Board, make_board

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: The scenarios' "now": Sunday 22 November 2026, 10:00 in Amsterdam (the board's today).
START = datetime.combine(TODAY, time(10, 0), tzinfo=AMSTERDAM)
SIGNING_SECRET = "conversation-corpus-signing-secret"

SCHOOL_A, SCHOOL_B, SCHOOL_C = "07XY00", "07XY01", "07XY02"
ORG_UNIT = {SCHOOL_A: "1001", SCHOOL_B: "1002", SCHOOL_C: "1003"}

JOOST = "100029"  # Joost de Groot, a teacher at 07XY00 in the generated board
MARKUP = "109002"
MARKUP_FAMILY = "Bakker <!channel> <https://evil.example|klik hier>"
EXTRA_HR = [
    {"employee_number": MARKUP, "given_name": "Kees", "prefix": "", "family_name": MARKUP_FAMILY,
     "org_unit": ORG_UNIT[SCHOOL_A], "function_title": "Groepsleerkracht",
     "start_date": "2017-08-01", "end_date": ""},
]


@dataclass(frozen=True)
class Cast:
    """The people and pupils the scenarios talk about (read from the template once)."""

    leader_a: StaffEntry  # location leader of OBS De Regenboog (07XY00)
    leader_b: StaffEntry  # location leader of CBS De Wegwijzer (07XY01)
    leader_c: StaffEntry  # location leader of IKC Het Palet (07XY02)
    director: StaffEntry  # a director of the board (director_scope = "board")
    teacher_a: StaffEntry  # a teacher at 07XY00, nothing more
    colleagues_a: tuple[StaffEntry, ...]  # teachers at 07XY00 with a unique name, one post
    colleagues_c: tuple[StaffEntry, ...]  # the same at 07XY02
    anne_fleur: StaffEntry  # teacher at 07XY00 and care coordinator at 07XY01
    sanne_a: StaffEntry  # Sanne Jansen, teacher at 07XY00
    sanne_c: StaffEntry  # Sanne Jansen, support staff at 07XY02
    joost: StaffEntry  # Joost de Groot, teacher at 07XY00
    markup: StaffEntry  # Kees Bakker <!channel> ..., teacher at 07XY00
    central_office: StaffEntry
    privacy_officer: StaffEntry
    group: GroupEntry  # a group at 07XY00 ...
    group_teacher: StaffEntry  # ... its teacher (a teacher only, at 07XY00 only)
    pupil_a: PupilEntry  # two pupils of that group, each with a name no other pupil has
    pupil_b: PupilEntry


@dataclass(frozen=True)
class Template:
    folder: Path
    cast: Cast


_lock = threading.Lock()
_template: Template | None = None


def template() -> Template:
    """The board every scenario starts from, built on first use (once per process)."""
    global _template
    with _lock:
        if _template is None:
            folder = Path(tempfile.mkdtemp(prefix="conversation-corpus-"))
            _template = _build(folder / "board")
        return _template


def _build(folder: Path) -> Template:
    atexit.register(shutil.rmtree, folder.parent, ignore_errors=True)
    board = make_board(folder)
    rows = board.hr_rows()
    board.write_hr(rows + [dict(row) for row in EXTRA_HR])
    report = board.sync()
    assert report.status == "applied", report.status
    staff = _all_staff(board.sessions())
    support = [p for p in staff if p.email and len(p.posts) == 1
               and p.posts[0].role is Role.SUPPORT_STAFF]
    # Not one of the two Sanne Jansens: the central office must be able to offboard both.
    support = [p for p in support if int(p.employee_number) > 100010]
    office, officer = support[0], support[1]
    text = board.config_path.read_text(encoding="utf-8")
    bot = (
        "[bot]\n"
        f'central_office = ["{office.email}"]\n'
        f'privacy_officers = ["{officer.email}"]\n'
        'manual_portals = ["Schooldossier (Inspectie)", "Mijn Vensters"]\n'
        "rate_limit_per_minute = 1000\n\n"
    )
    board.config_path.write_text(text.replace("[board]", bot + "[board]", 1), encoding="utf-8")
    cast = _cast(board, staff, office, officer)
    board.sessions().kw["bind"].dispose()  # the copies start from a closed database
    return Template(folder, cast)


def _all_staff(sessions: sessionmaker[Session]) -> list[StaffEntry]:
    directory = Directory(sessions)
    with sessions() as session:
        keys = list(session.execute(
            select(DirectoryPerson.key).where(DirectoryPerson.kind == "staff")
            .order_by(DirectoryPerson.key)).scalars())
    return [s for s in (directory.staff(k) for k in keys) if s is not None]


def _cast(board: Board, staff: list[StaffEntry], office: StaffEntry,
          officer: StaffEntry) -> Cast:
    directory = Directory(board.sessions())
    by_number = {s.employee_number: s for s in staff}
    special = {"100001", "100002", "100003", "100004", "100005", "100006", "100007", JOOST,
               MARKUP, office.employee_number, officer.employee_number}

    def only(person: StaffEntry, role: Role, location: str) -> bool:
        return (len(person.posts) == 1 and person.posts[0].role is role
                and person.posts[0].location == location and person.posts[0].end is None
                and bool(person.email) and person.employee_number not in special)

    def unique(person: StaffEntry) -> bool:
        return len(directory.find_staff(person.name.display)) == 1

    def leader(location: str) -> StaffEntry:
        return next(p for p in staff if only(p, Role.LOCATION_LEADER, location))

    teachers_a = [p for p in staff if only(p, Role.TEACHER, SCHOOL_A) and unique(p)]
    teachers_c = [p for p in staff if only(p, Role.TEACHER, SCHOOL_C) and unique(p)]
    group, group_teacher, pupils = _consent_cast(directory, staff)
    teacher_a = next(p for p in teachers_a if p.key != group_teacher.key)
    return Cast(
        leader_a=leader(SCHOOL_A), leader_b=leader(SCHOOL_B), leader_c=leader(SCHOOL_C),
        director=by_number["100001"], teacher_a=teacher_a,
        colleagues_a=tuple(p for p in teachers_a
                           if p.key not in (teacher_a.key, group_teacher.key))[:6],
        colleagues_c=tuple(teachers_c[:4]), anne_fleur=by_number["100002"],
        sanne_a=by_number["100004"], sanne_c=by_number["100005"], joost=by_number[JOOST],
        markup=by_number[MARKUP], central_office=office, privacy_officer=officer,
        group=group, group_teacher=group_teacher, pupil_a=pupils[0], pupil_b=pupils[1],
    )


def _consent_cast(directory: Directory, staff: list[StaffEntry]
                  ) -> tuple[GroupEntry, StaffEntry, list[PupilEntry]]:
    by_key = {s.key: s for s in staff}
    for code in ("5a", "6a", "4a", "7a", "3a", "8a"):
        for group in directory.find_groups(code, [SCHOOL_A]):
            teachers = [by_key[k] for k in sorted(group.teacher_keys) if k in by_key]
            teachers = [t for t in teachers if len(t.posts) == 1 and t.email
                        and t.posts[0].role is Role.TEACHER and t.posts[0].end is None]
            pupils = [p for p in directory.pupils_in(group.group_id) if p.active
                      and len(directory.find_pupils(p.name.display)) == 1]
            if teachers and len(pupils) >= 2:
                return group, teachers[0], pupils[:2]
    raise LookupError("no group at 07XY00 with a teacher and two uniquely named pupils")


# -- one scenario's world -------------------------------------------------------------------


SyncFactory = Callable[["World"], Any]


@dataclass
class World:
    """A private copy of the template board, a clock, and helpers to read its state."""

    board: Board
    cast: Cast
    now: datetime
    services: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.board.config

    def sessions(self) -> sessionmaker[Session]:
        return self.board.sessions()

    def clock(self) -> datetime:
        return self.now

    @property
    def today(self) -> date:
        return self.now.date()

    def directory(self) -> Directory:
        return Directory(self.sessions())

    def staff(self, key: str) -> StaffEntry:
        found = self.directory().staff(key)
        assert found is not None, key
        return found

    # -- what is in the database --------------------------------------------------------------

    def overrides(self, person: StaffEntry | None = None, *,
                  cancelled: bool | None = False) -> list[Override]:
        with self.sessions()() as session:
            query = select(Override).order_by(Override.id)
            if person is not None:
                query = query.where(Override.person_key == person.key)
            if cancelled is not None:
                query = query.where(Override.cancelled.is_(cancelled))
            rows = list(session.execute(query).scalars())
            for row in rows:
                session.expunge(row)
            return rows

    def tasks(self, person: StaffEntry | None = None) -> list[ManualTask]:
        return ManualTasks(self.sessions()).list(
            person_key=person.key if person is not None else None, status=None)

    def events(self, action: str | None = None, *, key: str | None = None,
               actor: str | None = None) -> list[AuditEvent]:
        with self.sessions()() as session:
            query = select(AuditEvent).order_by(AuditEvent.seq)
            if action is not None:
                query = (query.where(AuditEvent.action.like(action)) if "%" in action
                         else query.where(AuditEvent.action == action))
            if key is not None:
                query = query.where(AuditEvent.object_key == key)
            if actor is not None:
                query = query.where(AuditEvent.actor == actor)
            rows = list(session.execute(query).scalars())
            for row in rows:
                session.expunge(row)
            return rows

    def chat_actions(self, prefix: str) -> list[ChatAction]:
        with self.sessions()() as session:
            rows = list(session.execute(
                select(ChatAction).where(ChatAction.key.startswith(prefix))
                .order_by(ChatAction.key)).scalars())
            for row in rows:
                session.expunge(row)
            return rows

    def open_flows(self) -> list[str]:
        """The flow of every stored (open) conversation, whoever it is with."""
        with self.sessions()() as session:
            return list(session.execute(
                select(ChatConversation.flow).order_by(ChatConversation.id)).scalars())

    def next_sync(self, person: StaffEntry, day: date) -> list[Operation]:
        """The operations the sync of ``day`` would do for ``person`` (a scoped dry run)."""
        report: RunReport = self.board.sync(today=day, dry_run=True, scope=person.key)
        assert report.status == "dry_run", (report.status, report.problems)
        return [op for target in report.targets for op in target.operations]

    # -- changes --------------------------------------------------------------------------------

    def hr_change(self, number: str, change: Callable[[dict[str, str]], dict[str, str] | None]
                  ) -> None:
        """HR changes a person, and the next sync reads it (the directory follows)."""
        self.board.edit_hr(number, change)
        report = self.board.sync(today=self.today)
        assert report.status in ("applied", "partial"), report.status

    def close(self) -> None:
        self.board.sessions().kw["bind"].dispose()


@contextmanager
def world(folder: Path, *, config_edit: Callable[[str], str] | None = None,
          start: datetime | None = None) -> Iterator[World]:
    """A fresh copy of the template board in ``folder`` (database, HR, SIS, targets)."""
    base = template()
    copy = folder / "board"
    shutil.copytree(base.folder, copy)
    board = Board(copy, copy / "provisioner.toml", f"sqlite:///{copy / 'provisioner.db'}")
    if config_edit is not None:
        board.config_path.write_text(config_edit(board.config_path.read_text(encoding="utf-8")),
                                     encoding="utf-8")
    here = World(board, base.cast, start or START)
    try:
        yield here
    finally:
        here.close()


@contextmanager
def signing_secret() -> Iterator[str]:
    """The signing secret in the environment while a runtime is built (it reads it there)."""
    name = "PROVISIONER_SLACK_SIGNING_SECRET"
    before = os.environ.get(name)
    os.environ[name] = SIGNING_SECRET
    try:
        yield SIGNING_SECRET
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def later(moment: datetime, minutes: float) -> datetime:
    return moment + timedelta(minutes=minutes)
