"""SIS staff writes whose answer is lost are verified, never sent again (issue 12, item 1).

The Somtoday HRM Webservice and Magister's ``UpdateMedewerker`` are driven through the
engine against their emulators. Between the target and the emulator sits
:class:`LosingTransport`: it forwards every request over the loopback network, and for a
write the test chose the emulator **applies it** and then the answer is lost as a network
loses it (the connection dropped, the read timed out, or a gateway's 500/502/504 instead of
the emulator's answer). The transport must not send such a write again; the executor reads
the SIS, finds the medewerker by the employee number and records the write as applied.
A write that provably did not arrive (connection refused, 429, 503) is still retried.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Literal, Protocol

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.emulators.magister import MagisterEmulator
from connectors.emulators.somtoday import SomtodayEmulator
from connectors.sis.config import SisStaffTargetConfig
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.magister.staff import MagisterStaffTarget
from connectors.sis.somtoday.config import SomtodaySourceConfig
from connectors.sis.somtoday.staff import SomtodayStaffTarget
from provisioner.domain.models import StaffMember
from provisioner.errors import OutcomeUnknown, TransientError
from provisioner.execution.engine import RunReport
from provisioner.store.tables import AuditEvent, JournalEntry
from provisioner.targets import AccountSpec
from tests import sis_staff_world
from tests.conformance import SCHOOL
from tests.sis_staff_world import TODAY, person

Fault = Literal["drop", "timeout", "500", "502", "504", "refused", "429", "503"]
#: after the write was applied: the answer is lost
LOST: tuple[Fault, ...] = ("drop", "timeout", "500", "502", "504")
#: before the write arrives: nothing was done, sent again by the retry policy
REFUSED: tuple[Fault, ...] = ("refused", "429", "503")
UNIT = "Locatie Centrum"


class LosingTransport(httpx.BaseTransport):
    """The real HTTP transport, with faults for the writes (``is_write``): each entry of
    ``faults`` hits one write, in order. A lost fault lets the emulator apply the write and
    then loses its answer; a refused one never lets it arrive."""

    def __init__(self, write_path: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.write_path = write_path
        self.faults: list[Fault] = []
        self.arrived = 0  # writes the emulator received (and applied, unless it refused)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or request.url.path != self.write_path:
            return self.inner.handle_request(request)
        fault = self.faults.pop(0) if self.faults else None
        if fault == "refused":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if fault in ("429", "503"):
            return httpx.Response(int(fault), headers={"Retry-After": "0"}, request=request)
        response = self.inner.handle_request(request)
        response.read()
        response.close()
        self.arrived += 1
        if fault == "drop":
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if fault == "timeout":
            raise httpx.ReadTimeout("The read operation timed out", request=request)
        if fault is not None:  # a gateway's answer in place of the emulator's
            return httpx.Response(int(fault), text="Bad Gateway", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


class System(Protocol):
    transport: LosingTransport

    @property
    def roles(self) -> dict[str, str]:
        """sis_roles: role -> the SIS function."""
        ...

    def target(self) -> SomtodayStaffTarget | MagisterStaffTarget: ...

    def record(self, number: str) -> dict[str, str] | None:
        """The medewerker as the emulator holds it (None: none)."""
        ...

    def in_service(self, number: str) -> bool: ...


@dataclasses.dataclass
class Somtoday:
    emu: SomtodayEmulator
    transport: LosingTransport

    @property
    def roles(self) -> dict[str, str]:
        return {"teacher": "Leerkracht", "director": "Directeur"}

    def target(self) -> SomtodayStaffTarget:
        config = SisStaffTargetConfig(
            type="sis-staff", name="sis-staff", system="somtoday", hrm_url=self.emu.hrm_url,
            hrm_username=self.emu.hrm_username, hrm_brin=SCHOOL[:4], sis_roles=self.roles,
        )  # fmt: skip
        source = SomtodaySourceConfig(
            type="somtoday", api_url=self.emu.api_url, token_url=self.emu.token_url,
            organisation=self.emu.organisation, client_id=self.emu.client_id,
        )  # fmt: skip
        return SomtodayStaffTarget(
            "sis-staff", config, source, {SCHOOL}, "example.nl",
            client_secret=self.emu.client_secret, hrm_password=self.emu.hrm_password,
            transport=self.transport, today=self.emu.today, sleep=lambda _: None,
        )  # fmt: skip

    def record(self, number: str) -> dict[str, str] | None:
        found = self.emu.medewerker(number)
        return None if found is None else {k: str(v) for k, v in found.items()}

    def in_service(self, number: str) -> bool:
        found = self.record(number)
        return found is not None and not found.get("datum_uit_dienst")


@dataclasses.dataclass
class Magister:
    emu: MagisterEmulator
    transport: LosingTransport

    @property
    def roles(self) -> dict[str, str]:
        return {"teacher": "Docent", "director": "Directeur"}

    def target(self) -> MagisterStaffTarget:
        config = SisStaffTargetConfig(
            type="sis-staff", name="sis-staff", system="magister", sis_roles=self.roles
        )
        source = MagisterSourceConfig(
            type="magister", base_url=self.emu.url, username=self.emu.username,
            locations={UNIT: SCHOOL},
        )  # fmt: skip
        return MagisterStaffTarget(
            "sis-staff", config, source, {SCHOOL}, "example.nl", password=self.emu.password,
            transport=self.transport, today=self.emu.today, sleep=lambda _: None,
        )  # fmt: skip

    def record(self, number: str) -> dict[str, str] | None:
        try:
            return self.emu.medewerker(number)
        except KeyError:
            return None

    def in_service(self, number: str) -> bool:
        found = self.record(number)
        return found is not None and found["DatumUitDienst"] == "2099-12-31"


@dataclasses.dataclass
class World:
    system: System
    sessions: sessionmaker[Session]

    @property
    def transport(self) -> LosingTransport:
        return self.system.transport

    def sync(self, staff: list[StaffMember]) -> RunReport:
        target = self.system.target()
        return sis_staff_world.sync(self.sessions, target, staff, self.system.roles, TODAY)

    def spec(self, number: str) -> AccountSpec:
        """A complete account for ``staff:<number>``, to call the target's verbs directly."""
        role = self.system.roles["teacher"]
        attributes = {"sis_role": role, "locations": SCHOOL, "role": "teacher"}
        return AccountSpec(
            f"staff:{number}", f"p{number}", "Piet Bos", "Piet", "Bos", True, attributes
        )

    def notes(self, report: RunReport) -> list[str]:
        with self.sessions() as session:
            return list(
                session.execute(
                    select(AuditEvent.reason).where(AuditEvent.run_id == report.run_id)
                ).scalars()
            )

    def statuses(self, report: RunReport) -> set[str]:
        with self.sessions() as session:
            return set(
                session.execute(
                    select(JournalEntry.status).where(JournalEntry.run_id == report.run_id)
                ).scalars()
            )


@pytest.fixture(params=["somtoday", "magister"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    sessions = sis_staff_world.store(tmp_path)
    if request.param == "somtoday":
        with SomtodayEmulator(today=TODAY) as somtoday:
            somtoday.add_vestiging(SCHOOL, "OBS Proef")
            path = httpx.URL(somtoday.hrm_url).path
            yield World(Somtoday(somtoday, LosingTransport(path)), sessions)
    else:
        with MagisterEmulator(today=TODAY) as magister:
            yield World(Magister(magister, LosingTransport("/soap/personeel")), sessions)


def lotte(end: int | None = None) -> StaffMember:
    day = None if end is None else TODAY - timedelta(days=end)
    return person("5101", "Lotte", "", "Visser", end=day)


@pytest.mark.parametrize("fault", LOST)
def test_a_joiner_whose_answer_was_lost_is_verified_not_created_twice(
    world: World, fault: Fault
) -> None:
    world.transport.faults = [fault]
    report = world.sync([lotte()])
    assert report.status == "applied", report.as_json()
    assert world.statuses(report) == {"applied"}
    assert world.transport.arrived == 1, "a write whose answer was lost was sent again"
    assert world.system.in_service("5101")
    assert any("lost answer" in note for note in world.notes(report)), world.notes(report)
    assert world.sync([lotte()]).total == 0
    assert world.transport.arrived == 1


@pytest.mark.parametrize("fault", LOST)
def test_a_leaver_whose_answer_was_lost_is_verified_not_sent_again(
    world: World, fault: Fault
) -> None:
    assert world.sync([lotte()]).status == "applied"
    before = world.transport.arrived
    world.transport.faults = [fault]
    report = world.sync([lotte(end=1)])
    assert report.status == "applied", report.as_json()
    assert report.counts.get("disable_account") == 1
    assert world.statuses(report) == {"applied"}
    assert world.transport.arrived == before + 1, "a write whose answer was lost was sent again"
    assert not world.system.in_service("5101")
    assert any("lost answer" in note for note in world.notes(report))


@pytest.mark.parametrize("fault", LOST)
def test_the_transport_raises_outcome_unknown_after_one_send(world: World, fault: Fault) -> None:
    target = world.system.target()
    target.read()
    world.transport.faults = [fault]
    with pytest.raises(OutcomeUnknown, match="not sent again"):
        target.create_account(world.spec("5102"))
    assert world.transport.arrived == 1
    assert world.system.record("5102") is not None  # it did land


@pytest.mark.parametrize("fault", REFUSED)
def test_a_write_that_did_not_arrive_is_retried(world: World, fault: Fault) -> None:
    world.transport.faults = [fault, fault]
    report = world.sync([lotte()])
    assert report.status == "applied", report.as_json()
    assert world.transport.faults == []  # both refused attempts were made, then the third
    assert world.transport.arrived == 1
    assert world.system.in_service("5101")
    assert not any("lost answer" in note for note in world.notes(report))


def test_a_write_refused_every_time_is_transient_not_unknown(world: World) -> None:
    target = world.system.target()
    target.read()
    world.transport.faults = ["503"] * 10
    with pytest.raises(TransientError):
        target.create_account(world.spec("5103"))
    assert world.transport.arrived == 0
