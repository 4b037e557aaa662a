"""What the SIS staff target tests share: a migrated store, a staff member as HR gives them,
and a sync of one SIS staff target through the engine, with HR as given."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from provisioner.domain.models import Employment, PersonName, StaffMember
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.targets import AccountSpec, Target
from tests.conformance import SCHOOL, StaticHr, board_config

TODAY = date(2026, 11, 23)


def store(folder: Path) -> sessionmaker[Session]:
    """A migrated SQLite store in ``folder``."""
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    upgrade(engine)
    return session_factory(engine)


def person(number: str, given: str, prefix: str, family: str, title: str = "Leerkracht",
           end: date | None = None) -> StaffMember:  # fmt: skip
    """A staff member at ``SCHOOL`` since 1 August 2020, until ``end`` (HR's last day)."""
    employment = Employment(SCHOOL, title, date(2020, 8, 1), end)
    return StaffMember(number, PersonName(given, prefix, family), (employment,))


def spec(number: str) -> AccountSpec:
    """A minimal account for ``staff:<number>``, to call a target's verbs directly."""
    return AccountSpec(f"staff:{number}", "jan.smit", "Jan Smit", "Jan", "Smit", True, {})


def sync(
    sessions: sessionmaker[Session],
    target: Target,
    staff: list[StaffMember],
    roles: dict[str, str],
    today: date,
) -> RunReport:
    """One full sync of ``target`` alone, HR being ``staff``; the target is closed after."""
    settings: dict[str, dict[str, Any]] = {
        target.name: {"include_pupils": False, "sis_roles": roles}
    }
    engine = Engine(
        board_config(), sessions, [StaticHr(staff)], [target], target_settings=settings
    )
    try:
        return engine.sync(SyncRequest(today=today))
    finally:
        close = getattr(target, "close", None)
        if close is not None:
            close()


class EndOfServiceWorld(Protocol):
    """A SIS emulator with its staff target, as :func:`check_end_of_service` drives it."""

    def sync(self, staff: list[StaffMember]) -> RunReport:
        """One run on the world's day."""
        ...

    def move_to(self, day: date) -> None:
        """The next runs (and the emulator) are on ``day``."""
        ...

    def end_of_service(self, number: str) -> date | None:
        """The end of service the SIS holds for this employee number; None: in service."""
        ...


def check_end_of_service(world: EndOfServiceWorld, last_day: date) -> None:
    """HR gives a staff member's last working day: the SIS keeps them in service until it
    has passed; the first run after it writes exactly that day as the end of service (not
    the day before the run), and the run after that has nothing to do."""
    world.move_to(TODAY)
    assert world.sync([person("5101", "Eva", "", "Bos")]).counts.get("create_account") == 1
    leaver = [person("5101", "Eva", "", "Bos", end=last_day)]
    if last_day >= TODAY:  # still working today: nothing changes yet
        assert world.sync(leaver).counts.get("disable_account") is None
        assert world.end_of_service("5101") is None
        world.move_to(last_day + timedelta(days=1))
    report = world.sync(leaver)
    assert report.counts.get("disable_account") == 1, report.as_json()
    assert world.end_of_service("5101") == last_day
    assert world.sync(leaver).total == 0
