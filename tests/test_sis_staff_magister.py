"""Staff accounts in Magister follow HR: through the engine into the Magister emulator's
``UpdateMedewerker``, which blanks every field it is not sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.emulators.magister import MagisterEmulator
from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.magister.source import MEDEWERKER_FIELDS
from connectors.sis.magister.staff import MagisterStaffTarget, update_envelope
from provisioner.domain.models import StaffMember
from provisioner.errors import DryRunRejected, FatalError, RejectedError
from provisioner.execution.engine import RunReport
from tests import sis_staff_world
from tests.conformance import SCHOOL
from tests.sis_staff_world import TODAY, person, spec

ROLES = {"teacher": "Docent", "director": "Directeur"}
UNIT = "Locatie Centrum"


@dataclasses.dataclass
class World:
    emu: MagisterEmulator
    sessions: sessionmaker[Session]

    def target(self, *, dry_run: bool = False, password: str | None = None) -> MagisterStaffTarget:
        config = SisStaffTargetConfig(
            type="sis-staff", name="magister-staff", system="magister", sis_roles=ROLES
        )
        source = MagisterSourceConfig(
            type="magister", base_url=self.emu.url, username=self.emu.username,
            locations={UNIT: SCHOOL},
        )  # fmt: skip
        return MagisterStaffTarget(
            "magister-staff", config, source, {SCHOOL}, "example.nl",
            password=password or self.emu.password, dry_run=dry_run, today=self.emu.today,
            sleep=lambda _: None,
        )  # fmt: skip

    def sync(self, staff: list[StaffMember]) -> RunReport:
        return sis_staff_world.sync(self.sessions, self.target(), staff, ROLES, self.emu.today)

    def move_to(self, day: date) -> None:
        self.emu.today = day

    def end_of_service(self, number: str) -> date | None:
        end = self.emu.medewerker(number)["DatumUitDienst"]
        return None if end == "2099-12-31" else date.fromisoformat(end[:10])  # open: in service


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with MagisterEmulator(today=TODAY) as emu:
        yield World(emu, sis_staff_world.store(tmp_path))


def test_a_joiner_gets_a_magister_medewerker_with_every_field_sent(world: World) -> None:
    staff = [
        person("5001", "Bram", "van der", "Kolk"),
        person("5002", "Jan", "", "Smit", "Directeur"),
    ]
    report = world.sync(staff)
    assert report.status == "applied", report.as_json()
    record = world.emu.medewerker("5001")
    assert (record["Roepnaam"], record["Tussenvoegsel"], record["Achternaam"]) == (
        "Bram", "van der", "Kolk",
    )  # fmt: skip
    assert record["Functie"] == "Docent" and record["Voorletters"] == "B."
    assert record["Email_Werk"] == "bram.vanderkolk@example.nl"
    assert record["DatumUitDienst"] == "2099-12-31"  # active: an open end, as the vendor's
    assert world.emu.medewerker("5002")["Functie"] == "Directeur"
    assert all(set(MEDEWERKER_FIELDS) <= set(update) for update in world.emu.updates)
    assert world.sync(staff).total == 0


def test_a_leaver_is_made_inactive_on_the_hr_last_day_and_keeps_the_rest(world: World) -> None:
    world.emu.add_employee(
        "5003", roepnaam="Sanne", achternaam="Jansen", unit=UNIT,
        email="sanne.jansen@example.nl", datum_in=date(2019, 8, 1),
    )  # fmt: skip
    world.sync([person("5003", "Sanne", "", "Jansen")])  # adopted, function set
    last_day = TODAY - timedelta(days=2)
    leaver = [person("5003", "Sanne", "", "Jansen", end=last_day)]
    report = world.sync(leaver)
    assert report.status == "applied", report.as_json()
    assert report.counts.get("disable_account") == 1
    record = world.emu.medewerker("5003")
    assert record["DatumUitDienst"] == last_day.isoformat()  # HR's day, not "yesterday"
    assert record["Functie"] == "Docent" and record["Email_Werk"] == "sanne.jansen@example.nl"
    assert record["Achternaam"] == "Jansen" and record["DatumInDienst"] == "2019-08-01"
    assert world.target().read().accounts == []  # GetActiveEmpoyees lists active staff only
    assert world.sync(leaver).total == 0


@pytest.mark.parametrize("days_ago", [3, 1, 0, -2])  # -2: HR knows it two days ahead
def test_the_end_of_service_is_the_hr_last_working_day(world: World, days_ago: int) -> None:
    sis_staff_world.check_end_of_service(world, TODAY - timedelta(days=days_ago))


def test_omitted_fields_are_blanked_by_the_emulator(world: World) -> None:
    world.sync([person("5004", "Eva", "", "Bos")])
    target = world.target()
    token = target._client.session_token()
    body = update_envelope(token, {"PersoneelsNummer": "5004", "Roepnaam": "Eva"})
    assert httpx.post(f"{world.emu.url}/soap/personeel?service=Personeel", content=body,
                      headers={"SOAPAction": "urn:MediusServer_Soap-Personeel#UpdateMedewerker"},
                      ).status_code == 200  # fmt: skip
    record = world.emu.medewerker("5004")
    assert record["Roepnaam"] == "Eva" and record["Achternaam"] == "" and record["Functie"] == ""


def test_an_employee_number_that_is_no_number_is_rejected(world: World) -> None:
    target = world.target()
    target.read()
    with pytest.raises(RejectedError, match="PersoneelsNummer"):
        target.create_account(spec("A-77"))
    assert world.emu.updates == []


def test_a_wrong_login_stops_the_target(world: World) -> None:
    with pytest.raises(FatalError):
        world.target(password="wrong").read()


def test_dry_run_writes_nothing(world: World) -> None:
    target = world.target(dry_run=True)
    target.read()
    with pytest.raises(DryRunRejected):
        target.create_account(spec("5005"))
    assert world.emu.updates == []
