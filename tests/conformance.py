"""The target-connector conformance suite.

Every target connector passes it with one class of test code::

    class TestMyTarget(TargetConformance):
        def make_target(self, path: Path, dry_run: bool) -> Target: return MyTarget(...)

It drives the target through the real engine (policy, planner, executor, store), so what it
proves is what the nightly run relies on: create, update, adopt an existing object by its
stable key, heal a stale link, disable, delete after the grace period, and refuse writes in
dry-run mode. ``make_target`` may be called more than once in a test (as a new process
would): each call must see the same directory.

Fault mode (``test_a_lost_answer_*``): for each verb, every call is carried out and then its
answer is lost (``OutcomeUnknown``), as a network that drops the connection after the write
does. The run must end applied, with each write done exactly once (verified, never resent)
and the directory as without the fault.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.config import BoardConfig as Board
from provisioner.config import (
    Config,
    HrCsvSourceConfig,
    LocationConfig,
    SafetyConfig,
    SourcesConfig,
)
from provisioner.domain.models import Employment, PersonName, Role, StaffMember
from provisioner.errors import DryRunRejected
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.sources.models import SourceBatch, SourceKind
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import AuditEvent, JournalEntry
from provisioner.targets import AccountSpec, OutcomeUnknown, RemoteAccount, Target

TODAY = date(2026, 11, 23)
SCHOOL = "07XY00"


class StaticHr:
    """An HR source whose staff list the test sets directly."""

    name = "hr"
    kind = SourceKind.HR

    def __init__(self, staff: list[StaffMember]) -> None:
        self.staff = staff

    def read(self) -> SourceBatch:
        return SourceBatch(
            self.name, self.kind, staff=list(self.staff), counts={"staff": len(self.staff)}
        )


def teacher(
    number: str, given: str, prefix: str, family: str, *, end: date | None = None
) -> StaffMember:
    return StaffMember(
        number,
        PersonName(given, prefix, family),
        (Employment(SCHOOL, "Leerkracht", date(2020, 8, 1), end),),
    )


def board_config() -> Config:
    return Config(
        board=Board(name="Conformance", domain="example.nl"),
        locations=[LocationConfig(brin6=SCHOOL, name="OBS Proef")],
        roles={"Leerkracht": Role.TEACHER, "Directeur": Role.DIRECTOR},
        sources=SourcesConfig(hr=HrCsvSourceConfig(type="hr-csv", path=Path("unused.csv"))),
        safety=SafetyConfig(thresholds={}),  # one person is 100% of this tiny board
    )


#: Each verb of the Target interface and the operations that call it.
VERBS: dict[str, tuple[str, ...]] = {
    "create_account": ("create_account",),
    "update_account": ("update_account",),
    "set_enabled": ("disable_account", "enable_account"),
    "revoke_sessions": ("revoke_sessions",),
    "delete_account": ("delete_account",),
    "create_group": ("create_group",),
    "add_members": ("add_member",),
    "remove_members": ("remove_member",),
    "assign_licences": ("assign_licence", "remove_licence"),
}
LICENCE = "M365_A3_FACULTY"  # a part number the Graph emulator knows; others take any name


class LosingAnswers:
    """A target whose answers to one verb are lost after the write was done."""

    def __init__(self, inner: Target, verb: str) -> None:
        self._inner = inner
        self._verb = verb
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name != self._verb:
            return attribute

        def lossy(*args: Any, **kwargs: Any) -> None:
            self.calls += 1
            attribute(*args, **kwargs)
            raise OutcomeUnknown(f"{name}: done, but the answer was lost")

        return lossy


class TargetConformance:
    """Inherit and implement ``make_target``."""

    def make_target(self, path: Path, dry_run: bool) -> Target:
        raise NotImplementedError

    # -- harness ---------------------------------------------------------------------------

    @pytest.fixture
    def world(self, tmp_path: Path) -> World:
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        upgrade(engine)
        return World(self, tmp_path / "target", session_factory(engine))

    # -- the suite -------------------------------------------------------------------------

    def test_creates_account_groups_and_membership(self, world: World) -> None:
        report = world.sync([teacher("5001", "Anne-Fleur", "van 't", "Hek")])
        assert report.status == "applied", report.as_json()
        account = world.account("staff:5001")
        assert account.username == "anne-fleur.vanthek"
        assert (account.display_name, account.family_name) == (
            "Anne-Fleur van 't Hek",
            "van 't Hek",
        )
        assert account.enabled
        assert account.remote_id in world.members(f"loc:{SCHOOL}:teachers")
        assert world.sync([teacher("5001", "Anne-Fleur", "van 't", "Hek")]).total == 0

    def test_updates_a_changed_name_but_keeps_the_username(self, world: World) -> None:
        world.sync([teacher("5002", "Jan", "de", "Vries")])
        report = world.sync([teacher("5002", "Jan", "de", "Vries-Bakker")])
        assert report.counts == {"update_account": 1}
        account = world.account("staff:5002")
        assert account.family_name == "de Vries-Bakker"
        assert account.username == "jan.devries"

    def test_adopts_an_existing_account_by_its_key(self, world: World) -> None:
        target = world.target()
        existing = target.create_account(
            AccountSpec("staff:5003", "o.celik", "Ömer Çelik", "Ömer", "Çelik", True, {})
        )
        report = world.sync([teacher("5003", "Ömer", "", "Çelik")])
        assert report.counts.get("create_account") is None
        assert report.counts.get("link_account") == 1
        account = world.account("staff:5003")
        assert account.remote_id == existing
        assert account.username == "o.celik"  # adopted accounts keep their name

    def test_heals_a_stale_link(self, world: World) -> None:
        world.sync([teacher("5004", "Sanne", "", "Jansen")])
        target = world.target()
        old = world.account("staff:5004")
        target.delete_account(old.remote_id)  # someone deleted and re-created it by hand
        new = target.create_account(
            AccountSpec("staff:5004", "sanne.jansen", "Sanne Jansen", "Sanne", "Jansen", True, {})
        )
        report = world.sync([teacher("5004", "Sanne", "", "Jansen")])
        assert report.status == "applied", report.as_json()
        assert report.counts.get("create_account") is None
        assert world.account("staff:5004").remote_id == new
        assert new in world.members(f"loc:{SCHOOL}:teachers")

    def test_disables_a_leaver_then_deletes_after_the_grace_period(self, world: World) -> None:
        world.sync([teacher("5005", "Jan", "de", "Vries")])
        leaver = [teacher("5005", "Jan", "de", "Vries", end=TODAY - timedelta(days=3))]
        report = world.sync(leaver)
        assert report.status == "applied", report.as_json()
        account = world.account("staff:5005")
        assert not account.enabled
        assert account.remote_id not in world.members(f"loc:{SCHOOL}:teachers")
        assert (
            world.sync(leaver, today=TODAY + timedelta(days=29)).counts.get("delete_account")
            is None
        )
        assert world.sync(leaver, today=TODAY + timedelta(days=30)).counts == {"delete_account": 1}
        assert world.find("staff:5005") == []

    @pytest.mark.parametrize("verb", sorted(VERBS))
    def test_a_lost_answer_is_verified_and_never_sent_again(self, world: World, verb: str) -> None:
        number = "5007"
        lotte = teacher(number, "Lotte", "", "Visser")
        renamed = teacher(number, "Lotte", "", "Visser-de Boer")
        leaver = teacher(number, "Lotte", "", "Visser-de Boer", end=TODAY - timedelta(days=1))
        calls, runs = 0, []
        for staff, today in (
            (lotte, TODAY),
            (renamed, TODAY),
            (leaver, TODAY),
            (leaver, TODAY + timedelta(days=31)),
        ):
            lossy = LosingAnswers(world.target(), verb)
            report = world.sync([staff], today=today, target=cast(Target, lossy), licences=True)
            assert report.status == "applied", report.as_json()
            calls += lossy.calls
            runs.append(report.run_id)
        with world.sessions() as session:
            entries = session.execute(
                select(JournalEntry).where(
                    JournalEntry.run_id.in_(runs), JournalEntry.op_type.in_(VERBS[verb])
                )
            ).scalars().all()  # fmt: skip
        if not entries:
            pytest.skip(f"this target plans nothing that calls {verb}")
        assert {e.status for e in entries} == {"applied"}
        assert calls == len(entries), "a write whose answer was lost was sent again"
        assert world.find(f"staff:{number}") == []  # deleted in the end, as without the fault
        with world.sessions() as session:  # the runs confirmed them, not resent
            notes = session.execute(
                select(AuditEvent.reason).where(
                    AuditEvent.run_id.in_(runs), AuditEvent.action.in_(VERBS[verb])
                )
            ).scalars().all()  # fmt: skip
        assert notes and all("lost answer" in note for note in notes), notes

    def test_dry_run_rejects_writes(self, world: World) -> None:
        with pytest.raises(DryRunRejected):
            world.target(dry_run=True).create_account(
                AccountSpec("staff:5006", "x.y", "X Y", "X", "Y", True, {})
            )
        report = world.sync([teacher("5006", "Jan", "de", "Vries")], dry_run=True)
        assert report.status == "dry_run" and report.counts.get("create_account") == 1
        assert world.find("staff:5006") == []


@dataclasses.dataclass
class World:
    suite: TargetConformance
    path: Path
    sessions: sessionmaker[Session]

    def target(self, dry_run: bool = False) -> Target:
        return self.suite.make_target(self.path, dry_run)

    def sync(
        self,
        staff: list[StaffMember],
        *,
        today: date = TODAY,
        dry_run: bool = False,
        target: Target | None = None,
        licences: bool = False,
    ) -> RunReport:
        target = target or self.target(dry_run)
        settings = {target.name: {"licences": {"teacher": [LICENCE]}}} if licences else {}
        engine = Engine(
            board_config(), self.sessions, [StaticHr(staff)], [target], target_settings=settings
        )
        return engine.sync(SyncRequest(today=today, dry_run=dry_run))

    def find(self, key: str) -> list[RemoteAccount]:
        return list(self.target().find_accounts(key))

    def account(self, key: str) -> RemoteAccount:
        (account,) = self.find(key)
        return account

    def members(self, group_key: str) -> frozenset[str]:
        (group,) = self.target().find_groups(group_key)
        return group.members
