"""Interns on a real Samba AD DC (issue 15, part 2): ``accountExpires`` on the intern's account
is the end of her last day (Europe/Amsterdam) as a Windows FILETIME, moved when the end moves
and honoured by the DC itself; she never reaches the care (Zorg) folder or its groups, not
even when HR gives her a title that maps to care coordinator; the day after her last day the
run disables her and opens the school's destruction tasks.

Run alone (one DC per machine, port 389): ``pytest tests/test_interns_ad.py``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from connectors.ad.target import ADTarget
from provisioner.accountability.interns_model import Internship
from provisioner.app.wiring import build_targets, target_settings
from provisioner.config import Config
from provisioner.domain.models import ClassGroup, PersonName, Role
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.sources.models import SourceBatch, SourceKind
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.tasks import ManualTasks
from tests.test_ad_shares import ALLOWED, LINDE, PASSWORD, TREE_DELETE, board_config, staff

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from tests.samba_dc import SambaDC

pytest_plugins = ["tests.samba_dc"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:ssl.match_hostname:DeprecationWarning"),
]

START = date(2026, 11, 23)
LAST_DAY = date(2027, 1, 29)  # winter: the end of the day is 23:00 UTC
LATER_DAY = date(2027, 7, 15)  # summer: 22:00 UTC
SOLO, TITLED = "9001", "9002"  # only an intern; an intern HR calls "Intern begeleider"
DENIED = "NT_STATUS_ACCESS_DENIED"


def filetime(moment: datetime) -> int:
    """A Windows FILETIME (100 ns since 1601-01-01 UTC), worked out apart from the connector."""
    return round((moment.timestamp() + 11_644_473_600) * 10_000_000)


class Sources:
    """HR and the intern list of a small board in one source; the test edits the list."""

    name = "hr"
    kind = SourceKind.HR

    def __init__(self) -> None:
        self.staff = [
            staff("1001", "Lotte", "Leider", "Locatieleider"),
            staff("1002", "Iris", "Begeleider", "Intern begeleider"),
            staff("1003", "Tessa", "de Vijf", "Leerkracht"),
            staff(TITLED, "Noor", "van Dijk", "Intern begeleider"),
        ]
        self.internships = [
            Internship(SOLO, PersonName("Sara", "", "Stage"), LINDE, START, LAST_DAY,
                       institute="Hanzehogeschool", workplace_supervisor="1003",
                       school_trainer="1001"),
            Internship(TITLED, PersonName("Noor", "", "van Dijk"), LINDE, START, LAST_DAY),
        ]  # fmt: skip
        self.groups = [ClassGroup("G5-07", "Groep 5", LINDE, frozenset({"1003", SOLO}))]

    def read(self) -> SourceBatch:
        return SourceBatch(
            self.name, self.kind, staff=list(self.staff), groups=list(self.groups),
            internships=list(self.internships), counts={"staff": len(self.staff)},
        )  # fmt: skip


@dataclass
class Board:
    dc: SambaDC
    folder: Path
    config: Config
    sessions: sessionmaker[Session]
    sources: Sources = field(default_factory=Sources)
    stack: ExitStack = field(default_factory=ExitStack)

    def sync(self, today: date) -> RunReport:
        with ExitStack() as stack:
            targets = build_targets(self.config, dry_run=False, stack=stack)
            engine = Engine(self.config, self.sessions, [self.sources], targets,
                            target_settings=target_settings(self.config))  # fmt: skip
            report = engine.sync(SyncRequest(today=today))
        assert report.status == "applied", (report.problems, report.issues)
        return report

    def target(self) -> ADTarget:
        if not hasattr(self, "_target"):
            (target,) = build_targets(self.config, dry_run=False, stack=self.stack)
            assert isinstance(target, ADTarget)
            self._target = target
        return self._target

    def user(self, number: str, *attributes: str) -> dict[str, list[str]]:
        target = self.target()
        (account,) = target.find_accounts(f"staff:{number}")
        conn = self.dc.admin_connection()
        conn.search(target.distinguished_name(account.remote_id), "(objectClass=*)", "BASE",
                    attributes=list(attributes))  # fmt: skip
        (entry,) = conn.entries
        return {name: [bytes(v).decode() for v in entry[name].raw_values] for name in attributes}

    def login(self, number: str, path: str) -> str:
        """``ok``, or the NT_STATUS the file server answered (the login or the listing)."""
        sam = self.user(number, "sAMAccountName")["sAMAccountName"][0]
        auth = self.folder / f"auth-{sam}"
        auth.write_text(f"username = {sam}\npassword = {PASSWORD}\ndomain = {self.dc.domain}\n")
        auth.chmod(0o600)
        done = subprocess.run(
            ["smbclient", f"//{self.dc.host}/{LINDE}", "-A", str(auth), "-m", "SMB3",
             "-c", f'ls "{path}\\*"' if path else "ls"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        for word in (done.stdout + done.stderr).split():
            if word.startswith("NT_STATUS_") and word != "NT_STATUS_OK":
                return word
        return ALLOWED if done.returncode == 0 else f"exit {done.returncode}"


@pytest.fixture(scope="module")
def board(samba_dc: SambaDC, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Board]:
    folder = tmp_path_factory.mktemp("ad-interns")
    samba_dc.managed_ou("Provisioner")
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    upgrade(engine)
    config = board_config(samba_dc, folder)
    roles = {**config.roles, "Intern begeleider": Role.CARE_COORDINATOR}
    board = Board(samba_dc, folder, config.model_copy(update={"roles": roles}),
                  session_factory(engine))  # fmt: skip
    board.sync(START)
    target = board.target()
    for account in target.read().accounts:  # the ICT desk hands out first passwords
        if account.key:
            target.reset_password(account.remote_id, PASSWORD, must_change=False)
    yield board
    board.stack.close()
    conn = samba_dc.admin_connection()
    conn.delete(f"OU=Provisioner,{samba_dc.base_dn}", controls=[TREE_DELETE])  # type: ignore[no-untyped-call]


def test_account_expires_is_the_end_of_the_last_day_in_amsterdam(board: Board) -> None:
    [expires] = board.user(SOLO, "accountExpires")["accountExpires"]
    assert int(expires) == filetime(datetime(2027, 1, 29, 23, 0, tzinfo=UTC))
    # an intern who also holds an HR post gets no expiry: her post goes on
    [titled] = board.user(TITLED, "accountExpires")["accountExpires"]
    assert int(titled) in (0, 2**63 - 1)


def test_the_intern_never_reaches_the_care_folder_or_its_groups(board: Board) -> None:
    for number in (SOLO, TITLED):
        groups = board.user(number, "memberOf")["memberOf"]
        assert not [g for g in groups if "_care" in g or "_management" in g], groups
        assert board.login(number, "Zorg") == DENIED
        assert board.login(number, "Directie") == DENIED
        assert board.login(number, "Team") == ALLOWED
    assert board.login(SOLO, "Groepen\\Groep 5") == ALLOWED  # the group she teaches
    assert board.login(TITLED, "Groepen\\Groep 5") == DENIED
    assert board.login("1002", "Zorg") == ALLOWED  # the IB-er herself does


def test_a_moved_end_moves_the_expiry(board: Board) -> None:
    board.sources.internships[0] = replace(board.sources.internships[0], end=LATER_DAY)
    board.sync(START + timedelta(days=1))
    [expires] = board.user(SOLO, "accountExpires")["accountExpires"]
    assert int(expires) == filetime(datetime(2027, 7, 15, 22, 0, tzinfo=UTC))
    assert board.login(SOLO, "Team") == ALLOWED


def test_the_dc_refuses_an_expired_intern_whose_account_is_still_enabled(board: Board) -> None:
    """The expiry works without any run: a run as of ten days before a last day that lies
    a week behind the DC's own clock leaves the account enabled (that internship, of twenty
    days, is running on the run's day), and the DC refuses it."""
    last_day = datetime.now(UTC).date() - timedelta(days=7)
    first_day = last_day - timedelta(days=20)
    board.sources.internships[0] = replace(
        board.sources.internships[0], start=first_day, end=last_day
    )
    board.sync(last_day - timedelta(days=10))
    flags = int(board.user(SOLO, "userAccountControl")["userAccountControl"][0])
    assert not flags & 0x2  # enabled
    assert board.login(SOLO, "Team") == "NT_STATUS_ACCOUNT_EXPIRED"


def test_the_day_after_the_last_day_she_is_disabled_and_the_tasks_opened(board: Board) -> None:
    board.sources.internships[0] = replace(board.sources.internships[0], start=START, end=LATER_DAY)
    board.sync(LATER_DAY + timedelta(days=1))
    flags = int(board.user(SOLO, "userAccountControl")["userAccountControl"][0])
    assert flags & 0x2  # disabled
    opened = ManualTasks(board.sessions).list(person_key=f"staff:{SOLO}")
    assert {t.kind: t.due_on for t in opened} == {
        "retention_destroy_reflection": date(2027, 8, 12),
        "retention_destroy_recordings": date(2028, 1, 15),
    }
    assert all(t.assignee == "location_leader" and t.location == LINDE for t in opened)
    # Noor's HR post goes on, and with the internship over she is an IB-er again
    assert any("_care" in g for g in board.user(TITLED, "memberOf")["memberOf"])
