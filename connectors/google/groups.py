"""Groups per access group and class (the same hierarchy as in Microsoft 365): a group's
address carries its key (``prov.`` + the key, reversibly escaped), members are added and
removed in batches, and a pupil who joins a class group moves to the class's unit when
pupils are placed per group.
"""

from __future__ import annotations

import string
import time
from collections.abc import Sequence
from typing import Any

from connectors.google.client import GoogleClient, op
from connectors.google.orgunits import OrgUnits
from provisioner.errors import (
    AlreadyExistsError,
    NotFoundError,
    OutcomeUnknown,
    RejectedError,
    TransientError,
)
from provisioner.targets import GroupSpec, RemoteGroup

GROUP_PREFIX = "prov."
SAFE = set(string.ascii_lowercase + string.digits + "-")
#: How long after its creation a user may still be unknown to the groups service.
CONSISTENCY_WINDOW = 60.0


def group_local(key: str) -> str:
    """``loc:07XY00:care`` -> ``prov.loc_3a07_58_5900_3acare``: a legal, lower-case local
    part (Google addresses ignore case) that gives the key back."""
    out = []
    for char in key:
        out.append(char if char in SAFE else "".join(f"_{b:02x}" for b in char.encode()))
    return GROUP_PREFIX + "".join(out)


def group_key(address: str) -> str | None:
    local = address.split("@")[0].lower()
    if not local.startswith(GROUP_PREFIX):
        return None
    raw, data, i = local[len(GROUP_PREFIX) :], bytearray(), 0
    try:
        while i < len(raw):
            if raw[i] == "_":
                data.append(int(raw[i + 1 : i + 3], 16))
                i += 3
            else:
                data.extend(raw[i].encode())
                i += 1
        return data.decode()
    except (ValueError, UnicodeDecodeError):
        return None


def class_of(description: str) -> tuple[str, str] | None:
    """(class name, location) from a class group's description ``"5b, 07XY00"``."""
    label, _, location = description.rpartition(", ")
    return (label, location) if label and location else None


class Groups:
    """The managed groups and their members."""

    def __init__(
        self, client: GoogleClient, units: OrgUnits, *, customer: str, domain: str, per_group: bool
    ) -> None:
        self.client = client
        self.units = units
        self.customer = customer
        self.domain = domain.lower()
        self.per_group = per_group
        self.created: dict[str, float] = {}  # user id -> when this process created it
        self.pupils: dict[str, str] = {}  # pupil user id -> current unit
        self.descriptions: dict[str, str] = {}  # group id -> description
        self.addresses: dict[str, str] = {}  # group id -> e-mail address
        self.class_units: dict[str, str] = {}  # pupil user id -> the unit of its class group

    def address(self, key: str) -> str:
        return f"{group_local(key)}@{self.domain}"

    def address_of(self, group_id: str) -> str:
        """A managed group's address by its id (asked of Google when not read this run)."""
        known = self.addresses.get(group_id)
        if known is None:
            group = self.client.call("directory", lambda s: s.groups().get(groupKey=group_id))
            known = self.addresses[group_id] = str(group["email"]).lower()
        return known

    def read(self) -> list[RemoteGroup]:
        managed = []
        self.class_units = {}
        for page in self.client.pages(
            "directory",
            lambda s, token: s.groups().list(
                customer=self.customer, maxResults=200, pageToken=token
            ),
        ):
            for group in page.get("groups") or []:
                key = group_key(str(group.get("email", "")))
                if key is not None and str(group["email"]).endswith("@" + self.domain):
                    managed.append((key, group))
        first = self.client.batch(
            "directory",
            [op("members", "list", groupKey=group["id"], maxResults=200) for _, group in managed],
        )
        groups = []
        for (key, group), page in zip(managed, first, strict=True):
            if isinstance(page, Exception):
                raise page
            members = self._members(str(group["id"]), page)
            self.descriptions[str(group["id"])] = str(group.get("description") or "")
            self.addresses[str(group["id"])] = str(group["email"]).lower()
            unit = self.class_unit(str(group["id"]))
            if unit is not None:
                self.class_units.update(dict.fromkeys(members, unit))
            groups.append(
                RemoteGroup(
                    str(group["id"]),
                    key,
                    str(group.get("name") or ""),
                    str(group.get("description") or ""),
                    members,
                )
            )
        return groups

    def _members(self, group_id: str, page: dict[str, Any]) -> frozenset[str]:
        members = {str(m["id"]) for m in page.get("members") or [] if m.get("type") == "USER"}
        token = page.get("nextPageToken")
        if token:
            for more in self.client.pages(
                "directory",
                lambda s, t: s.members().list(
                    groupKey=group_id, maxResults=200, pageToken=t or token
                ),
            ):
                members |= {
                    str(m["id"]) for m in more.get("members") or [] if m.get("type") == "USER"
                }
        return frozenset(members)

    def find(self, key: str) -> list[RemoteGroup]:
        try:
            group = self.client.call(
                "directory", lambda s: s.groups().get(groupKey=self.address(key))
            )
        except NotFoundError:
            return []
        members: set[str] = set()
        for page in self.client.pages(
            "directory",
            lambda s, t: s.members().list(groupKey=group["id"], maxResults=200, pageToken=t),
        ):
            members |= {str(m["id"]) for m in page.get("members") or [] if m.get("type") == "USER"}
        self.descriptions[str(group["id"])] = str(group.get("description") or "")
        return [
            RemoteGroup(
                str(group["id"]),
                key,
                str(group.get("name") or ""),
                str(group.get("description") or ""),
                frozenset(members),
            )
        ]

    def create(self, spec: GroupSpec) -> str:
        body = {
            "email": self.address(spec.key),
            "name": spec.display_name[:75],
            "description": spec.description[:4096],
        }
        created = self.client.call("directory", lambda s: s.groups().insert(body=body))
        if not isinstance(created, dict) or "id" not in created:
            raise RejectedError("Google created the group but returned no id")
        self.descriptions[str(created["id"])] = spec.description
        self.addresses[str(created["id"])] = body["email"]
        return str(created["id"])

    def add(self, group_id: str, member_ids: Sequence[str]) -> None:
        """Insert members in batches; present already is done; a user created moments ago
        that the groups service does not know yet is sent again, after a pause. Pupils move
        into a class group's unit even when an insert's answer was lost; the first error is
        raised after that."""
        pending, errors, refused = list(member_ids), list[Exception](), set[str]()
        for attempt in range(8):
            results = self.client.batch(
                "directory",
                [
                    op("members", "insert", groupKey=group_id, body={"id": m, "role": "MEMBER"})
                    for m in pending
                ],
            )
            later = []
            for member, result in zip(pending, results, strict=True):
                if isinstance(result, NotFoundError) and self._young(member):
                    later.append(member)
                elif isinstance(result, Exception) and not isinstance(result, AlreadyExistsError):
                    errors.append(result)
                    if not isinstance(result, OutcomeUnknown):
                        refused.add(member)
            if not later:
                break
            pending = later
            time.sleep(min(0.25 * 2**attempt, 8.0))
        else:
            raise TransientError("directory.members.insert: new users not yet known to groups")
        self._follow_class(group_id, [m for m in member_ids if m not in refused])
        if errors:
            raise errors[0]

    def remove(self, group_id: str, member_ids: Sequence[str]) -> None:
        results = self.client.batch(
            "directory",
            [op("members", "delete", groupKey=group_id, memberKey=m) for m in member_ids],
        )
        for result in results:
            if isinstance(result, Exception) and not isinstance(result, NotFoundError):
                raise result
        unit = self.class_unit(group_id)
        for member in member_ids:
            if unit is not None and self.class_units.get(member) == unit:
                del self.class_units[member]  # no class now: anywhere under the school

    def _young(self, user_id: str) -> bool:
        made = self.created.get(user_id)
        return made is not None and time.monotonic() - made < CONSISTENCY_WINDOW

    def class_unit(self, group_id: str) -> str | None:
        """The unit of a class group's pupils (``pupil_ou_per_group``); None for others."""
        key = group_key(self.addresses.get(group_id, "")) or ""
        where = class_of(self.descriptions.get(group_id, "")) if self.per_group else None
        if where is None or not key.startswith("class:"):
            return None
        return self.units.class_unit(where[1], where[0])

    def _follow_class(self, group_id: str, member_ids: Sequence[str]) -> None:
        """Pupils who join a class group move into the class's unit (``pupil_ou_per_group``)."""
        unit = self.class_unit(group_id)
        if unit is None:
            return
        self.class_units.update((m, unit) for m in member_ids if m in self.pupils)
        movers = [m for m in member_ids if m in self.pupils and self.pupils[m] != unit]
        if not movers:
            return
        self.units.ensure(unit)
        results = self.client.batch(
            "directory",
            [op("users", "patch", userKey=m, body={"orgUnitPath": unit}) for m in movers],
        )
        for member, result in zip(movers, results, strict=True):
            if isinstance(result, Exception):
                raise result
            self.pupils[member] = unit
