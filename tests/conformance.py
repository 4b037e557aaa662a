"""The target-connector conformance suite.

Every target connector passes it with one class of test code::

    class TestMyTarget(TargetConformance):
        def make_target(self, path: Path, dry_run: bool) -> Target: return MyTarget(...)

It drives the target through the real engine (policy, planner, executor, store), so what it
proves is what the nightly run relies on. Every target (``AccountTarget``): create, update,
adopt an existing account by its stable key, heal a stale link, disable, delete after the
grace period, and refuse writes in dry-run mode. Then the tests of each capability the
target declares (:data:`provisioner.targets.CAPABILITIES`), skipped with the capability's
name when it does not: groups and members, licences, sessions, document libraries, end
dates. ``make_target`` may be called more than once in a test (as a new process would):
each call must see the same directory; ``self.store`` is the run's store (for targets that
keep manual tasks in it).

Fault mode (``test_a_lost_answer_*``): for each verb, every call is carried out and then its
answer is lost (``OutcomeUnknown``), as a network that drops the connection after the write
does. The run must end applied, with each write done exactly once (verified, never resent)
and the directory as without the fault.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.hr.config import HrCsvSourceConfig
from provisioner.config import BoardConfig as Board
from provisioner.config import Config, LocationConfig, SafetyConfig, SourcesConfig
from provisioner.domain.models import Employment, PersonName, Role, StaffMember
from provisioner.errors import DryRunRejected
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.sources.models import SourceBatch, SourceKind
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import AuditEvent, JournalEntry
from provisioner.targets import (
    CAPABILITIES,
    AccountSpec,
    EndDateTarget,
    GroupTarget,
    OutcomeUnknown,
    RemoteAccount,
    SessionTarget,
    Target,
)

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


#: Each verb, the capability it belongs to (None: every target) and the operations calling it.
VERBS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "create_account": (None, ("create_account",)),
    "update_account": (None, ("update_account",)),
    "set_enabled": (None, ("disable_account", "enable_account")),
    "end_service": ("end dates", ("disable_account",)),
    "revoke_sessions": ("sessions", ("revoke_sessions",)),
    "delete_account": (None, ("delete_account",)),
    "create_group": ("groups", ("create_group",)),
    "add_members": ("groups", ("add_member",)),
    "remove_members": ("groups", ("remove_member",)),
    "assign_licences": ("licences", ("assign_licence", "remove_licence")),
}
LICENCE = "M365_A3_FACULTY"  # a part number the Graph emulator knows; others take any name


class LosingAnswers:
    """Loses every answer of one verb after the write was done (``calls`` counts them); run
    ``lossy.target``. It carries the target's public attributes as its own (so it declares
    exactly the target's capabilities), with only ``verb`` replaced: the target's own calls
    to that verb, inside another verb, are not touched."""

    def __init__(self, inner: Target, verb: str) -> None:
        self.calls = 0
        write = getattr(inner, verb)

        def lossy(*args: Any, **kwargs: Any) -> None:
            self.calls += 1
            write(*args, **kwargs)
            raise OutcomeUnknown(f"{verb}: done, but the answer was lost")

        proxy = _Attributes()
        for name in dir(inner):
            if not name.startswith("_"):
                setattr(proxy, name, getattr(inner, name))
        setattr(proxy, verb, lossy)
        self.target = cast(Target, proxy)


class _Attributes:
    """A plain object to copy a target's attributes onto."""


class TargetConformance:
    """Inherit and implement ``make_target``; override the settings below where the target
    differs."""

    #: the target never deletes an account: ``delete_account`` leaves it inactive (a SIS
    #: keeps staff records as the school's administration)
    keeps_deleted_accounts = False
    #: the target's writes are tasks a person carries out later (ParnasSys): after each run
    #: ``after_sync`` plays that person, so an account's remote id changes once it is made
    made_by_hand = False
    #: the target lists leavers (inactive); False: a leaver is no longer listed (Magister
    #: lists only staff in service)
    lists_leavers = True
    store: sessionmaker[Session]

    def make_target(self, path: Path, dry_run: bool) -> Target:
        raise NotImplementedError

    def target_settings(self) -> dict[str, Any]:
        """The target's settings for the engine (``sis_roles``, ``include_pupils``)."""
        return {}

    def after_sync(self, world: World, staff: list[StaffMember], today: date) -> None:
        """What happens between two runs outside the provisioner (nothing by default)."""

    def end_of_service(self, world: World, key: str) -> date | None:
        """The end of service the target holds for ``key`` (an ``EndDateTarget``)."""
        raise NotImplementedError("an EndDateTarget's suite says where its end date is")

    # -- harness ---------------------------------------------------------------------------

    @pytest.fixture
    def world(self, tmp_path: Path) -> World:
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        upgrade(engine)
        self.store = session_factory(engine)
        return World(self, tmp_path / "target", self.store)

    def require(self, world: World, capability: str) -> None:
        """Skip the test unless the target declares ``capability``."""
        protocol = CAPABILITIES[capability]
        if not isinstance(world.target(), protocol):
            pytest.skip(f"the target is no {protocol.__name__}: it keeps no {capability}")

    def spec(self, number: str, username: str, given: str, family: str) -> AccountSpec:
        """An account made by hand, as a teacher at ``SCHOOL`` (with the SIS function)."""
        attributes = {"kind": "staff", "role": "teacher", "locations": SCHOOL}
        function = self.target_settings().get("sis_roles", {}).get("teacher")
        if function:
            attributes["sis_role"] = function
        display = f"{given} {family}"
        return AccountSpec(f"staff:{number}", username, display, given, family, True, attributes)

    def assert_disabled(self, world: World, key: str) -> None:
        """Inactive, or (a target that lists only active people) not listed."""
        found = world.find(key)
        if self.lists_leavers:
            assert [account.enabled for account in found] == [False], found
        else:
            assert found == []

    def assert_gone(self, world: World, key: str) -> None:
        """Deleted: gone, or (a target that keeps its records) inactive."""
        found = world.find(key)
        if self.keeps_deleted_accounts:
            assert all(not account.enabled for account in found), found
        else:
            assert found == []

    # -- every target ----------------------------------------------------------------------

    def test_creates_an_account(self, world: World) -> None:
        report = world.sync([teacher("5001", "Anne-Fleur", "van 't", "Hek")])
        assert report.status == "applied", report.as_json()
        account = world.account("staff:5001")
        assert account.username == "anne-fleur.vanthek"
        assert (account.display_name, account.family_name) == (
            "Anne-Fleur van 't Hek",
            "van 't Hek",
        )
        assert account.enabled
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
        target.read()
        existing = target.create_account(self.spec("5003", "o.celik", "Ömer", "Çelik"))
        report = world.sync([teacher("5003", "Ömer", "", "Çelik")])
        assert report.status == "applied", report.as_json()
        assert report.counts.get("create_account") is None
        assert report.counts.get("link_account") == 1
        account = world.account("staff:5003")
        if not self.made_by_hand:  # else: made after the run, under an id of its own
            assert account.remote_id == existing
        assert account.username == "o.celik"  # adopted accounts keep their name

    def test_heals_a_stale_link(self, world: World) -> None:
        if self.keeps_deleted_accounts:
            pytest.skip("the target never deletes an account: no link goes stale that way")
        world.sync([teacher("5004", "Sanne", "", "Jansen")])
        target = world.target()
        old = world.account("staff:5004")
        target.delete_account(old.remote_id)  # someone deleted and re-created it by hand
        new = target.create_account(self.spec("5004", "sanne.jansen", "Sanne", "Jansen"))
        report = world.sync([teacher("5004", "Sanne", "", "Jansen")])
        assert report.status == "applied", report.as_json()
        assert report.counts.get("create_account") is None
        assert world.account("staff:5004").remote_id == new
        if isinstance(target, GroupTarget):
            assert new in world.members(f"loc:{SCHOOL}:teachers")

    def test_disables_a_leaver_then_deletes_after_the_grace_period(self, world: World) -> None:
        world.sync([teacher("5005", "Jan", "de", "Vries")])
        leaver = [teacher("5005", "Jan", "de", "Vries", end=TODAY - timedelta(days=3))]
        report = world.sync(leaver)
        assert report.status == "applied", report.as_json()
        self.assert_disabled(world, "staff:5005")
        if isinstance(world.target(), GroupTarget):
            account = world.account("staff:5005")
            assert account.remote_id not in world.members(f"loc:{SCHOOL}:teachers")
        assert (
            world.sync(leaver, today=TODAY + timedelta(days=29)).counts.get("delete_account")
            is None
        )
        deleted = world.sync(leaver, today=TODAY + timedelta(days=30))
        # a target that no longer lists the leaver has nothing left to delete
        assert deleted.counts == ({"delete_account": 1} if self.lists_leavers else {})
        self.assert_gone(world, "staff:5005")

    @pytest.mark.parametrize("verb", sorted(VERBS))
    def test_a_lost_answer_is_verified_and_never_sent_again(self, world: World, verb: str) -> None:
        capability, ops = VERBS[verb]
        if capability is not None:
            self.require(world, capability)
        if verb == "set_enabled" and isinstance(world.target(), EndDateTarget):
            ops = ("enable_account",)  # a leaver's end of service goes through end_service
        if verb == "delete_account" and self.keeps_deleted_accounts:
            pytest.skip("the target sends nothing for delete_account: no answer to lose")
        runs, calls = self.lose_answers(world, verb)
        with world.sessions() as session:
            entries = session.execute(
                select(JournalEntry).where(
                    JournalEntry.run_id.in_(runs), JournalEntry.op_type.in_(ops)
                )
            ).scalars().all()  # fmt: skip
        if not entries:
            pytest.skip(f"this target plans nothing that calls {verb}")
        assert {e.status for e in entries} == {"applied"}
        assert calls == len(entries), "a write whose answer was lost was sent again"
        self.assert_gone(world, "staff:5007")  # deleted in the end, as without the fault
        with world.sessions() as session:  # the runs confirmed them, not resent
            notes = session.execute(
                select(AuditEvent.reason).where(
                    AuditEvent.run_id.in_(runs), AuditEvent.action.in_(ops)
                )
            ).scalars().all()  # fmt: skip
        assert notes and all("lost answer" in note for note in notes), notes

    def lose_answers(self, world: World, verb: str) -> tuple[list[str], int]:
        """A joiner, renamed, leaving, deleted: four runs in which every answer to ``verb``
        is lost. The runs' ids and how often ``verb`` was called."""
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
            report = world.sync([staff], today=today, target=lossy.target, licences=True)
            assert report.status == "applied", report.as_json()
            calls += lossy.calls
            runs.append(report.run_id)
        return runs, calls

    def test_dry_run_rejects_writes(self, world: World) -> None:
        with pytest.raises(DryRunRejected):
            world.target(dry_run=True).create_account(self.spec("5006", "x.y", "X", "Y"))
        report = world.sync([teacher("5006", "Jan", "de", "Vries")], dry_run=True)
        assert report.status == "dry_run" and report.counts.get("create_account") == 1
        assert world.find("staff:5006") == []

    # -- capabilities ----------------------------------------------------------------------

    def test_groups_get_their_members(self, world: World) -> None:
        self.require(world, "groups")
        report = world.sync([teacher("5011", "Noor", "", "Bakker")])
        assert report.status == "applied", report.as_json()
        account = world.account("staff:5011")
        assert account.remote_id in world.members(f"loc:{SCHOOL}:teachers")
        assert report.counts.get("create_group", 0) >= 1

    def test_licences_follow_the_role(self, world: World) -> None:
        self.require(world, "licences")
        report = world.sync([teacher("5012", "Eva", "", "Bos")], licences=True)
        assert report.counts.get("assign_licence") == 1, report.as_json()
        assert LICENCE in world.account("staff:5012").licences
        assert world.sync([teacher("5012", "Eva", "", "Bos")], licences=True).total == 0

    def test_a_leaver_loses_their_sessions(self, world: World) -> None:
        self.require(world, "sessions")
        world.sync([teacher("5013", "Piet", "", "Smit")])
        before = datetime.now(UTC) - timedelta(seconds=1)
        report = world.sync([teacher("5013", "Piet", "", "Smit", end=TODAY - timedelta(days=1))])
        assert report.counts.get("revoke_sessions") == 1, report.as_json()
        target = world.target()
        assert isinstance(target, SessionTarget)
        assert target.sessions_revoked_since(world.account("staff:5013").remote_id, before)

    def test_keeps_a_library_per_access_group(self, world: World) -> None:
        self.require(world, "libraries")
        report = world.sync([teacher("5014", "Anne", "", "Bakker")])
        assert report.status == "applied", report.as_json()
        snapshot = world.target().read()
        assert [site.key for site in snapshot.sites] == [f"site:{SCHOOL}"]
        groups = {group.key: group.remote_id for group in snapshot.groups}
        libraries = {library.key: library for library in snapshot.libraries}
        teachers = libraries[f"loc:{SCHOOL}:teachers"]
        assert groups[f"loc:{SCHOOL}:teachers"] in teachers.grants.values()
        assert world.sync([teacher("5014", "Anne", "", "Bakker")]).total == 0

    def test_a_leaver_keeps_the_end_date_hr_gives(self, world: World) -> None:
        self.require(world, "end dates")
        world.sync([teacher("5015", "Sanne", "", "Kok")])
        last_day = TODAY - timedelta(days=4)
        report = world.sync([teacher("5015", "Sanne", "", "Kok", end=last_day)])
        assert report.counts.get("disable_account") == 1, report.as_json()
        assert self.end_of_service(world, "staff:5015") == last_day  # not the day before the run
        self.assert_disabled(world, "staff:5015")


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
        """One run with HR giving ``staff``, then what happens outside until the next."""
        report = self.run(staff, today=today, dry_run=dry_run, target=target, licences=licences)
        self.suite.after_sync(self, staff, today)
        return report

    def run(
        self,
        staff: list[StaffMember],
        *,
        today: date = TODAY,
        dry_run: bool = False,
        target: Target | None = None,
        licences: bool = False,
    ) -> RunReport:
        """One run only."""
        target = target or self.target(dry_run)
        settings = dict(self.suite.target_settings())
        if licences:
            settings["licences"] = {"teacher": [LICENCE]}
        engine = Engine(
            board_config(), self.sessions, [StaticHr(staff)], [target],
            target_settings={target.name: settings},
        )  # fmt: skip
        return engine.sync(SyncRequest(today=today, dry_run=dry_run))

    def find(self, key: str) -> list[RemoteAccount]:
        return list(self.target().find_accounts(key))

    def account(self, key: str) -> RemoteAccount:
        (account,) = self.find(key)
        return account

    def members(self, group_key: str) -> frozenset[str]:
        target = self.target()
        assert isinstance(target, GroupTarget)
        (group,) = target.find_groups(group_key)
        return group.members
