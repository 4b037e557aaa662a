"""The directory snapshot written by each sync, and the manual task list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from connectors.reference.target import ReferenceTarget
from provisioner.directory import Directory
from provisioner.domain.models import ClassGroup, Employment, PersonName, Pupil, Role, StaffMember
from provisioner.execution.engine import Engine as SyncEngine
from provisioner.execution.engine import SyncRequest
from provisioner.sources.models import SourceBatch, SourceKind
from provisioner.store.db import session_factory
from provisioner.store.tables import AuditEvent
from provisioner.tasks import ManualTasks, TaskError, TaskStatus
from tests.conformance import SCHOOL, StaticHr, board_config, teacher

DAY = date(2026, 11, 23)


class StaticSis:
    name = "sis"
    kind = SourceKind.SIS

    def __init__(self, pupils: list[Pupil], groups: list[ClassGroup]) -> None:
        self.pupils, self.groups = pupils, groups

    def read(self) -> SourceBatch:
        return SourceBatch(
            self.name,
            self.kind,
            pupils=list(self.pupils),
            groups=list(self.groups),
            counts={"pupils": len(self.pupils), "groups": len(self.groups)},
        )


def pupil(sis_id: str, given: str, prefix: str, family: str, group: str) -> Pupil:
    return Pupil(
        sis_id, PersonName(given, prefix, family), date(2016, 5, 17), SCHOOL, group, None, None
    )


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


def synced(sessions: sessionmaker[Session]) -> Directory:
    director = StaffMember(
        "9", PersonName("Ömer", "", "Çelik"), (Employment(SCHOOL, "Directeur", DAY, None),)
    )
    staff = [teacher("1", "Sanne", "van 't", "Hek", end=date(2027, 1, 31)), director]
    pupils = [
        pupil("L1", "Sanne", "", "Jansen", "G5B"),
        pupil("L2", "Sanne", "", "Jansen-Bakker", "G5B"),
        pupil("L3", "Noah", "de", "Vries", "G6A"),
    ]
    groups = [
        ClassGroup("G5B", "Groep 5b", SCHOOL, frozenset({"1"})),
        ClassGroup("G6A", "6a", SCHOOL, frozenset()),
    ]
    sync = SyncEngine(
        board_config(),
        sessions,
        [StaticHr(staff), StaticSis(pupils, groups)],
        [ReferenceTarget("directory")],
    )
    assert sync.sync(SyncRequest(today=DAY)).status == "applied"
    return Directory(sessions)


def test_a_sync_saves_who_is_who(sessions: sessionmaker[Session]) -> None:
    directory = synced(sessions)

    me = directory.staff_by_email("Sanne.VanTHek@Example.NL")
    assert me is not None and me.key == "staff:1"
    assert me.roles_at(SCHOOL, DAY) == {Role.TEACHER}
    assert me.locations_on(DAY) == {SCHOOL} and me.last_day == date(2027, 1, 31)
    assert [g.group_id for g in directory.groups_of_teacher("staff:1")] == ["G5B"]

    boss = directory.find_staff("omer celik")
    assert [s.key for s in boss] == ["staff:9"] and boss[0].last_day is None
    assert boss[0].roles_at(SCHOOL, DAY) == {Role.DIRECTOR}

    # the exact full name comes first; every word must match
    assert [p.key for p in directory.find_pupils("sanne jansen")] == ["pupil:L1", "pupil:L2"]
    assert directory.find_pupils("sanne vries") == []
    assert directory.find_pupils("noah", locations=["99ZZ00"]) == []
    assert [p.key for p in directory.pupils_in("G5B")] == ["pupil:L1", "pupil:L2"]
    assert directory.pupil("pupil:L3") is not None
    assert directory.pupil("staff:1") is None  # a key of the other kind is not a pupil

    assert [g.group_id for g in directory.find_groups("groep 5B")] == ["G5B"]
    assert [g.group_id for g in directory.find_groups("class 6a")] == ["G6A"]
    assert directory.find_groups("5") == []
    assert directory.refreshed_at() is not None


def test_a_manual_task_is_opened_once_closed_once_and_audited(
    sessions: sessionmaker[Session],
) -> None:
    tasks = ManualTasks(sessions)
    task = dict(
        kind="portal_access",
        system="mijn-vensters",
        title="Remove access to Mijn Vensters",
        instructions="Log in to Mijn Vensters and remove the user.",
        assignee="central_office",
        origin="chat:U1",
        actor="chat:U1",
        person_key="staff:1",
        location=SCHOOL,
        due_on=DAY,
    )
    first = tasks.open(**task)  # type: ignore[arg-type]
    again = tasks.open(**task)  # type: ignore[arg-type]
    assert again.id == first.id
    assert [t.id for t in tasks.list(assignee="central_office")] == [first.id]
    assert tasks.list(assignee="location_leader") == []

    done = tasks.complete(first.id, actor="chat:U2")
    assert (done.status, done.done_by) == (TaskStatus.DONE, "chat:U2")
    with pytest.raises(TaskError, match="already done"):
        tasks.cancel(first.id, actor="chat:U2", reason="double click")
    assert tasks.list() == []
    assert len(tasks.list(status=None)) == 1
    assert tasks.open(**task).id != first.id  # type: ignore[arg-type]  # a new one after closing

    with sessions() as session:
        actions = session.execute(
            select(AuditEvent.action).where(AuditEvent.object_key == "staff:1")
        ).scalars()
        assert [a for a in actions if a.startswith("task.")] == [
            "task.opened",
            "task.done",
            "task.opened",
        ]
    with pytest.raises(ValueError, match="unknown assignee"):
        tasks.open(**{**task, "assignee": "everyone"})  # type: ignore[arg-type]


def test_a_deletion_waits_while_its_approval_task_is_open(
    sessions: sessionmaker[Session],
) -> None:
    target = ReferenceTarget("directory")
    left = date(2026, 9, 30)  # long past the 30 days' grace on DAY
    hr = StaticHr([teacher("1", "Sanne", "", "Bakker")])
    sync = SyncEngine(board_config(), sessions, [hr], [target])
    sync.sync(SyncRequest(today=left))
    approval = ManualTasks(sessions).open(
        kind="approve_deletion",
        system="microsoft-365",
        title="Approve the deletion",
        instructions="Check that nothing needs keeping, then approve.",
        assignee="central_office",
        origin="chat:U1",
        actor="chat:U1",
        person_key="staff:1",
    )
    hr.staff = [teacher("1", "Sanne", "", "Bakker", end=left)]

    assert sync.sync(SyncRequest(today=DAY)).targets[0].counts.get("disable_account") == 1
    later = DAY + timedelta(days=31)  # the grace period after disabling has passed

    held = sync.sync(SyncRequest(today=later))
    assert held.targets[0].counts == {}
    assert any("staff:1: deletion waits for its approval" in i for i in held.issues)

    ManualTasks(sessions).complete(approval.id, actor="chat:U2")
    assert sync.sync(SyncRequest(today=later)).targets[0].counts == {"delete_account": 1}
