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

from connectors.sis.magister.emulator import MagisterEmulator
from connectors.sis.magister.source import MEDEWERKER_FIELDS
from connectors.sis.magister.staff import MagisterStaffTarget, update_envelope
from provisioner.config import MagisterSourceConfig, SisStaffTargetConfig
from provisioner.domain.models import Employment, PersonName, StaffMember
from provisioner.errors import DryRunRejected, FatalError, RejectedError
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.targets import AccountSpec
from tests.conformance import SCHOOL, StaticHr, board_config

TODAY = date(2026, 11, 23)
ROLES = {"teacher": "Docent", "director": "Directeur"}
UNIT = "Locatie Centrum"


@dataclasses.dataclass
class World:
    emu: MagisterEmulator
    sessions: sessionmaker[Session]
    path: Path

    def target(self, *, dry_run: bool = False, password: str | None = None) -> MagisterStaffTarget:
        config = SisStaffTargetConfig(
            type="sis-staff",
            name="magister-staff",
            system="magister",
            state_file=self.path / "groups.json",
            sis_roles=ROLES,
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
        target = self.target()
        settings = {"magister-staff": {"include_pupils": False, "sis_roles": ROLES}}
        engine = Engine(
            board_config(), self.sessions, [StaticHr(staff)], [target], target_settings=settings
        )
        try:
            return engine.sync(SyncRequest(today=self.emu.today))
        finally:
            target.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(store)
    with MagisterEmulator(today=TODAY) as emu:
        yield World(emu, session_factory(store), tmp_path)


def person(number: str, given: str, prefix: str, family: str, title: str = "Leerkracht",
           end: date | None = None) -> StaffMember:  # fmt: skip
    employment = Employment(SCHOOL, title, date(2020, 8, 1), end)
    return StaffMember(number, PersonName(given, prefix, family), (employment,))


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


def test_a_leaver_is_made_inactive_and_keeps_the_rest_of_the_record(world: World) -> None:
    world.emu.add_employee(
        "5003", roepnaam="Sanne", achternaam="Jansen", unit=UNIT,
        email="sanne.jansen@example.nl", datum_in=date(2019, 8, 1),
    )  # fmt: skip
    world.sync([person("5003", "Sanne", "", "Jansen")])  # adopted, function set
    leaver = [person("5003", "Sanne", "", "Jansen", end=TODAY - timedelta(days=2))]
    report = world.sync(leaver)
    assert report.status == "applied", report.as_json()
    assert report.counts.get("disable_account") == 1
    record = world.emu.medewerker("5003")
    assert record["DatumUitDienst"] == (TODAY - timedelta(days=1)).isoformat()
    assert record["Functie"] == "Docent" and record["Email_Werk"] == "sanne.jansen@example.nl"
    assert record["Achternaam"] == "Jansen" and record["DatumInDienst"] == "2019-08-01"
    assert world.target().read().accounts == []  # GetActiveEmpoyees lists active staff only
    assert world.sync(leaver).total == 0


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
    spec = AccountSpec("staff:A-77", "a.b", "A B", "A", "B", True, {})
    with pytest.raises(RejectedError, match="PersoneelsNummer"):
        target.create_account(spec)
    assert world.emu.updates == []


def test_a_wrong_login_stops_the_target(world: World) -> None:
    with pytest.raises(FatalError):
        world.target(password="wrong").read()


def test_dry_run_writes_nothing(world: World) -> None:
    target = world.target(dry_run=True)
    target.read()
    with pytest.raises(DryRunRejected):
        target.create_account(AccountSpec("staff:5005", "a.b", "A B", "A", "B", True, {}))
    assert world.emu.updates == []
