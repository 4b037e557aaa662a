"""Ranged retrieval of large groups (no DC needed).

Windows AD returns at most ``MaxValRange`` (1,500) values of a multi-valued attribute per
request: a group with more members answers ``member;range=0-1499`` instead of ``member``, and
the client asks for ``member;range=1500-*`` and so on until a range ends in ``*``. Samba never
does this on its own (it only answers ranges that are asked for; tests/test_ad_target.py proves
that path against the real DC), so this file puts a fake AD behind a real ldap3 connection: only
the socket is replaced, and ldap3's own ``auto_range`` code and the connector's paged search run
as they do in production.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from ldap3 import SYNC, Connection, Server
from ldap3.strategy.base import RESPONSE_COMPLETE

from connectors.ad.client import ADClient, LdapSettings, values
from provisioner.errors import FatalError

MAX_VAL_RANGE = 1500  # Windows AD's default LDAP policy
PAGED = "1.2.840.113556.1.4.319"
RANGE = re.compile(r"^(?P<name>[^;]+);range=(?P<low>\d+)-(?P<high>\d+|\*)$", re.IGNORECASE)


class FakeAD:
    """Groups with many members, answered the way AD does: in ranges, and in pages."""

    def __init__(self, groups: dict[str, int]) -> None:
        self.members = {
            dn: [f"CN=user{i},OU=Staff,DC=school,DC=test".encode() for i in range(count)]
            for dn, count in groups.items()
        }
        self.requests: list[dict[str, Any]] = []

    def attach(self, conn: Connection) -> None:
        """Replace only the wire: what ldap3 would send goes to :meth:`answer`."""
        strategy = conn.strategy
        strategy.sending = lambda message: None
        strategy._get_response = lambda message_id, timeout: [
            *self.answer(strategy._outstanding[message_id]),
            RESPONSE_COMPLETE,
        ]
        strategy._outstanding = {}  # what open() would have set up
        conn.listening = True
        conn.bound = True
        conn.closed = False

    def answer(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        self.requests.append(request)
        if request["scope"] == 0:  # BASE: the next range of one group
            dns = [request["base"]]
            cookie = b""
        else:  # a paged subtree search: one group per page
            paged = [r for r in self.requests if r["scope"] != 0]
            dns = [sorted(self.members)[len(paged) - 1]]
            cookie = b"more" if len(paged) < len(self.members) else b""
        entries = [self._entry(dn, request["attributes"]) for dn in dns]
        done: dict[str, Any] = {
            "type": "searchResDone", "result": 0, "description": "success", "dn": "",
            "message": "", "referrals": None,
            "controls": {PAGED: {"description": "", "criticality": False,
                                 "value": {"size": 0, "cookie": cookie}}},
        }  # fmt: skip
        return [*entries, done]

    def _entry(self, dn: str, attributes: list[str]) -> dict[str, Any]:
        raw: dict[str, list[bytes]] = {}
        for wanted in attributes:
            members = self.members[dn]
            match = RANGE.match(wanted)
            if wanted.lower() != "member" and not match:
                continue
            low = int(match["low"]) if match else 0
            high = len(members) - 1
            if match and match["high"] != "*":
                high = min(high, int(match["high"]))
            high = min(high, low + MAX_VAL_RANGE - 1)
            if low == 0 and high == len(members) - 1 and not match:
                raw["member"] = members  # small enough: no range at all
            else:
                end = "*" if high == len(members) - 1 else str(high)
                raw[f"member;range={low}-{end}"] = members[low : high + 1]
        text = {name: [v.decode() for v in vals] for name, vals in raw.items()}
        return {"type": "searchResEntry", "dn": dn, "raw_dn": dn.encode(),
                "raw_attributes": raw, "attributes": text}  # fmt: skip


def client_on(fake: FakeAD, monkeypatch: pytest.MonkeyPatch, *, auto_range: bool) -> ADClient:
    client = ADClient(LdapSettings(host="dc", port=636, bind_user="svc", bind_password="x"))
    conn = Connection(Server("dc", get_info="NO_INFO"), client_strategy=SYNC,
                      raise_exceptions=True, auto_range=auto_range)  # fmt: skip
    fake.attach(conn)
    monkeypatch.setattr(client, "connection", lambda: conn)
    return client


GROUPS = {
    "CN=GG_big,OU=Groups,DC=school,DC=test": 3_702,  # two full ranges and a short one
    "CN=GG_small,OU=Groups,DC=school,DC=test": 12,
    "CN=GG_edge,OU=Groups,DC=school,DC=test": MAX_VAL_RANGE + 1,
}


def test_every_member_of_a_large_group_is_read_through_ranges_and_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeAD(GROUPS)
    client = client_on(fake, monkeypatch, auto_range=True)
    found = client.search("DC=school,DC=test", "(objectClass=group)", ["objectGUID", "member"])
    assert {entry["dn"]: len(set(values(entry, "member"))) for entry in found} == GROUPS
    for entry in found:
        assert values(entry, "member") == [m.decode() for m in fake.members[entry["dn"]]]
        assert not any(";" in name for name in entry)
    asked = [r["attributes"] for r in fake.requests if r["scope"] == 0]
    assert ["member;range=1500-*"] in asked and ["member;range=3000-*"] in asked
    assert len([r for r in fake.requests if r["scope"] != 0]) == len(GROUPS)  # every page


def test_a_range_left_unmerged_is_an_error_not_a_short_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = client_on(FakeAD(GROUPS), monkeypatch, auto_range=False)
    with pytest.raises(FatalError, match="ranged values of member cut"):
        client.search("DC=school,DC=test", "(objectClass=group)", ["member"])
