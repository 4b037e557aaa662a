"""The school file shares on a real Samba AD DC, proven by logging in as the people concerned.

A demo board with two locations is synced through the real engine into AD and the shares;
then every person logs in over SMB (``smbclient``) with the password the ICT desk gave them,
and reaches exactly what the hierarchy *directie/locatieleider - IB-er - leerkracht -
leerlingen* allows. Drift made by hand (a member, a nested group, an ACE, a folder) is found,
repaired and reported in the run's outcomes and by ``provisioner runs show``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ldap3 import MODIFY_ADD, MODIFY_REPLACE
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.ad.config import ADFileSharesConfig, ADLocalSharesConfig, ADTargetConfig
from connectors.ad.target import ADTarget
from connectors.hr.config import HrCsvSourceConfig
from provisioner.app.wiring import build_targets, target_settings
from provisioner.config import BoardConfig, Config, LocationConfig, SafetyConfig, SourcesConfig
from provisioner.domain.models import ClassGroup, Employment, PersonName, Pupil, Role, StaffMember
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.sources.models import SourceBatch, SourceKind
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import SyncOutcome

if TYPE_CHECKING:
    from tests.samba_dc import SambaDC

pytest_plugins = ["tests.samba_dc"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:ssl.match_hostname:DeprecationWarning"),
]

TODAY = date(2026, 11, 23)
LINDE, ANKER = "07XY00", "08AB00"
PASSWORD = "Welkom-2026!Sch00l"
ALLOWED = "ok"
DENIED = "NT_STATUS_ACCESS_DENIED"
START = date(2020, 8, 1)
TREE_DELETE = ("1.2.840.113556.1.4.805", True, None)


def staff(number: str, given: str, family: str, title: str, location: str = LINDE) -> StaffMember:
    return StaffMember(
        number, PersonName(given, "", family), (Employment(location, title, START, None),)
    )


def pupil(sis_id: str, given: str, family: str, location: str, group: str) -> Pupil:
    return Pupil(sis_id, PersonName(given, "", family), None, location, group, None, None)


class StaticSis:
    """HR and SIS of the demo board in one source; the test edits its lists."""

    name = "hr"
    kind = SourceKind.HR

    def __init__(self) -> None:
        self.staff = [
            staff("1001", "Lotte", "Leider", "Locatieleider"),
            staff("1002", "Iris", "Begeleider", "Intern begeleider"),
            staff("1003", "Tessa", "de Vijf", "Leerkracht"),
            staff("1004", "Theo", "Zesmans", "Leerkracht"),
            staff("1005", "Karel", "Conciërge", "Conciërge"),
            staff("1006", "Vera", "Vertrek", "Leerkracht"),
            staff("2001", "Anke", "Ankers", "Leerkracht", ANKER),
            staff("2002", "Ingrid", "Anker-IB", "Intern begeleider", ANKER),
            # escaping hazards in the family name, through naming and the engine into AD
            staff("2003", "Jan", "Smit, Jr.", "Conciërge", ANKER),
            staff("2004", "Eva", "*)(cn=*", "Conciërge", ANKER),
        ]
        self.pupils = [
            pupil("P1", "Pim", "Vijf", LINDE, "G5-07"),
            pupil("P2", "Zoë", "Zes", LINDE, "G6-07"),
            pupil("P3", "Ada", "Anker", ANKER, "G5-08"),
            pupil("P4", "Bas", "Zeven", LINDE, "G7-07"),
        ]
        self.groups = [
            ClassGroup("G5-07", "Groep 5", LINDE, frozenset({"1003", "1006"})),
            ClassGroup("G6-07", "Groep 6", LINDE, frozenset({"1004"})),
            ClassGroup("G5-08", "Groep 5", ANKER, frozenset({"2001"})),
            # the teacher of group 5 teaches group 7 too: she opens both of her groups
            ClassGroup("G7-07", "Groep 7", LINDE, frozenset({"1003"})),
        ]

    def read(self) -> SourceBatch:
        return SourceBatch(
            self.name, self.kind, staff=list(self.staff), pupils=list(self.pupils),
            groups=list(self.groups),
            counts={"staff": len(self.staff), "pupils": len(self.pupils)},
        )  # fmt: skip


@dataclass
class DemoBoard:
    dc: SambaDC
    folder: Path
    config: Config
    sessions: sessionmaker[Session]
    source: StaticSis = field(default_factory=StaticSis)
    sams: dict[str, str] = field(default_factory=dict)

    def sync(self, config: Config | None = None) -> RunReport:
        config = config or self.config
        with ExitStack() as stack:
            targets = build_targets(config, dry_run=False, stack=stack)
            engine = Engine(config, self.sessions, [self.source], targets,
                            target_settings=target_settings(config))  # fmt: skip
            return engine.sync(SyncRequest(today=TODAY))

    def target(self) -> ADTarget:
        """One connector for the test's own look-ups (the syncs build their own)."""
        if not hasattr(self, "_target"):
            (target,) = build_targets(self.config, dry_run=False, stack=self.stack)
            assert isinstance(target, ADTarget)
            self._target = target
        return self._target

    @property
    def stack(self) -> ExitStack:
        if not hasattr(self, "_stack"):
            self._stack = ExitStack()
        return self._stack

    def outcomes(self, run_id: str) -> dict[str, tuple[str, str]]:
        with self.sessions() as session:
            rows = session.execute(select(SyncOutcome).where(SyncOutcome.run_id == run_id))
            return {r.object_key: (r.outcome, r.reason) for r in rows.scalars()}

    def sam(self, key: str) -> str:
        if key in self.sams:
            return self.sams[key]
        target = self.target()
        (account,) = target.find_accounts(key)
        conn = self.dc.admin_connection()
        conn.search(target.distinguished_name(account.remote_id), "(objectClass=*)", "BASE",
                    attributes=["sAMAccountName"])  # fmt: skip
        self.sams[key] = str(conn.entries[0].sAMAccountName)
        return self.sams[key]

    def smb(self, user: str, share: str, command: str, password: str = PASSWORD) -> str:
        """``ok``, or the NT_STATUS the server answered (login or the command)."""
        auth = self.folder / f"auth-{user}"
        auth.write_text(f"username = {user}\npassword = {password}\ndomain = {self.dc.domain}\n")
        auth.chmod(0o600)
        done = subprocess.run(
            ["smbclient", f"//{self.dc.host}/{share}", "-A", str(auth), "-m", "SMB3",
             "-c", command],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        output = done.stdout + done.stderr
        for word in output.split():
            if word.startswith("NT_STATUS_") and word != "NT_STATUS_OK":
                return word
        return ALLOWED if done.returncode == 0 else f"exit {done.returncode}"

    def ls(self, key_or_sam: str, share: str, path: str) -> str:
        user = self.sam(key_or_sam) if ":" in key_or_sam else key_or_sam
        return self.smb(user, share, f'ls "{path}\\*"' if path else "ls")


def board_config(dc: SambaDC, folder: Path, **ad: object) -> Config:
    secret = folder / "ad-password"
    secret.write_text(dc.service_password + "\n")
    secret.chmod(0o600)
    target = ADTargetConfig(
        type="ad",
        name="ad",
        host=dc.host,
        ca_file=dc.ca_file,
        tls_server_name=dc.host_name,
        base_dn=dc.base_dn,
        bind_user=dc.service_bind,
        bind_password_file=secret,
        file_shares=ADFileSharesConfig(
            server=dc.host,
            netbios_domain=dc.domain,
            user=dc.service_user,
            local=ADLocalSharesConfig(
                shares_file=dc.shares_conf, share_root=dc.share_root, smb_conf=dc.smb_conf
            ),
        ),
        **ad,  # type: ignore[arg-type]
    )
    return Config(
        board=BoardConfig(name="Stichting Demo", domain="example.nl"),
        locations=[
            LocationConfig(brin6=LINDE, name="OBS De Linde"),
            LocationConfig(brin6=ANKER, name="OBS Het Anker"),
        ],
        roles={
            "Locatieleider": Role.LOCATION_LEADER,
            "Intern begeleider": Role.CARE_COORDINATOR,
            "Leerkracht": Role.TEACHER,
            "Conciërge": Role.SUPPORT_STAFF,
        },
        sources=SourcesConfig(hr=HrCsvSourceConfig(type="hr-csv", path=Path("unused.csv"))),
        targets=[target],
        safety=SafetyConfig(thresholds={}),
    )


@pytest.fixture(scope="module")
def board(samba_dc: SambaDC, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBoard]:
    folder = tmp_path_factory.mktemp("ad-board")
    samba_dc.managed_ou("Provisioner")  # made and delegated by a domain admin, once
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    upgrade(engine)
    demo = DemoBoard(samba_dc, folder, board_config(samba_dc, folder), session_factory(engine))
    report = demo.sync()
    failures = [v[1] for v in demo.outcomes(report.run_id).values() if v[0] == "failed"]
    assert report.status == "applied", failures[:3]
    target = demo.target()
    for account in target.read().accounts:  # the ICT desk hands out first passwords
        if account.key:
            target.reset_password(account.remote_id, PASSWORD, must_change=False)
    yield demo
    demo.stack.close()
    conn = samba_dc.admin_connection()  # keyed accounts anywhere in the domain are managed
    conn.delete(f"OU=Provisioner,{samba_dc.base_dn}", controls=[TREE_DELETE])


# -- who reaches what -------------------------------------------------------------------------

G5, G6, G7 = "Groepen\\Groep 5", "Groepen\\Groep 6", "Groepen\\Groep 7"
ACCESS = [
    # a pupil of group 5: her own group, not group 6, no staff folder
    ("pupil:P1", LINDE, G5, ALLOWED),
    ("pupil:P1", LINDE, G6, DENIED),
    ("pupil:P1", LINDE, G7, DENIED),
    ("pupil:P1", LINDE, "Zorg", DENIED),
    ("pupil:P1", LINDE, "Leerkrachten", DENIED),
    ("pupil:P1", ANKER, "Groepen\\Groep 5", DENIED),
    # a teacher: her groups (5 and 7), the teachers' and team folders; not the care folder
    ("staff:1003", LINDE, G5, ALLOWED),
    ("staff:1003", LINDE, G7, ALLOWED),
    ("staff:1003", LINDE, "Leerkrachten", ALLOWED),
    ("staff:1003", LINDE, "Team", ALLOWED),
    ("staff:1003", LINDE, "Zorg", DENIED),
    ("staff:1003", LINDE, "Directie", DENIED),
    ("staff:1003", LINDE, G6, DENIED),
    # the teacher of group 6 opens group 6 only
    ("staff:1004", LINDE, G6, ALLOWED),
    ("staff:1004", LINDE, G5, DENIED),
    ("staff:1004", LINDE, G7, DENIED),
    # the care coordinator: the care folder and every group of her location, nothing elsewhere
    ("staff:1002", LINDE, "Zorg", ALLOWED),
    ("staff:1002", LINDE, G5, ALLOWED),
    ("staff:1002", LINDE, G6, ALLOWED),
    ("staff:1002", LINDE, "Leerkrachten", ALLOWED),
    ("staff:1002", LINDE, "Directie", DENIED),
    ("staff:1002", ANKER, "", DENIED),
    ("staff:1002", ANKER, "Zorg", DENIED),
    ("staff:1002", ANKER, "Groepen\\Groep 5", DENIED),
    # the location leader: everything of her location
    *[
        ("staff:1001", LINDE, path, ALLOWED)
        for path in ("", "Directie", "Zorg", "Leerkrachten", "Team", "Groepen", G5, G6, G7)
    ],
    ("staff:1001", ANKER, "Directie", DENIED),
    # a caretaker: the team folder only, no pupil folder
    ("staff:1005", LINDE, "Team", ALLOWED),
    ("staff:1005", LINDE, G5, DENIED),
    ("staff:1005", LINDE, G6, DENIED),
    ("staff:1005", LINDE, "Zorg", DENIED),
    ("staff:1005", LINDE, "Leerkrachten", DENIED),
    # the other location's care coordinator: her own location only
    ("staff:2002", ANKER, "Zorg", ALLOWED),
    ("staff:2002", ANKER, "Groepen\\Groep 5", ALLOWED),
    ("staff:2002", LINDE, "Zorg", DENIED),
]


@pytest.mark.parametrize(("who", "share", "path", "expected"), ACCESS)
def test_each_person_reaches_exactly_what_the_hierarchy_allows(
    board: DemoBoard, who: str, share: str, path: str, expected: str
) -> None:
    assert board.ls(who, share, path) == expected


def test_acls_are_inherited_below_a_folder(board: DemoBoard) -> None:
    teacher = board.sam("staff:1003")
    assert board.smb(teacher, LINDE, f'mkdir "{G5}\\Rekenen"') == ALLOWED
    assert board.ls("pupil:P1", LINDE, f"{G5}\\Rekenen") == ALLOWED
    assert board.ls("pupil:P2", LINDE, f"{G5}\\Rekenen") == DENIED
    assert board.ls("staff:1005", LINDE, f"{G5}\\Rekenen") == DENIED


def test_the_group_structure_is_agdlp(board: DemoBoard) -> None:
    """Accounts in global groups, global groups in domain-local groups, ACLs name only
    domain-local groups."""
    conn = board.dc.admin_connection()
    root = f"OU=Provisioner,{board.dc.base_dn}"
    conn.search(root, "(&(objectClass=group)(info=provisioner:group:class:G5-07))",
                attributes=["groupType", "member", "memberOf"])  # fmt: skip
    (global_group,) = conn.entries
    assert int(global_group.groupType.value) & 0x2  # global
    target = board.target()
    members = {"pupil:P1", "staff:1003", "staff:1006", "staff:1002", "staff:1001"}
    expected = {target.distinguished_name(target.find_accounts(k)[0].remote_id) for k in members}
    assert {dn.lower() for dn in global_group.member.values} == {dn.lower() for dn in expected}
    (dl_dn,) = [dn for dn in global_group.memberOf.values if "DL_" in dn and "Groep_5" in dn]
    conn.search(dl_dn, "(objectClass=*)", "BASE", attributes=["groupType", "objectSid"])
    assert int(conn.entries[0].groupType.value) & 0x4  # domain local
    acl = subprocess.run(
        ["smbcacls", f"//{board.dc.host}/{LINDE}", G5, "--sddl", "--numeric", "-A",
         str(_admin_auth(board))],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    dl_sid = str(conn.entries[0].objectSid.value)
    assert f";;;{dl_sid})" in acl
    global_sid_search = conn.search(
        root, "(&(objectClass=group)(info=provisioner:group:*))", attributes=["objectSid"]
    )
    assert global_sid_search
    assert not any(str(e.objectSid.value) in acl for e in conn.entries)


def _admin_auth(board: DemoBoard) -> Path:
    auth = board.folder / "auth-admin"
    auth.write_text(
        f"username = Administrator\npassword = {board.dc.admin_password}\n"
        f"domain = {board.dc.domain}\n"
    )
    auth.chmod(0o600)
    return auth


# -- drift ------------------------------------------------------------------------------------


def _hand_made_user(board: DemoBoard) -> tuple[str, str]:
    """An account made by hand in CN=Users (not managed): its DN and GUID."""
    conn = board.dc.admin_connection()
    dn = f"CN=Hand Made,CN=Users,{board.dc.base_dn}"
    conn.raise_exceptions = False
    conn.add(dn, ["top", "person", "organizationalPerson", "user"], {"sAMAccountName": "handmade"})
    conn.raise_exceptions = True
    conn.modify(dn, {"unicodePwd": [(MODIFY_REPLACE, [f'"{PASSWORD}"'.encode("utf-16-le")])]})
    conn.modify(dn, {"userAccountControl": [(MODIFY_REPLACE, [0x200])]})
    conn.search(dn, "(objectClass=*)", "BASE", attributes=["objectGUID"])
    return dn, str(conn.entries[0].objectGUID.value).strip("{}")


def runs_show(board: DemoBoard, run_id: str) -> str:
    """``provisioner runs show RUN_ID`` as an admin runs it (a real process), on the board's
    store (named in the environment; no configuration file needed to read runs)."""
    done = subprocess.run(
        [sys.executable, "-m", "provisioner", "runs", "show", run_id,
         "-c", str(board.folder / "absent.toml")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PROVISIONER_DATABASE_URL": f"sqlite:///{board.folder / 'store.db'}",
             "COLUMNS": "100"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def drift_lines(shown: str) -> list[str]:
    """The lines of the "Drift found and repaired" section."""
    lines = shown.splitlines()
    heading = [i for i, line in enumerate(lines) if line.startswith("Drift found and repaired")]
    if not heading:
        return []
    return [line for line in lines[heading[0] + 1 :] if line.startswith("  - ")]


def _members(board: DemoBoard, marker: str) -> list[str]:
    conn = board.dc.admin_connection()
    conn.search(board.dc.base_dn, f"(info={marker})", attributes=["member"])
    (entry,) = conn.entries
    return [str(dn) for dn in entry.member.values]


def _group_dn(board: DemoBoard, marker: str) -> str:
    conn = board.dc.admin_connection()
    conn.search(board.dc.base_dn, f"(info={marker})", attributes=["cn"])
    (entry,) = conn.entries
    return str(entry.entry_dn)


def test_a_member_added_by_hand_is_removed_and_reported(board: DemoBoard) -> None:
    user_dn, guid = _hand_made_user(board)
    group = _group_dn(board, "provisioner:group:class:G5-07")
    board.dc.admin_connection().modify(group, {"member": [(MODIFY_ADD, [user_dn])]})
    assert board.ls("handmade", LINDE, G5) == ALLOWED  # the drift is real

    report = board.sync()
    assert report.status == "applied", report.as_json()
    assert report.counts.get("remove_member") == 1
    outcome, reason = board.outcomes(report.run_id)[f"remote:{guid}"]
    assert outcome == "updated" and "drift" in reason
    assert board.ls("handmade", LINDE, G5) == DENIED

    shown = runs_show(board, report.run_id)
    assert drift_lines(shown) == [
        f"  - ad remote:{guid}: member added by hand, removed from group class:G5-07 "
        "(not added by the provisioner (drift): removed)"
    ], shown
    assert "Hand Made" not in shown and "handmade" not in shown  # keys only, no names
    again = board.sync()
    assert again.total == 0  # repaired: nothing left to do
    shown = runs_show(board, again.run_id)
    assert "Drift found" not in shown and drift_lines(shown) == []


def test_groups_that_are_not_authoritative_keep_hand_added_members(board: DemoBoard) -> None:
    user_dn, _ = _hand_made_user(board)
    group = _group_dn(board, f"provisioner:group:loc:{LINDE}:staff")
    board.dc.admin_connection().modify(group, {"member": [(MODIFY_ADD, [user_dn])]})
    lenient = board_config(board.dc, board.folder, authoritative_groups=["class:*", "loc:*:care"])
    assert board.sync(lenient).counts.get("remove_member") is None
    assert board.ls("handmade", LINDE, "Team") == ALLOWED
    report = board.sync()  # the default: every managed group is authoritative
    assert report.counts.get("remove_member") == 1
    assert board.ls("handmade", LINDE, "Team") == DENIED


def test_a_group_nested_by_hand_and_a_changed_acl_are_repaired(board: DemoBoard) -> None:
    care_dl = _group_dn(board, f"provisioner:folder:loc:{LINDE}:care")
    teachers = _group_dn(board, f"provisioner:group:loc:{LINDE}:teachers")
    board.dc.admin_connection().modify(care_dl, {"member": [(MODIFY_ADD, [teachers])]})
    subprocess.run(
        ["smbcacls", f"//{board.dc.host}/{LINDE}", "Leerkrachten", "-A", str(_admin_auth(board)),
         "--add", f"ACL:{board.dc.domain}\\Domain Users:ALLOWED/OI|CI/READ"],
        check=True, capture_output=True,
    )  # fmt: skip
    assert board.ls("staff:1003", LINDE, "Zorg") == ALLOWED  # drift: a teacher in the care folder
    assert board.ls("staff:1005", LINDE, "Leerkrachten") == ALLOWED  # and a caretaker here

    report = board.sync()
    assert report.status == "applied", report.as_json()
    assert report.counts.get("revoke_library") == 1
    assert report.counts.get("grant_library") == 1
    outcomes = board.outcomes(report.run_id)
    assert "drift" in outcomes[f"loc:{LINDE}:care"][1]
    assert "drift" in outcomes[f"loc:{LINDE}:teachers"][1]  # the ACL set back
    lines = drift_lines(runs_show(board, report.run_id))
    assert len(lines) == 2, lines
    (nested,) = [line for line in lines if f"ad loc:{LINDE}:care:" in line]
    assert "taken away" in nested and "(drift)" in nested
    (acl,) = [line for line in lines if f"ad loc:{LINDE}:teachers:" in line]
    assert f"set again for group loc:{LINDE}:teachers" in acl and "(drift)" in acl
    assert board.ls("staff:1003", LINDE, "Zorg") == DENIED
    assert board.ls("staff:1005", LINDE, "Leerkrachten") == DENIED
    assert board.ls("staff:1003", LINDE, "Leerkrachten") == ALLOWED


def test_a_missing_folder_is_made_again_and_content_is_never_deleted(board: DemoBoard) -> None:
    """A folder deleted by hand comes back; a class that ends keeps its folder and its files,
    and its group loses every member, so nobody opens the folder any more."""
    admin = _admin_auth(board)
    subprocess.run(["smbclient", f"//{board.dc.host}/{LINDE}", "-A", str(admin), "-c",
                    'rmdir "Team"'], check=True, capture_output=True)  # fmt: skip
    teacher = board.sam("staff:1003")
    assert board.smb(teacher, LINDE, f'mkdir "{G7}\\Toetsen"') == ALLOWED
    work = board.folder / "toets.txt"
    work.write_text("rekenen")
    put = f'put "{work}" "{G7}\\Toetsen\\toets.txt"'
    assert board.smb(teacher, LINDE, put) == ALLOWED
    folder = board.dc.share_root / LINDE / "Groepen" / "Groep 7"
    assert (folder / "Toetsen" / "toets.txt").read_text() == "rekenen"
    assert len(_members(board, "provisioner:group:class:G7-07")) == 4  # P4, 1003, 1002, 1001

    # group 7 ends: its pupil moves to group 6, its teacher keeps group 5
    board.source.groups = [g for g in board.source.groups if g.group_id != "G7-07"]
    board.source.pupils = [
        p if p.sis_id != "P4" else pupil("P4", "Bas", "Zeven", LINDE, "G6-07")
        for p in board.source.pupils
    ]
    report = board.sync()
    assert report.status == "applied", report.as_json()
    assert report.counts.get("grant_library") == 1, report.as_json()  # Team, made again
    assert report.counts.get("remove_member", 0) >= 4, report.as_json()
    assert board.ls("staff:1005", LINDE, "Team") == ALLOWED

    assert _members(board, "provisioner:group:class:G7-07") == []
    assert (folder / "Toetsen" / "toets.txt").read_text() == "rekenen"  # nothing deleted
    assert board.smb("Administrator", LINDE, f'get "{G7}\\Toetsen\\toets.txt" /dev/null',
                     password=board.dc.admin_password) == ALLOWED  # fmt: skip
    assert board.ls("staff:1003", LINDE, G7) == DENIED  # the group lost its members
    assert board.ls("pupil:P4", LINDE, G7) == DENIED
    assert board.ls("pupil:P4", LINDE, G6) == ALLOWED
    assert board.ls("staff:1003", LINDE, G5) == ALLOWED
    assert board.sync().total == 0  # and the next run leaves the folder alone


def test_names_with_escaping_hazards_go_through_the_engine_into_ad(board: DemoBoard) -> None:
    """Family names "Smit, Jr." and ``*)(cn=*`` through naming, the planner and the connector:
    the account holds the name as given, and the person logs in to her location's share."""
    conn = board.dc.admin_connection()
    target = board.target()
    for key, family in (("staff:2003", "Smit, Jr."), ("staff:2004", "*)(cn=*")):
        (account,) = target.find_accounts(key)
        conn.search(target.distinguished_name(account.remote_id), "(objectClass=*)", "BASE",
                    attributes=["sn", "cn", "sAMAccountName"])  # fmt: skip
        entry = conn.entries[0]
        assert str(entry.sn) == family
        assert str(entry.cn).endswith(family)
        assert str(entry.sAMAccountName).isascii()
        assert board.ls(key, ANKER, "Team") == ALLOWED
        assert board.ls(key, ANKER, "Zorg") == DENIED
    assert board.sync().total == 0  # read back, the names match: nothing to change


def test_a_disabled_leaver_cannot_log_in_at_all(board: DemoBoard) -> None:
    leaver = board.sam("staff:1006")
    assert board.smb(leaver, LINDE, "ls") == ALLOWED
    board.source.staff = [
        s if s.employee_number != "1006" else
        StaffMember(s.employee_number, s.name,
                    (Employment(LINDE, "Leerkracht", START, TODAY - timedelta(days=1)),))
        for s in board.source.staff
    ]  # fmt: skip
    report = board.sync()
    assert report.counts.get("disable_account") == 1, report.as_json()
    target = board.target()
    (account,) = target.find_accounts("staff:1006")
    conn = board.dc.admin_connection()
    conn.search(target.distinguished_name(account.remote_id), "(objectClass=*)", "BASE",
                attributes=["userAccountControl"])  # fmt: skip
    assert int(conn.entries[0].userAccountControl.value) & 0x2  # ACCOUNTDISABLE
    assert board.smb(leaver, LINDE, "ls") in (
        "NT_STATUS_ACCOUNT_DISABLED",
        "NT_STATUS_LOGON_FAILURE",
    )
    assert board.smb(leaver, "netlogon", "ls") != ALLOWED
