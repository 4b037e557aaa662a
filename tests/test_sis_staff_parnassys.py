"""ParnasSys has no write interface: staff changes become manual tasks for the location
leader, opened once, shown as pending, and re-opened only when ParnasSys shows the change
did not happen."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.emulators.parnassys import ParnasSysEmulator
from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.parnassys.staff import ParnasSysStaffTarget
from provisioner.domain.models import StaffMember
from provisioner.execution.engine import RunReport
from provisioner.tasks import ManualTasks, StoreTaskDesk, TaskStatus
from tests import sis_staff_world
from tests.conformance import SCHOOL
from tests.sis_staff_world import TODAY

ROLES = {"teacher": "Leerkracht", "director": "Directeur"}


@dataclasses.dataclass
class World:
    emu: ParnasSysEmulator
    sessions: sessionmaker[Session]
    path: Path

    @property
    def tasks(self) -> ManualTasks:
        return ManualTasks(self.sessions)

    def target(self) -> ParnasSysStaffTarget:
        config = SisStaffTargetConfig(
            type="sis-staff",
            name="parnassys-staff",
            system="parnassys",
            state_file=self.path / "pending.json",
            sis_roles=ROLES,
        )
        source = ParnasSysSourceConfig(
            type="parnassys", url=self.emu.url, supplier=self.emu.supplier, brins=[SCHOOL[:4]]
        )
        return ParnasSysStaffTarget(
            "parnassys-staff", config, source, {SCHOOL}, "example.nl", StoreTaskDesk(self.sessions),
            key=self.emu.key, today=TODAY, sleep=lambda _: None,
        )  # fmt: skip

    def sync(self, staff: list[StaffMember], today: date = TODAY) -> RunReport:
        return sis_staff_world.sync(self.sessions, self.target(), staff, ROLES, today)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with ParnasSysEmulator(today=TODAY) as emu:
        emu.add_group(SCHOOL[:4], "G1", "Groep 1", dependancecode=SCHOOL[4:])
        yield World(emu, sis_staff_world.store(tmp_path), tmp_path)


def person(number: str, given: str, family: str, title: str = "Leerkracht",
           end: date | None = None) -> StaffMember:  # fmt: skip
    return sis_staff_world.person(number, given, "", family, title, end)


def test_a_joiner_becomes_one_task_for_the_location_leader(world: World) -> None:
    staff = [person("5001", "Fatima", "Yilmaz")]
    report = world.sync(staff)
    assert report.status == "applied", report.as_json()
    (task,) = world.tasks.list()
    assert (task.assignee, task.location, task.person_key, task.system) == (
        "location_leader", SCHOOL, "staff:5001", "parnassys",
    )  # fmt: skip
    for exact in ("Fatima", "Yilmaz", "5001", "fatima.yilmaz@example.nl", "Leerkracht"):
        assert exact in task.instructions
    assert task.due_on == TODAY
    assert world.sync(staff).total == 0  # pending: not asked again every night
    assert len(world.tasks.list()) == 1
    # the location leader made the medewerker: it is found and linked, the task note dropped
    world.tasks.complete(task.id, actor="staff:100001")
    world.emu.add_staff(SCHOOL[:4], "77", given="Fatima", family="Yilmaz", employee_number=None,
                        extra={"email": "fatima.yilmaz@example.nl"})  # fmt: skip
    report = world.sync(staff)
    assert report.counts.get("link_account") == 1 and report.counts.get("create_account") is None
    assert world.tasks.list() == []


def test_a_leaver_becomes_a_deactivation_task_and_is_shown_inactive(world: World) -> None:
    world.emu.add_staff(SCHOOL[:4], "31", given="Jan", family="Smit", employee_number="5002")
    world.sync([person("5002", "Jan", "Smit")])
    assert world.tasks.list() == []  # already in ParnasSys: nothing to do
    last_day = TODAY - timedelta(days=4)
    leaver = [person("5002", "Jan", "Smit", end=last_day)]
    report = world.sync(leaver)
    assert report.counts.get("disable_account") == 1
    (task,) = world.tasks.list()
    assert task.kind == "sis_account_deactivate" and task.assignee == "location_leader"
    assert "niet-actief" in task.title and "Basispoort" in task.instructions
    assert f"dienstverband on {last_day.isoformat()}" in task.instructions  # HR's last day
    (account,) = world.target().read().accounts
    assert not account.enabled
    assert world.sync(leaver).counts.get("disable_account") is None


def test_a_task_marked_done_that_did_not_happen_is_asked_again(world: World) -> None:
    world.emu.add_staff(SCHOOL[:4], "32", given="Piet", family="Bos", employee_number="5003")
    world.sync([person("5003", "Piet", "Bos")])
    leaver = [person("5003", "Piet", "Bos", end=TODAY - timedelta(days=1))]
    world.sync(leaver)
    (task,) = world.tasks.list()
    world.tasks.complete(task.id, actor="staff:100001")  # but ParnasSys still lists Piet
    report = world.sync(leaver, today=TODAY + timedelta(days=1))
    assert report.counts.get("disable_account") == 1
    (again,) = world.tasks.list()
    assert again.id != task.id


def test_a_returner_before_the_leader_acted_cancels_the_task(world: World) -> None:
    world.emu.add_staff(SCHOOL[:4], "33", given="Eva", family="Smit", employee_number="5004")
    world.sync([person("5004", "Eva", "Smit")])
    world.sync([person("5004", "Eva", "Smit", end=TODAY - timedelta(days=1))])
    (task,) = world.tasks.list()
    report = world.sync([person("5004", "Eva", "Smit")], today=TODAY + timedelta(days=1))
    assert report.counts.get("enable_account") == 1
    assert world.tasks.list() == []
    (cancelled,) = world.tasks.list(status=TaskStatus.CANCELLED)
    assert cancelled.id == task.id
