"""The SIS staff targets pass the target conformance suite: accounts and end dates (an
``EndDateTarget``; no groups, licences or sessions), records kept when deleted, lost answers
verified. Somtoday and Magister through their emulators; ParnasSys as tasks, with the
location leader making each medewerker asked for after the run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pytest

from connectors.emulators.magister import MagisterEmulator
from connectors.emulators.parnassys import ParnasSysEmulator
from connectors.emulators.somtoday import SomtodayEmulator
from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.magister.staff import MagisterStaffTarget
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.parnassys.staff import CREATE, DEACTIVATE, ParnasSysStaffTarget
from connectors.sis.parnassys.staff import SYSTEM as PARNASSYS
from connectors.sis.somtoday.config import SomtodaySourceConfig
from connectors.sis.somtoday.staff import SomtodayStaffTarget
from provisioner.domain.models import StaffMember
from provisioner.targets import Target
from provisioner.tasks import ManualTasks, StoreTaskDesk
from tests.conformance import SCHOOL, TODAY, TargetConformance, World

UNIT = "Locatie Centrum"  # Magister's name of SCHOOL
OPEN = "2099-12-31"  # Magister's end of service of someone in service


class SisStaffConformance(TargetConformance):
    """What the three share: SIS functions per level, staff only, records kept."""

    keeps_deleted_accounts = True
    roles: ClassVar[dict[str, str]] = {"teacher": "Leerkracht", "director": "Directeur"}

    def target_settings(self) -> dict[str, Any]:
        return {"include_pupils": False, "sis_roles": self.roles}


class TestSomtodayStaffTarget(SisStaffConformance):
    @pytest.fixture(autouse=True)
    def emulator(self) -> Iterator[SomtodayEmulator]:
        with SomtodayEmulator(today=TODAY) as emu:
            emu.add_vestiging(SCHOOL, "OBS Proef")
            self.emu = emu
            self.opened: list[SomtodayStaffTarget] = []
            yield emu
            for target in self.opened:
                target.close()

    def make_target(self, path: Path, dry_run: bool) -> Target:
        emu = self.emu
        config = SisStaffTargetConfig(
            type="sis-staff", name="somtoday-staff", system="somtoday", hrm_url=emu.hrm_url,
            hrm_username=emu.hrm_username, hrm_brin=SCHOOL[:4], sis_roles=self.roles,
        )  # fmt: skip
        source = SomtodaySourceConfig(
            type="somtoday", api_url=emu.api_url, token_url=emu.token_url,
            organisation=emu.organisation, client_id=emu.client_id,
        )  # fmt: skip
        target = SomtodayStaffTarget(
            "somtoday-staff", config, source, {SCHOOL}, "example.nl",
            client_secret=emu.client_secret, hrm_password=emu.hrm_password,
            dry_run=dry_run, today=TODAY, sleep=lambda _: None,
        )  # fmt: skip
        self.opened.append(target)
        return target

    def end_of_service(self, world: World, key: str) -> date | None:
        record = self.emu.medewerker(key.removeprefix("staff:"))
        assert record is not None
        end = record.get("datum_uit_dienst")
        return date.fromisoformat(str(end)[:10]) if end else None


class TestMagisterStaffTarget(SisStaffConformance):
    lists_leavers = False  # ADFuncties lists only staff in service
    roles: ClassVar[dict[str, str]] = {"teacher": "Docent", "director": "Directeur"}

    @pytest.fixture(autouse=True)
    def emulator(self) -> Iterator[MagisterEmulator]:
        with MagisterEmulator(today=TODAY) as emu:
            self.emu = emu
            self.opened: list[MagisterStaffTarget] = []
            yield emu
            for target in self.opened:
                target.close()

    def make_target(self, path: Path, dry_run: bool) -> Target:
        emu = self.emu
        config = SisStaffTargetConfig(
            type="sis-staff", name="magister-staff", system="magister", sis_roles=self.roles
        )
        source = MagisterSourceConfig(
            type="magister", base_url=emu.url, username=emu.username, locations={UNIT: SCHOOL}
        )
        target = MagisterStaffTarget(
            "magister-staff", config, source, {SCHOOL}, "example.nl", password=emu.password,
            dry_run=dry_run, today=TODAY, sleep=lambda _: None,
        )  # fmt: skip
        self.opened.append(target)
        return target

    def end_of_service(self, world: World, key: str) -> date | None:
        end = self.emu.medewerker(key.removeprefix("staff:"))["DatumUitDienst"]
        return None if end == OPEN else date.fromisoformat(end[:10])


class TestParnasSysStaffTarget(SisStaffConformance):
    """ParnasSys has no write interface: every write is a task for the location leader.
    After each run she makes the medewerkers asked for (with their employee number and
    work e-mail) and marks those tasks done; the next night's run links them."""

    made_by_hand = True

    @pytest.fixture(autouse=True)
    def emulator(self) -> Iterator[ParnasSysEmulator]:
        with ParnasSysEmulator(today=TODAY) as emu:
            emu.add_group(SCHOOL[:4], "G1", "Groep 1", dependancecode=SCHOOL[4:])
            self.emu = emu
            self.made = 0
            yield emu

    def make_target(self, path: Path, dry_run: bool) -> Target:
        config = SisStaffTargetConfig(
            type="sis-staff", name="parnassys-staff", system="parnassys",
            state_file=self.state_file(path), sis_roles=self.roles,
        )  # fmt: skip
        source = ParnasSysSourceConfig(
            type="parnassys", url=self.emu.url, supplier=self.emu.supplier, brins=[SCHOOL[:4]]
        )
        return ParnasSysStaffTarget(
            "parnassys-staff", config, source, {SCHOOL}, "example.nl", StoreTaskDesk(self.store),
            key=self.emu.key, dry_run=dry_run, today=TODAY, sleep=lambda _: None,
        )  # fmt: skip

    @staticmethod
    def state_file(path: Path) -> Path:
        path.mkdir(parents=True, exist_ok=True)
        return path / "pending.json"

    def after_sync(self, world: World, staff: list[StaffMember], today: date) -> None:
        """The location leader makes each medewerker a creation task asks for; the next
        run (played here) finds them by their number and links them, and does no more."""
        tasks = ManualTasks(world.sessions)
        asked = [t for t in tasks.list() if t.system == PARNASSYS and t.kind == CREATE]
        if not asked:
            return
        for task in asked:
            number = (task.person_key or "").removeprefix("staff:")
            given = _between(task.instructions, "roepnaam ", ", achternaam ")
            family = _between(task.instructions, ", achternaam ", ", personeelsnummer ")
            email = _between(task.instructions, ", e-mail ", ", with a ")
            self.made += 1
            self.emu.add_staff(
                SCHOOL[:4], str(900 + self.made), given=given, family=family,
                employee_number=number, extra={"email": email},
            )  # fmt: skip
            tasks.complete(task.id, actor="staff:leader")
        report = world.run(staff, today=today)
        assert report.status == "applied", report.as_json()
        assert set(report.counts) <= {"link_account"}, report.as_json()

    def end_of_service(self, world: World, key: str) -> date | None:
        """The day the open deactivation task asks the dienstverband to end on."""
        tasks = ManualTasks(world.sessions).list()
        (task,) = [t for t in tasks if t.kind == DEACTIVATE and t.person_key == key]
        found = re.search(r"dienstverband on (\d{4}-\d{2}-\d{2})", task.instructions)
        return date.fromisoformat(found.group(1)) if found else None


def _between(text: str, start: str, end: str) -> str:
    """The part of ``text`` between ``start`` and the next ``end``."""
    return text.split(start, 1)[1].split(end, 1)[0]
