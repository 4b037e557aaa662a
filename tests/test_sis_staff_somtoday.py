"""Staff accounts in Somtoday follow HR: through the engine into the Somtoday emulator's HRM
Webservice, which enforces its write rules (complete records, end date with a reason,
``actief`` left empty, code tables)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.emulators.somtoday import SomtodayEmulator
from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.somtoday.config import SomtodaySourceConfig
from connectors.sis.somtoday.staff import HrmPerson, SomtodayStaffTarget, hrm_envelope
from provisioner.domain.models import StaffMember
from provisioner.errors import DryRunRejected, FatalError, RejectedError
from provisioner.execution.engine import RunReport
from provisioner.store.tables import JournalEntry
from tests import sis_staff_world
from tests.conformance import SCHOOL
from tests.sis_staff_world import TODAY, person, spec

ROLES = {"teacher": "Leerkracht", "director": "Directeur"}
COMPLETE = ("afkorting", "externMedewerkerNummer", "achternaam", "voorletters", "geslacht",
            "gebruikersnaam", "wachtwoord", "email", "functie", "datumInDienst",
            "datumUitDienst", "redenUitDienst")  # fmt: skip


@dataclasses.dataclass
class World:
    emu: SomtodayEmulator
    sessions: sessionmaker[Session]

    def target(self, *, dry_run: bool = False, **change: object) -> SomtodayStaffTarget:
        config = SisStaffTargetConfig(
            type="sis-staff",
            name="somtoday-staff",
            system="somtoday",
            hrm_url=self.emu.hrm_url,
            hrm_username=self.emu.hrm_username,
            hrm_brin=SCHOOL[:4],
            sis_roles=ROLES,
        ).model_copy(update=change)
        source = SomtodaySourceConfig(
            type="somtoday",
            api_url=self.emu.api_url,
            token_url=self.emu.token_url,
            organisation=self.emu.organisation,
            client_id=self.emu.client_id,
        )
        return SomtodayStaffTarget(
            "somtoday-staff", config, source, {SCHOOL}, "example.nl",
            client_secret=self.emu.client_secret, hrm_password=self.emu.hrm_password,
            dry_run=dry_run, today=self.emu.today, sleep=lambda _: None,
        )  # fmt: skip

    def sync(self, staff: list[StaffMember]) -> RunReport:
        return sis_staff_world.sync(self.sessions, self.target(), staff, ROLES, self.emu.today)

    def move_to(self, day: date) -> None:
        self.emu.today = day

    def end_of_service(self, number: str) -> date | None:
        record = self.emu.medewerker(number)
        assert record is not None
        end = record.get("datum_uit_dienst")
        return date.fromisoformat(str(end)[:10]) if end else None


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with SomtodayEmulator(today=TODAY) as emu:
        emu.add_vestiging(SCHOOL, "OBS Proef")
        yield World(emu, sis_staff_world.store(tmp_path))


def test_a_joiner_gets_a_somtoday_account_with_the_function_of_their_level(world: World) -> None:
    staff = [
        person("5001", "Anne-Fleur", "van 't", "Hek"),
        person("5002", "Jan", "de", "Vries", "Directeur"),
    ]
    report = world.sync(staff)
    assert report.status == "applied", report.as_json()
    teacher = world.emu.medewerker("5001")
    assert teacher is not None
    assert (teacher["roepnaam"], teacher["voorvoegsel"], teacher["achternaam"]) == (
        "Anne-Fleur", "van 't", "Hek",
    )  # fmt: skip
    assert teacher["functie"] == "Leerkracht" and teacher["voorletters"] == "A.F."
    assert teacher["gebruikersnaam"] == "anne-fleur.vanthek"
    assert teacher["emailadres"] == "anne-fleur.vanthek@example.nl"
    assert "datum_uit_dienst" not in teacher
    director = world.emu.medewerker("5002")
    assert director is not None and director["functie"] == "Directeur"
    # every call carried the complete record, the password too, and never 'actief'
    for call in world.emu.hrm_calls:
        assert set(COMPLETE) <= set(call)
        assert "actief" not in call
    assert world.sync(staff).total == 0


def test_a_leaver_is_made_inactive_on_the_hr_last_day_with_a_complete_record(
    world: World,
) -> None:
    staff = [person("5003", "Sanne", "", "Jansen")]
    world.sync(staff)
    last_day = TODAY - timedelta(days=3)
    leaver = [person("5003", "Sanne", "", "Jansen", end=last_day)]
    report = world.sync(leaver)
    assert report.status == "applied", report.as_json()
    assert report.counts.get("disable_account") == 1
    record = world.emu.medewerker("5003")
    assert record is not None
    assert record["datum_uit_dienst"] == last_day.isoformat()  # HR's day, not "yesterday"
    assert record["reden_uit_dienst"] == "Onbekend"
    # the rest of the record survived the write: it was sent complete
    assert record["gebruikersnaam"] == "sanne.jansen" and record["functie"] == "Leerkracht"
    assert record["emailadres"] == "sanne.jansen@example.nl"
    target = world.target()
    (account,) = target.read().accounts
    assert not account.enabled
    assert world.sync(leaver).total == 0
    # Connect lists staff in service in the school year: gone after the next 1 August
    world.emu.today = date(2027, 8, 2)
    assert world.target().read().accounts == []


@pytest.mark.parametrize("days_ago", [3, 1, 0, -2])  # -2: HR knows it two days ahead
def test_the_end_of_service_is_the_hr_last_working_day(world: World, days_ago: int) -> None:
    sis_staff_world.check_end_of_service(world, TODAY - timedelta(days=days_ago))


def test_a_returner_is_back_in_service_without_an_end_date(world: World) -> None:
    world.sync([person("5012", "Piet", "", "Smit")])
    world.sync([person("5012", "Piet", "", "Smit", end=TODAY - timedelta(days=2))])
    record = world.emu.medewerker("5012")
    assert record is not None and record["datum_uit_dienst"] == "2026-11-21"
    report = world.sync([person("5012", "Piet", "", "Smit")])
    assert report.counts.get("enable_account") == 1, report.as_json()
    record = world.emu.medewerker("5012")
    assert record is not None and "datum_uit_dienst" not in record


def test_the_emulator_blanks_what_a_write_leaves_out(world: World) -> None:
    world.sync([person("5004", "Ömer", "", "Çelik")])
    before = world.emu.medewerker("5004")
    assert before is not None and before["emailadres"] == "omer.celik@example.nl"
    partial = HrmPerson("5004", "Ömer", "", "Çelik", "omer.celik", email="", functie="")
    body = hrm_envelope(partial, world.emu.hrm_username, world.emu.hrm_password, SCHOOL[:4])
    assert httpx.post(world.emu.hrm_url, content=body).status_code == 200
    after = world.emu.medewerker("5004")
    assert after is not None
    assert "emailadres" not in after and "functie" not in after  # blanked, so Connect omits them
    assert after["uuid"] == before["uuid"]


def test_the_write_rules_are_enforced(world: World) -> None:
    world.sync([person("5005", "Jan", "", "Smit")])
    target = world.target(reden_uit_dienst="")
    target.read()
    with pytest.raises(RejectedError, match="reden uit dienst"):
        target.set_enabled("5005", False)  # an end date needs a reason
    bogus = HrmPerson("5006", "Eva", "vander", "Bos", "eva.bos", "e@x.nl", "Leerkracht")
    body = hrm_envelope(bogus, world.emu.hrm_username, world.emu.hrm_password, SCHOOL[:4])
    answer = httpx.post(world.emu.hrm_url, content=body)
    assert answer.status_code == 500 and b"voorvoegsel" in answer.content
    actief = body.replace(b"<redenUitDienst />", b"<redenUitDienst /><actief>1</actief>")
    assert b"moet leeg blijven" in httpx.post(world.emu.hrm_url, content=actief).content


def test_an_unknown_function_rejects_only_that_person(world: World) -> None:
    world.emu.functies.discard("Directeur")
    report = world.sync(
        [person("5007", "Jan", "", "Smit"), person("5008", "Piet", "", "Bos", "Directeur")]
    )
    assert report.status == "partial"
    assert world.emu.medewerker("5007") is not None
    assert world.emu.medewerker("5008") is None
    with world.sessions() as session:
        failed = session.execute(
            select(JournalEntry.object_key, JournalEntry.error).where(
                JournalEntry.status == "failed"
            )
        ).all()
    assert {key for key, _ in failed} == {"staff:5008"}  # its create and its memberships
    assert any("Functie 'Directeur' bestaat niet" in (error or "") for _, error in failed)


def test_a_wrong_hrm_password_stops_the_target(world: World) -> None:
    target = world.target()
    target._password = "wrong"  # as if the environment held an old password
    target.read()
    with pytest.raises(FatalError, match="Authenticatie"):
        target.create_account(spec("5009"))


def test_dry_run_writes_nothing(world: World) -> None:
    target = world.target(dry_run=True)
    target.read()
    with pytest.raises(DryRunRejected):
        target.create_account(spec("5010"))
    assert world.emu.hrm_calls == []
