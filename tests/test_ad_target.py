"""The AD connector against a real Samba AD DC: conformance, escaping, TLS, paging."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ldap3 import MODIFY_REPLACE, SIMPLE, Connection, Server, Tls
from ldap3.core.exceptions import (
    LDAPInsufficientAccessRightsResult,
    LDAPStrongerAuthRequiredResult,
)

from connectors.ad import layout
from connectors.ad.client import ADClient, LdapSettings, values
from connectors.ad.share_target import ADShareTarget, ShareOptions
from connectors.ad.shares import FileShares, LocalShares, SmbSettings
from connectors.ad.target import ADTarget
from provisioner.errors import AlreadyExistsError, FatalError
from provisioner.targets import AccountSpec, Target
from tests.conformance import SCHOOL, TargetConformance, World, teacher

if TYPE_CHECKING:
    from tests.samba_dc import SambaDC

pytest_plugins = ["tests.samba_dc"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:ssl.match_hostname:DeprecationWarning"),
]

CONFORMANCE_OU = "Conformance"


def make_client(dc: SambaDC, *, dry_run: bool = False, **settings: object) -> ADClient:
    values: dict[str, object] = {
        "host": dc.host,
        "port": 636,
        "bind_user": dc.service_bind,
        "bind_password": dc.service_password,
        "ca_file": dc.ca_file,
        "server_name": dc.host_name,
        **settings,
    }
    return ADClient(LdapSettings(**values), dry_run=dry_run)  # type: ignore[arg-type]


def make_target(dc: SambaDC, managed_ou: str, *, dry_run: bool = False) -> ADTarget:
    return ADTarget(
        "ad",
        make_client(dc, dry_run=dry_run, page_size=3),  # tiny pages: every read pages
        base_dn=dc.base_dn,
        domain="example.nl",
        managed_ou=managed_ou,
    )


def wipe(dc: SambaDC, managed_ou: str) -> None:
    """Empty the managed OU (tree delete of its content, as admin); the OU itself stays,
    delegated to the service account (the connector may not make it at the domain root)."""
    dc.managed_ou(managed_ou)


class TestADConformance(TargetConformance):
    """The shared suite, through the real engine, against Samba (accounts and groups)."""

    @pytest.fixture(autouse=True)
    def _domain(self, samba_dc: SambaDC) -> Iterator[None]:
        self.dc = samba_dc
        self.opened: list[ADTarget] = []
        wipe(samba_dc, CONFORMANCE_OU)
        yield
        for target in self.opened:
            target.close()
        wipe(samba_dc, CONFORMANCE_OU)  # keyed accounts anywhere in the domain are managed

    def make_target(self, path: Path, dry_run: bool) -> Target:
        target = make_target(self.dc, CONFORMANCE_OU, dry_run=dry_run)
        self.opened.append(target)
        return target


class TestADConformanceWithShares(TestADConformance):
    """The same suite with the file shares on: every sync also makes the location's share,
    its folders, their DL groups and ACLs (the planner's site and library verbs)."""

    def make_target(self, path: Path, dry_run: bool) -> Target:
        dc = self.dc
        shares = FileShares(
            SmbSettings(
                dc.host, dc.domain, dc.service_user, dc.service_password,
                LocalShares(dc.shares_conf, dc.share_root, dc.smb_conf),
            ),
            dry_run=dry_run,
        )  # fmt: skip
        target = ADShareTarget(
            "ad", make_client(dc, dry_run=dry_run, page_size=3), base_dn=dc.base_dn,
            domain="example.nl", managed_ou=CONFORMANCE_OU, shares=shares,
            share_options=ShareOptions(share_template="C{brin6}"),
        )  # fmt: skip
        self.opened.append(target)
        return target

    def test_the_location_share_and_folders_exist(self, world: World) -> None:
        report = world.sync([teacher("5101", "Anne", "", "Bakker")])
        assert report.status == "applied", report.as_json()
        snapshot = world.target().read()
        assert [site.key for site in snapshot.sites] == [f"site:{SCHOOL}"]
        assert sorted(library.key for library in snapshot.libraries) == sorted(
            f"loc:{SCHOOL}:{level}" for level in ("management", "care", "teachers", "staff")
        )
        assert all(library.grants for library in snapshot.libraries)
        assert world.sync([teacher("5101", "Anne", "", "Bakker")]).total == 0


HAZARDS = [
    ("Seán", "O'Brien"),
    ("Anne-Fleur", "van 't Hek"),
    ("Jan", "Smit, Jr."),
    ("Ömer", "Çelik"),
    ("*)(cn=*", "*)(cn=*"),
    (' #Eva+"Lu"', "<de> Wit; \\Smit, Jr. O'Brien-Çelik *)(cn=*"),
]


@pytest.fixture
def hazard_target(samba_dc: SambaDC) -> Iterator[ADTarget]:
    wipe(samba_dc, "Hazards")
    target = make_target(samba_dc, "Hazards")
    yield target
    target.close()
    wipe(samba_dc, "Hazards")


@pytest.mark.parametrize(("given", "family"), HAZARDS)
def test_names_with_every_escaping_hazard_round_trip(
    hazard_target: ADTarget, given: str, family: str
) -> None:
    target = hazard_target
    display = f"{given} {family}"
    # a namesake that a broken filter would also match
    target.create_account(AccountSpec("staff:8000", "other.person", "Other Person", "O", "P", True))
    spec = AccountSpec(
        "staff:8001", "hazard", display, given, family, True, {"locations": "07XY00"}
    )
    remote_id = target.create_account(spec)

    (found,) = target.find_accounts("staff:8001")
    assert (found.remote_id, found.display_name, found.given_name, found.family_name) == (
        remote_id, display, given, family,
    )  # fmt: skip
    assert [a.remote_id for a in target.find_by_name(display)] == [remote_id]
    assert target.find_by_name("*") == []  # a literal star matches nobody
    assert target.distinguished_name(remote_id).endswith(
        "OU=Staff,OU=07XY00,OU=Hazards,DC=school,DC=test"
    )

    changed = AccountSpec(
        "staff:8001", "hazard", f"{display} II", given, f"{family} II", True,
        {"locations": "07XY01"},
    )  # fmt: skip
    target.update_account(remote_id, changed)
    (found,) = target.find_accounts("staff:8001")
    assert (found.display_name, found.family_name) == (f"{display} II", f"{family} II")
    assert [a.remote_id for a in target.find_by_name(f"{display} II")] == [remote_id]
    assert ",OU=07XY01," in target.distinguished_name(remote_id)  # moved with its location

    target.set_enabled(remote_id, False)
    (found,) = target.find_accounts("staff:8001")
    assert not found.enabled
    (read,) = [a for a in target.read().accounts if a.key == "staff:8001"]
    assert (read.remote_id, read.display_name, read.enabled) == (remote_id, f"{display} II", False)


def test_sam_account_names_are_short_and_unique(hazard_target: ADTarget, samba_dc: SambaDC) -> None:
    target = hazard_target
    first_id = target.create_account(
        AccountSpec("staff:8101", "anne-fleur.vanthek-bakker", "A B", "A", "B", True)
    )
    second_id = target.create_account(
        AccountSpec("staff:8102", "anne-fleur.vanthek-bakkers", "A C", "A", "C", True)
    )
    conn = samba_dc.admin_connection()
    names = []
    for remote_id in (first_id, second_id):
        conn.search(target.distinguished_name(remote_id), "(objectClass=*)", "BASE",
                    attributes=["sAMAccountName", "userPrincipalName"])  # fmt: skip
        entry = conn.entries[0]
        names.append(str(entry.sAMAccountName))
        assert str(entry.userPrincipalName).startswith("anne-fleur.vanthek-bakker")
    assert names == ["anne-fleur.vanthek-b", "anne-fleur.vanthek2"]
    assert all(len(name) <= 20 for name in names)
    with pytest.raises(AlreadyExistsError):  # the same UPN twice
        target.create_account(
            AccountSpec("staff:8103", "anne-fleur.vanthek-bakker", "A D", "A", "D", True)
        )


def test_a_new_account_must_change_its_unknown_password(
    hazard_target: ADTarget, samba_dc: SambaDC
) -> None:
    remote_id = hazard_target.create_account(
        AccountSpec("staff:8201", "new.person", "New Person", "New", "Person", True)
    )
    conn = samba_dc.admin_connection()
    conn.search(hazard_target.distinguished_name(remote_id), "(objectClass=*)", "BASE",
                attributes=["pwdLastSet", "userAccountControl"])  # fmt: skip
    entry = conn.entries[0]
    assert entry.pwdLastSet.raw_values == [b"0"]  # must change at first logon
    assert int(entry.userAccountControl.value) == 0x200  # enabled, a password is required


def test_plain_simple_bind_is_refused_by_the_server(samba_dc: SambaDC) -> None:
    conn = Connection(
        Server(samba_dc.host, port=389), user=samba_dc.service_bind,
        password=samba_dc.service_password, authentication=SIMPLE, raise_exceptions=True,
    )  # fmt: skip
    with pytest.raises(LDAPStrongerAuthRequiredResult):
        conn.bind()
    conn.unbind()


def test_an_untrusted_certificate_stops_the_target(samba_dc: SambaDC) -> None:
    client = make_client(samba_dc, ca_file=None, max_attempts=1)  # the system store lacks it
    with pytest.raises(FatalError, match="certificate"):
        client.search(samba_dc.base_dn, "(objectClass=domain)", ["dc"])
    wrong_name = make_client(samba_dc, server_name="other.school.test", max_attempts=1)
    with pytest.raises(FatalError):
        wrong_name.search(samba_dc.base_dn, "(objectClass=domain)", ["dc"])


def test_start_tls_with_validation_works(samba_dc: SambaDC) -> None:
    client = make_client(samba_dc, port=389, start_tls=True)
    assert client.search(samba_dc.base_dn, "(objectClass=domain)", ["dc"])
    assert client.connection().tls_started
    client.close()


def test_paged_search_returns_every_entry(samba_dc: SambaDC) -> None:
    users = f"CN=Users,{samba_dc.base_dn}"
    whole = make_client(samba_dc, page_size=1000).search(users, "(objectClass=user)", ["cn"])
    paged = make_client(samba_dc, page_size=2).search(users, "(objectClass=user)", ["cn"])
    assert len(whole) >= 4  # Administrator, Guest, krbtgt, the service account
    assert sorted(e["dn"] for e in paged) == sorted(e["dn"] for e in whole)


def test_tls_context_validates(samba_dc: SambaDC) -> None:
    tls: Tls = make_client(samba_dc)._tls()
    assert tls.validate == ssl.CERT_REQUIRED


def test_ranged_member_values_are_followed_to_the_end(samba_dc: SambaDC) -> None:
    """AD answers a group with more than MaxValRange (1,500) members in ranges; Samba only
    answers ranges that are asked for, so the test asks for ranges of 3 and proves that ldap3's
    auto_range follows them inside the connector's paged search (tests/test_ad_ranges.py has
    the many-range case on a fake AD)."""
    ou = samba_dc.managed_ou("Ranges", delegate=False)  # made by hand: the account only reads
    conn = samba_dc.admin_connection()
    sizes = {"GG_seven": 7, "GG_three": 3, "GG_one": 1, "GG_five": 5}
    contacts = [f"CN=contact{i},{ou}" for i in range(max(sizes.values()))]
    for dn in contacts:
        conn.add(dn, ["top", "person", "organizationalPerson", "contact"])
    for name, size in sizes.items():
        conn.add(f"CN={name},{ou}", ["top", "group"], {"sAMAccountName": name,
                                                       "member": contacts[:size]})  # fmt: skip
    conn.auto_range = conn.empty_attributes = False  # the raw answer (ldap3 trips otherwise)
    conn.search(f"CN=GG_seven,{ou}", "(objectClass=*)", "BASE", attributes=["member;range=0-2"])
    assert conn.response is not None
    assert list(conn.response[0]["raw_attributes"]) == ["member;range=0-2"]  # a real range
    conn.unbind()
    try:
        client = make_client(samba_dc, page_size=2)
        found = client.search(ou, "(objectClass=group)", ["member;range=0-2"])
        got = {e["dn"].split(",")[0][3:]: sorted(values(e, "member")) for e in found}
        assert got == {name: sorted(contacts[:size]) for name, size in sizes.items()}
        client.close()
    finally:
        samba_dc.managed_ou("Ranges", delegate=False)


def test_the_service_account_is_delegated_not_privileged(samba_dc: SambaDC, tmp_path: Path) -> None:
    """The tests connect as a delegated account (docs/ad.md), not a Domain Admin: it is in no
    privileged group, may create users only in a managed OU, and may not write anything
    outside one, nor on the DC's sysvol share."""
    dc = samba_dc
    service_dn = f"CN={dc.service_user},CN=Users,{dc.base_dn}"
    admin = dc.admin_connection()
    admin.search(service_dn, "(objectClass=*)", "BASE", attributes=["tokenGroups", "memberOf"])
    (entry,) = admin.entries
    groups = {layout.sid_text(sid) for sid in entry.tokenGroups.raw_values}
    domain_sid = dc.service_sid.rsplit("-", 1)[0]
    assert f"{domain_sid}-513" in groups  # Domain Users: the token was read
    domain_admins = {f"{domain_sid}-{rid}" for rid in (512, 518, 519, 520)}
    builtin = {f"S-1-5-32-{rid}" for rid in (544, 548, 549, 550, 551)}  # admins, operators
    privileged = domain_admins | builtin
    assert not groups & privileged
    assert not entry.memberOf.values
    admin.search(f"CN=Domain Admins,CN=Users,{dc.base_dn}", "(objectClass=*)", "BASE",
                 attributes=["member"])  # fmt: skip
    assert service_dn.lower() not in {str(dn).lower() for dn in admin.entries[0].member.values}
    admin.unbind()

    managed = dc.managed_ou("Delegation")
    user = ["top", "person", "organizationalPerson", "user"]
    conn = dc.service_connection()
    try:
        with pytest.raises(LDAPInsufficientAccessRightsResult):  # outside the managed OU
            conn.add(f"CN=Not Here,CN=Users,{dc.base_dn}", user, {"sAMAccountName": "nothere"})
        with pytest.raises(LDAPInsufficientAccessRightsResult):  # no OU at the domain root
            conn.add(f"OU=Elsewhere,{dc.base_dn}", ["top", "organizationalUnit"])
        administrator = f"CN=Administrator,CN=Users,{dc.base_dn}"
        with pytest.raises(LDAPInsufficientAccessRightsResult):
            conn.modify(administrator, {"description": [(MODIFY_REPLACE, ["changed"])]})
        password = '"Taken-0ver!x"'.encode("utf-16-le")
        with pytest.raises(LDAPInsufficientAccessRightsResult):
            conn.modify(administrator, {"unicodePwd": [(MODIFY_REPLACE, [password])]})
        with pytest.raises(LDAPInsufficientAccessRightsResult):  # its own rights stay as given
            conn.modify(managed, {"description": [(MODIFY_REPLACE, ["changed"])]})
        assert conn.add(f"CN=Is Here,{managed}", user, {"sAMAccountName": "ishere"})
        assert conn.modify(f"CN=Is Here,{managed}", {"unicodePwd": [(MODIFY_REPLACE, [password])]})
    finally:
        conn.unbind()
        dc.managed_ou("Delegation")

    # a keyed account outside the managed OU cannot be adopted (docs/ad.md)
    stray = f"CN=Stray Person,CN=Users,{dc.base_dn}"
    admin = dc.admin_connection()
    admin.add(stray, user, {"sAMAccountName": "stray", "employeeType": "staff",
                            "employeeID": "9901"})  # fmt: skip
    target = make_target(dc, "Delegation")
    try:
        (found,) = target.find_accounts("staff:9901")
        spec = AccountSpec(
            "staff:9901", "stray", "Stray Person", "Stray", "Person", True,
            {"locations": "07XY00"},
        )  # fmt: skip
        with pytest.raises(FatalError, match="rights"):
            target.update_account(found.remote_id, spec)
    finally:
        target.close()
        admin.delete(stray)
        admin.unbind()

    auth = tmp_path / "auth"
    auth.write_text(f"username = {dc.service_user}\npassword = {dc.service_password}\n"
                    f"domain = {dc.domain}\n")  # fmt: skip
    auth.chmod(0o600)
    done = subprocess.run(
        ["smbclient", f"//{dc.host}/sysvol", "-A", str(auth), "-m", "SMB3",
         "-c", f'mkdir "{dc.realm.lower()}\\Policies\\taken"'],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "NT_STATUS_ACCESS_DENIED" in done.stdout + done.stderr
