"""Pure rules of the AD target: escaping, account names, OUs, folders, ACLs (no DC needed)."""

from __future__ import annotations

import uuid

import pytest
from ldap3.utils.dn import parse_dn

from connectors.ad import layout
from connectors.ad.layout import Ace, Layout

DOMAIN_SID = "S-1-5-21-1-2-3"


@pytest.mark.parametrize(
    "value", ["O'Brien", "van 't Hek", "Smit, Jr.", "Çelik", "*)(cn=*", 'a+b<c>;"d"\\ ']
)
def test_an_rdn_parses_back_to_its_value(value: str) -> None:
    ((attribute, parsed, _),) = parse_dn(layout.rdn("CN", value), escape=False, strip=False)
    assert attribute == "CN"
    assert parsed.replace("\\", "") == value.replace("\\", "")
    assert "," not in parsed.replace("\\,", "")  # no RDN boundary can be injected


def test_filter_values_cannot_change_the_filter() -> None:
    escaped = layout.filter_value("*)(cn=*")
    assert "*" not in escaped and "(" not in escaped and ")" not in escaped
    assert layout.filter_value("O'Brien") == "O'Brien"


def test_sam_account_names() -> None:
    assert layout.sam_account_name("anne-fleur.vanthek") == "anne-fleur.vanthek"
    assert layout.sam_account_name("o.çelik") == "o.celik"
    assert layout.sam_account_name("anne-fleur.vanthek-bakker") == "anne-fleur.vanthek-b"
    assert layout.sam_account_name("anne-fleur.vanthek-bakker", 1) == "anne-fleur.vanthek2"
    assert layout.sam_account_name("a@b:c", 0) == "abc"
    assert all(
        len(layout.sam_account_name("x" * 40, attempt)) <= layout.SAM_MAX for attempt in range(30)
    )


def test_group_names_are_legal() -> None:
    name = layout.group_sam_name("GG", "loc:07XY00:care")
    assert name == "GG_loc_07XY00_care"
    assert not layout.SAM_INVALID.search(name)


def test_ous() -> None:
    where = Layout("DC=school,DC=test")
    assert (
        where.account_ou("pupil", "07XY00")
        == "OU=Pupils,OU=07XY00,OU=Provisioner,DC=school,DC=test"
    )
    assert where.account_ou("staff", None) == "OU=Staff,OU=Provisioner,DC=school,DC=test"
    assert where.ou_chain(where.account_ou("staff", "07XY00")) == [
        "OU=Provisioner,DC=school,DC=test",
        "OU=07XY00,OU=Provisioner,DC=school,DC=test",
        "OU=Staff,OU=07XY00,OU=Provisioner,DC=school,DC=test",
    ]
    assert layout.primary_location({"locations": "08AB00 07XY00"}) == "07XY00"


def test_folders() -> None:
    assert layout.folder_of("loc:07XY00:care", "Zorg (IB)") == "Zorg"
    assert layout.folder_of("class:G5", "Groep 5") == "Groepen\\Groep 5"
    assert layout.folder_of("class:G7", 'Klas 7/a: "b"') == "Groepen\\Klas 7_a_ _b_"
    assert layout.folder_of("class:G8", "8; deltree x") == "Groepen\\8_ deltree x"  # one command


def test_an_acl_we_write_parses_back_equal() -> None:
    wanted = layout.folder_acl(f"{DOMAIN_SID}-512", f"{DOMAIN_SID}-1105")
    assert layout.parse_dacl(layout.acl_sddl(wanted), DOMAIN_SID) == (True, wanted)


def test_acls_as_smbcacls_prints_them() -> None:
    printed = (
        "O:BAG:DUD:PAI(A;OICIID;0x001f01ff;;;SY)(A;OICI;0x001f01ff;;;DA)"
        "(A;;0x001200a9;;;S-1-5-21-1-2-3-1200)"
    )
    protected, aces = layout.parse_dacl(printed, DOMAIN_SID) or (False, frozenset())
    assert protected
    assert aces == {
        Ace("S-1-5-18", layout.FULL),
        Ace(f"{DOMAIN_SID}-512", layout.FULL),
        Ace(f"{DOMAIN_SID}-1200", layout.READ, ""),
    }
    assert layout.parse_dacl("D:(D;;0x1;;;WD)", DOMAIN_SID) is None  # a deny ACE is never ours
    assert layout.parse_dacl("D:AI(A;OICI;0x001f01ff;;;SY)", DOMAIN_SID) == (
        False, frozenset({Ace("S-1-5-18", layout.FULL)}),
    )  # fmt: skip


def test_sids_and_guids() -> None:
    raw = bytes([1, 4, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0x51, 4, 0, 0])
    assert layout.sid_text(raw) == "S-1-5-21-1-2-1105"
    guid = "12345678-1234-5678-9abc-def012345678"
    assert layout.guid_text(uuid.UUID(guid).bytes_le) == guid
    assert layout.guid_filter(guid).startswith("(objectGUID=\\78\\56\\34\\12")
