"""AD writes whose answer is lost are verified, never sent again (issue 12, item 1).

Against the real Samba DC of :mod:`tests.samba_dc`. The fault hook is :class:`LosingConnection`,
put in place of ldap3's ``Connection`` in :mod:`connectors.ad.client`: it sends each request
to Samba as usual and, for the writes a test chose, **Samba applies the write** and then the
client loses the answer as a network loses it: the connection is closed under ldap3 and the
error ldap3 raises for it comes back (the DC ended the session, a reset while receiving, a
receive timeout). The transport must not send such a write again: ``OutcomeUnknown``, then
the executor (or, inside ``create_account``, the target) verifies by the object's key.
A connect failure (nothing sent) is still retried.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pytest
from ldap3 import MODIFY_REPLACE, Connection
from ldap3.core import exceptions as ldap_errors
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import connectors.ad.client
from connectors.ad.client import ADClient, LdapSettings, first
from connectors.ad.target import ADTarget
from provisioner.errors import OutcomeUnknown
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.store.tables import AuditEvent, JournalEntry
from provisioner.targets import AccountSpec, GroupSpec, RemoteAccount
from tests import sis_staff_world
from tests.conformance import TODAY, StaticHr, board_config, teacher

if TYPE_CHECKING:
    from provisioner.domain.models import StaffMember
    from tests.samba_dc import SambaDC

pytest_plugins = ["tests.samba_dc"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:ssl.match_hostname:DeprecationWarning"),
]

OU = "LostAnswers"
Fault = Literal["terminated", "reset", "timeout"]


@dataclasses.dataclass
class Faults:
    """Which writes lose their answer: ``(op, attribute)`` (attribute: of a modify; None:
    any), every matching call; ``sent``: each write sent, as (op, dn, its changes)."""

    lose: set[tuple[str, str | None]] = dataclasses.field(default_factory=set)
    fault: Fault = "terminated"
    sent: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    lost: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    refuse_connects: int = 0
    connects: int = 0

    def matches(self, op: str, attributes: list[str]) -> bool:
        return (op, None) in self.lose or any((op, a) in self.lose for a in attributes)

    def sent_twice(self) -> list[tuple[str, str, str]]:
        """Lost writes sent more than once: what must never happen."""
        return [write for write in set(self.lost) if self.sent.count(write) > 1]


class LosingConnection(Connection):
    """ldap3's connection with the fault hook of the module docstring."""

    faults: ClassVar[Faults] = Faults()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        real_open = self.open  # ldap3 sets the strategy's open on each connection

        def refusing_open(*args: Any, **kwargs: Any) -> Any:
            faults = LosingConnection.faults
            faults.connects += 1
            if faults.refuse_connects > 0:
                faults.refuse_connects -= 1
                raise ldap_errors.LDAPSocketOpenError("socket connection error: refused")
            return real_open(*args, **kwargs)

        setattr(self, "open", refusing_open)  # noqa: B010

    def add(self, *args: Any, **kwargs: Any) -> Any:
        attributes = kwargs.get("attributes") or (args[2] if len(args) > 2 else {})
        names = sorted(attributes or {})
        return self._lossy("add", names, repr(names), args, kwargs)

    def modify(self, *args: Any, **kwargs: Any) -> Any:
        changes = kwargs.get("changes") or args[1]
        return self._lossy("modify", sorted(changes), repr(changes), args, kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._lossy("delete", [], "", args, kwargs)

    def modify_dn(self, *args: Any, **kwargs: Any) -> Any:
        change = repr((args[1:], sorted(kwargs.items())))
        return self._lossy("modify_dn", [], change, args, kwargs)

    def _lossy(
        self, op: str, names: list[str], change: str, args: Any, kwargs: dict[str, Any]
    ) -> Any:
        faults = LosingConnection.faults
        write = (op, str(args[0]).lower(), change)
        faults.sent.append(write)
        send: Any = getattr(Connection, op)
        result = send(self, *args, **kwargs)  # an error answer did come back: not lost
        if not faults.matches(op, [n.lower() for n in names]):
            return result
        faults.lost.append(write)
        self.strategy.close()  # the connection is gone
        if faults.fault == "timeout":
            raise ldap_errors.LDAPSocketReceiveError("error receiving data: timed out")
        if faults.fault == "reset":
            raise ldap_errors.LDAPSocketReceiveError(
                "error receiving data: [Errno 104] Connection reset by peer"
            )
        raise ldap_errors.LDAPSessionTerminatedByServerError("session terminated by server")


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    made = Faults()
    monkeypatch.setattr(LosingConnection, "faults", made)
    monkeypatch.setattr(connectors.ad.client, "Connection", LosingConnection)
    return made


def make_target(dc: SambaDC) -> ADTarget:
    settings = LdapSettings(
        host=dc.host, port=636, bind_user=dc.service_bind, bind_password=dc.service_password,
        ca_file=dc.ca_file, server_name=dc.host_name, page_size=50, max_wait=5,
    )  # fmt: skip
    client = ADClient(settings)
    client._retry.sleep = lambda _: None  # connect retries: no waiting in tests
    return ADTarget("ad", client, base_dn=dc.base_dn, domain="example.nl", managed_ou=OU)


@dataclasses.dataclass
class World:
    dc: SambaDC
    sessions: sessionmaker[Session]
    faults: Faults

    def target(self) -> ADTarget:
        return make_target(self.dc)

    def sync(self, staff: list[StaffMember], today: date = TODAY) -> RunReport:
        target = self.target()
        try:
            engine = Engine(board_config(), self.sessions, [StaticHr(staff)], [target])
            return engine.sync(SyncRequest(today=today))
        finally:
            target.close()

    def audit(self, report: RunReport) -> list[tuple[str, str]]:
        with self.sessions() as session:
            rows = session.execute(
                select(AuditEvent.action, AuditEvent.reason).where(
                    AuditEvent.run_id == report.run_id
                )
            ).all()
        return [(str(action), str(reason)) for action, reason in rows]

    def statuses(self, report: RunReport) -> set[str]:
        with self.sessions() as session:
            return set(
                session.execute(
                    select(JournalEntry.status).where(JournalEntry.run_id == report.run_id)
                ).scalars()
            )


@pytest.fixture
def world(samba_dc: SambaDC, faults: Faults, tmp_path: Path) -> Iterator[World]:
    samba_dc.managed_ou(OU)
    yield World(samba_dc, sis_staff_world.store(tmp_path), faults)
    samba_dc.managed_ou(OU)


#: the writes that lose their answer, by what they are in the directory
LOSSES: dict[str, set[tuple[str, str | None]]] = {
    "add (accounts, groups, OUs)": {("add", None)},
    "membership changes": {("modify", "member")},
    "enable and disable": {("modify", "useraccountcontrol")},
    "first password": {("modify", "unicodepwd"), ("modify", "pwdlastset")},
    "name changes": {("modify", "displayname")},
    "rename (modify DN)": {("modify_dn", None)},
    "delete": {("delete", None)},
}


@pytest.mark.parametrize("fault", ["terminated", "reset", "timeout"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_a_lost_answer_is_verified_and_never_sent_again(
    world: World, loss: str, fault: Fault
) -> None:
    """A teacher joins, is renamed, leaves and is deleted a month later; each write of the
    kind ``loss`` is applied by Samba and its answer lost. Every run ends applied, no lost
    write is sent twice, and the directory ends as without the fault."""
    world.faults.lose = LOSSES[loss]
    world.faults.fault = fault
    number = "6101"
    lotte = teacher(number, "Lotte", "", "Visser")
    renamed = teacher(number, "Lotte", "", "Visser-de Boer")
    leaver = teacher(number, "Lotte", "", "Visser-de Boer", end=TODAY - timedelta(days=1))
    checks: list[tuple[StaffMember, date, Callable[[RemoteAccount], bool]]] = [
        (lotte, TODAY, lambda a: a.enabled and a.display_name == "Lotte Visser"),
        (renamed, TODAY, lambda a: a.display_name == "Lotte Visser-de Boer"),
        (leaver, TODAY, lambda a: not a.enabled),
    ]
    lost = 0
    for staff, today, check in checks:
        world.faults.sent.clear()
        world.faults.lost.clear()
        report = world.sync([staff], today)
        assert report.status == "applied", report.as_json()
        assert world.statuses(report) == {"applied"}
        assert world.faults.sent_twice() == [], "a write whose answer was lost was sent again"
        lost += len(world.faults.lost)
        (account,) = world.target().find_accounts(f"staff:{number}")
        assert check(account), account
        assert world.sync([staff], today).total == 0  # nothing left to do, nothing doubled
    world.faults.sent.clear()
    world.faults.lost.clear()
    report = world.sync([leaver], TODAY + timedelta(days=31))
    assert report.status == "applied", report.as_json()
    assert world.faults.sent_twice() == []
    lost += len(world.faults.lost)
    assert lost > 0, "the fault never struck"
    assert world.target().find_accounts(f"staff:{number}") == []


def test_a_repeated_membership_change_is_not_sent(world: World) -> None:
    """The transport itself: a member add whose answer was lost raises OutcomeUnknown after
    one send; the member is there (Samba applied it)."""
    target = world.target()
    group = target.create_group(GroupSpec("class:lost-1a", "Klas 1A", "lost answers"))
    spec = AccountSpec(
        "staff:6102", "piet.bos", "Piet Bos", "Piet", "Bos", True, {"role": "teacher"}
    )
    account = target.create_account(spec)
    world.faults.lose = {("modify", "member")}
    world.faults.sent.clear()
    with pytest.raises(OutcomeUnknown, match="not sent again"):
        target.add_members(group, [account])
    assert [w[0] for w in world.faults.sent] == ["modify"]
    world.faults.lose = set()
    (found,) = target.find_groups("class:lost-1a")
    assert found.members == frozenset({account})
    target.close()


def test_a_lost_add_inside_create_account_is_found_by_its_key(world: World) -> None:
    """The target settles a lost add of the account itself: found by its key, the create
    goes on (password, enabled) and returns the account's id; sent once."""
    target = world.target()
    world.faults.lose = {("add", None)}
    spec = AccountSpec(
        "staff:6103", "eva.smit", "Eva Smit", "Eva", "Smit", True, {"role": "teacher"}
    )
    remote_id = target.create_account(spec)
    world.faults.lose = set()
    (account,) = target.find_accounts("staff:6103")
    assert account.remote_id == remote_id and account.enabled
    entry = target.client.read_entry(target.distinguished_name(remote_id), ["pwdLastSet"])
    assert entry["pwdlastset"] == ["0"]  # must change the unknown password
    adds = [w for w in world.faults.sent if w[0] == "add" and "eva smit" in w[1]]
    assert len(adds) == 1
    target.close()


def test_a_connect_failure_is_retried(world: World) -> None:
    """Nothing was sent: the one retry policy tries again, and the write is done once."""
    target = world.target()
    group = target.create_group(GroupSpec("class:lost-2b", "Klas 2B", "lost answers"))
    dn = target.distinguished_name(group)
    target.close()
    world.faults.refuse_connects = 2
    world.faults.sent.clear()
    connects = world.faults.connects
    target.client.modify("update_group", dn, {"description": [(MODIFY_REPLACE, ["again"])]})
    assert world.faults.connects == connects + 3
    assert [w[0] for w in world.faults.sent] == ["modify"]
    assert first(target.client.read_entry(dn, ["description"]), "description") == "again"
    target.close()
