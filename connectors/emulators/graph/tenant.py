"""The emulated tenant: users, groups, memberships, licences and the change log behind delta.

Plain data, no HTTP: every Graph rule the emulator enforces on objects lives here and fails
with :class:`GraphError`. The caller holds the emulator's lock around every call.

Change tracking: every change takes the next number of one tenant-wide sequence. A user or
group remembers the number of its last property change (``_pseq``) and a group also that of
its last membership change (``_mseq``); soft-deleted objects leave a tombstone, and every
membership change is logged per group. A delta round covers the numbers ``(since, upto]``.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from .model import GraphError, bad_request, not_found

USER_WRITABLE = frozenset(
    {
        "accountEnabled",
        "displayName",
        "givenName",
        "surname",
        "mailNickname",
        "userPrincipalName",
        "mail",
        "employeeId",
        "employeeType",
        "jobTitle",
        "department",
        "usageLocation",
        "passwordProfile",
    }
)
USER_READABLE = USER_WRITABLE | {
    "id",
    "assignedLicenses",
    "businessPhones",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "createdDateTime",
    "signInSessionsValidFromDateTime",
}
# What Graph v1.0 returns for a user without $select (note: no employeeId, no accountEnabled).
USER_DEFAULT = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
)
USER_REQUIRED = ("accountEnabled", "displayName", "mailNickname", "userPrincipalName")
USER_FILTERABLE = frozenset(
    {
        "id",
        "employeeId",
        "employeeType",
        "userPrincipalName",
        "mailNickname",
        "mail",
        "displayName",
        "accountEnabled",
        "jobTitle",
        "department",
    }
)
GROUP_WRITABLE = frozenset(
    {
        "displayName",
        "description",
        "mailEnabled",
        "securityEnabled",
        "mailNickname",
        "groupTypes",
        "visibility",
    }
)
GROUP_READABLE = GROUP_WRITABLE | {"id", "mail", "createdDateTime"}
GROUP_DEFAULT = tuple(sorted(GROUP_READABLE - {"id"}))
GROUP_REQUIRED = ("displayName", "mailEnabled", "mailNickname", "securityEnabled")
GROUP_FILTERABLE = frozenset(
    {"id", "displayName", "mailNickname", "securityEnabled", "mailEnabled"}
)
GROUP_TYPES = frozenset({"Unified"})  # DynamicMembership needs a membershipRule: not modelled
VISIBILITIES = frozenset({"Private", "Public", "HiddenMembership"})
BIND_LIMIT = 20
BIND_KEY = "members@odata.bind"
_NICKNAME_FORBIDDEN = set('@()\\[]";:<>, ')
_BIND_URL = re.compile(r"/(?:directoryObjects|users)/([^/?#]+)$")
_CLAUSE = re.compile(
    r"\s*(?:startswith\(\s*(?P<sprop>\w+)\s*,\s*'(?P<sval>(?:[^']|'')*)'\s*\)"
    r"|(?P<prop>\w+)\s+eq\s+(?:'(?P<val>(?:[^']|'')*)'|(?P<flag>true|false)))\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"and\s+", re.IGNORECASE)

Filter = Callable[[dict[str, Any]], bool]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_filter(expr: str, filterable: frozenset[str]) -> Filter:
    """``prop eq 'text'``, ``prop eq true``, ``startswith(prop,'text')``, joined by ``and``."""
    unsupported = GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.")
    tests: list[tuple[str, str | bool, bool]] = []
    pos = 0
    while True:
        match = _CLAUSE.match(expr, pos)
        if match is None:
            raise unsupported
        if match["sprop"]:
            prop, value, prefix = match["sprop"], match["sval"].replace("''", "'"), True
        else:
            prop, prefix = match["prop"], False
            flag = match["flag"]
            value = flag.lower() == "true" if flag else match["val"].replace("''", "'")
        if prop not in filterable:
            raise unsupported
        tests.append((prop, value, prefix))
        pos = match.end()
        if pos == len(expr):
            break
        joint = _AND.match(expr, pos)
        if joint is None:
            raise unsupported
        pos = joint.end()

    def check(obj: dict[str, Any]) -> bool:
        for prop, value, prefix in tests:
            have = obj.get(prop)
            if isinstance(value, bool):
                if have is not value:
                    return False
                continue
            if not isinstance(have, str):
                return False
            text, wanted = have.lower(), value.lower()
            if not (text.startswith(wanted) if prefix else text == wanted):
                return False
        return True

    return check


def parse_select(raw: str | None, readable: Iterable[str], type_name: str) -> list[str] | None:
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    known = set(readable)
    for name in names:
        if name not in known:
            raise bad_request(
                "Parsing OData Select and Expand failed: Could not find a property named "
                f"'{name}' on type 'microsoft.graph.{type_name}'.",
                code="BadRequest",
            )
    return names


def project(
    obj: dict[str, Any], select: list[str] | None, default: Iterable[str]
) -> dict[str, Any]:
    """The object as Graph shows it: ``id`` plus the selected (or default) properties."""
    out: dict[str, Any] = {"id": obj["id"]}
    for name in default if select is None else select:
        if name in ("id", "members"):
            continue
        if name == "passwordProfile":
            out[name] = None  # never readable
        elif name in ("businessPhones", "groupTypes", "assignedLicenses"):
            out[name] = copy.deepcopy(obj.get(name) or [])
        else:
            out[name] = copy.deepcopy(obj.get(name))
    return out


def public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in obj.items() if not k.startswith("_")}


def _invalid(prop: str, resource: str) -> GraphError:
    return bad_request(f"Invalid value specified for property '{prop}' of resource '{resource}'.")


def _unknown(prop: str, type_name: str) -> GraphError:
    return bad_request(
        f"The property '{prop}' does not exist on type 'microsoft.graph.{type_name}'. Make "
        "sure to only use property names that are defined by the type."
    )


def is_unified(group: dict[str, Any]) -> bool:
    """A Microsoft 365 group (it has a team site), not a security group."""
    return "Unified" in (group.get("groupTypes") or [])


class Tenant:
    """Users, groups and memberships of one tenant, JSON-serialisable.

    ``domain`` (``<tenant>.onmicrosoft.com``) gives Microsoft 365 groups their ``mail``.
    """

    def __init__(self, skus: dict[str, str], domain: str = "demo-tenant.onmicrosoft.com") -> None:
        self.skus = dict(skus)
        self.domain = domain
        self.instance = uuid.uuid4().hex  # delta tokens of another tenant state are unknown
        self.seq = 0
        self.counter = 0
        self.epoch = 0  # bumped by expire_delta_tokens(): older tokens answer 410
        self.users: dict[str, dict[str, Any]] = {}
        self.deleted_users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, None]] = {}  # group id -> ordered set of user ids
        self.member_log: dict[str, list[list[Any]]] = {}  # group id -> [seq, user id, added]
        self.tombstones: dict[str, list[list[Any]]] = {"users": [], "groups": []}
        self.revocations: dict[str, int] = {}
        self.born: dict[str, float] = {}  # id -> monotonic creation time (not persisted)
        self._upn: dict[str, str] = {}
        self._nick: dict[str, str] = {}
        self._member_of: dict[str, set[str]] = {}

    # -- persistence ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "instance": self.instance,
            "seq": self.seq,
            "counter": self.counter,
            "epoch": self.epoch,
            "users": self.users,
            "deleted_users": self.deleted_users,
            "groups": self.groups,
            "members": {gid: list(ids) for gid, ids in self.members.items()},
            "member_log": self.member_log,
            "tombstones": self.tombstones,
            "revocations": self.revocations,
        }

    @classmethod
    def from_json(
        cls, data: dict[str, Any], skus: dict[str, str], domain: str = "demo-tenant.onmicrosoft.com"
    ) -> Tenant:
        if data.get("version") != 1:
            raise ValueError(f"unknown emulator state version {data.get('version')!r}")
        tenant = cls(skus, domain)
        tenant.instance = data["instance"]
        tenant.seq, tenant.counter, tenant.epoch = data["seq"], data["counter"], data["epoch"]
        tenant.users, tenant.deleted_users = data["users"], data["deleted_users"]
        tenant.groups, tenant.member_log = data["groups"], data["member_log"]
        tenant.members = {gid: dict.fromkeys(ids) for gid, ids in data["members"].items()}
        tenant.tombstones, tenant.revocations = data["tombstones"], data["revocations"]
        for user in tenant.users.values():
            tenant._index(user)
        for gid, ids in tenant.members.items():
            for uid in ids:
                tenant._member_of.setdefault(uid, set()).add(gid)
        return tenant

    # -- helpers -----------------------------------------------------------------------------

    def _tick(self) -> int:
        self.seq += 1
        return self.seq

    def _young(self, object_id: str, now: float, delay: float) -> bool:
        born = self.born.get(object_id)
        return born is not None and now - born < delay

    def _index(self, user: dict[str, Any]) -> None:
        self._upn[str(user["userPrincipalName"]).lower()] = user["id"]
        self._nick[str(user["mailNickname"]).lower()] = user["id"]

    def _unindex(self, user: dict[str, Any]) -> None:
        self._upn.pop(str(user["userPrincipalName"]).lower(), None)
        self._nick.pop(str(user["mailNickname"]).lower(), None)

    def user_count(self) -> int:
        return len(self.users)

    def sku_ids(self) -> set[str]:
        return {sku.lower() for sku in self.skus.values()}

    # -- users -------------------------------------------------------------------------------

    def user(self, key: str, now: float = 0.0, delay: float = 0.0) -> dict[str, Any]:
        """A user by id or userPrincipalName; a just-created one answers 404 for ``delay`` s."""
        user = self.users.get(key)
        if user is None and key.lower() in self._upn:
            user = self.users[self._upn[key.lower()]]
        if user is None or self._young(user["id"], now, delay):
            raise not_found(key)
        return user

    def _user_fields(self, body: Any, creating: bool, strict: bool) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("Invalid request body: a JSON object is expected.")
        fields: dict[str, Any] = {}
        for prop, value in body.items():
            if prop not in USER_WRITABLE:
                raise _unknown(prop, "user")
            if prop == "accountEnabled":
                if not isinstance(value, bool):
                    raise _invalid(prop, "User")
            elif prop == "passwordProfile":
                if not isinstance(value, dict) or not isinstance(value.get("password"), str):
                    raise _invalid(prop, "User")
                value = {
                    "forceChangePasswordNextSignIn": bool(
                        value.get("forceChangePasswordNextSignIn", True)
                    )
                }  # the password is not kept
            elif value is not None and not isinstance(value, str):
                raise _invalid(prop, "User")
            if prop in USER_REQUIRED and prop != "accountEnabled" and not value:
                raise _invalid(prop, "User")
            if prop == "mailNickname" and set(value) & _NICKNAME_FORBIDDEN:
                raise _invalid(prop, "User")
            if prop == "userPrincipalName" and (
                value.count("@") != 1 or value.startswith("@") or value.endswith("@")
            ):
                raise _invalid(prop, "User")
            if (
                prop == "usageLocation"
                and value is not None
                and not re.fullmatch("[A-Z]{2}", value)
            ):
                raise _invalid(prop, "User")
            fields[prop] = value
        if creating and strict:
            for prop in (*USER_REQUIRED, "passwordProfile"):
                if prop not in fields:
                    raise _invalid(prop, "User")
        return fields

    def _check_unique(self, fields: dict[str, Any], own_id: str | None) -> None:
        for prop, index in (("userPrincipalName", self._upn), ("mailNickname", self._nick)):
            if prop in fields and index.get(str(fields[prop]).lower(), own_id) != own_id:
                raise bad_request(
                    f"Another object with the same value for property {prop} already exists."
                )

    def create_user(self, body: Any, born: float | None, strict: bool = True) -> dict[str, Any]:
        fields = self._user_fields(body, creating=True, strict=strict)
        for prop in USER_REQUIRED:
            if not fields.get(prop) and prop != "accountEnabled":
                raise _invalid(prop, "User")
        self._check_unique(fields, None)
        uid = str(uuid.uuid4())
        created = now_iso()
        user: dict[str, Any] = dict.fromkeys(sorted(USER_WRITABLE - {"passwordProfile"}))
        user.update(
            id=uid,
            accountEnabled=True,
            assignedLicenses=[],
            businessPhones=[],
            createdDateTime=created,
            signInSessionsValidFromDateTime=created,
        )
        user.update(fields)
        self.counter += 1
        user["_n"], user["_pseq"] = self.counter, self._tick()
        self.users[uid] = user
        self._index(user)
        if born is not None:
            self.born[uid] = born
        return user

    def update_user(self, user: dict[str, Any], body: Any) -> None:
        fields = self._user_fields(body, creating=False, strict=True)
        self._check_unique(fields, user["id"])
        self._unindex(user)
        user.update(fields)
        self._index(user)
        user["_pseq"] = self._tick()

    def delete_user(self, user: dict[str, Any]) -> None:
        """Soft delete: out of /users, memberships dropped, a tombstone for delta."""
        uid = user["id"]
        self._unindex(user)
        del self.users[uid]
        seq = self._tick()
        for gid in sorted(self._member_of.pop(uid, set())):
            del self.members[gid][uid]
            self.member_log.setdefault(gid, []).append([seq, uid, False])
            self.groups[gid]["_mseq"] = seq
        user["deletedDateTime"] = now_iso()
        self.deleted_users[uid] = user
        self.tombstones["users"].append([seq, uid])

    def revoke(self, user: dict[str, Any]) -> None:
        self.revocations[user["id"]] = self.revocations.get(user["id"], 0) + 1
        user["signInSessionsValidFromDateTime"] = now_iso()

    def assign_license(self, user: dict[str, Any], body: Any) -> None:
        if not isinstance(body, dict):
            raise bad_request("Invalid request body: a JSON object is expected.")
        add, remove = body.get("addLicenses"), body.get("removeLicenses")
        if not isinstance(add, list) or not all(isinstance(a, dict) for a in add):
            raise bad_request("Invalid value specified for property 'addLicenses'.")
        if not isinstance(remove, list) or not all(isinstance(r, str) for r in remove):
            raise bad_request("Invalid value specified for property 'removeLicenses'.")
        known = self.sku_ids()
        have = {str(lic["skuId"]).lower() for lic in user["assignedLicenses"]}
        for sku in [str(a.get("skuId")) for a in add] + list(remove):
            if sku.lower() not in known:
                raise bad_request(f"License {sku} does not correspond to a valid company License.")
        for sku in remove:
            if sku.lower() not in have:
                raise bad_request("User does not have a corresponding license.")
        if add and not user.get("usageLocation"):
            raise bad_request(
                "License assignment cannot be done for user with invalid usage location."
            )
        gone = {sku.lower() for sku in remove} | {str(a["skuId"]).lower() for a in add}
        licenses = [lic for lic in user["assignedLicenses"] if lic["skuId"].lower() not in gone]
        for a in add:
            plans = a.get("disabledPlans") or []
            licenses.append({"disabledPlans": list(plans), "skuId": str(a["skuId"]).lower()})
        user["assignedLicenses"] = licenses
        user["_pseq"] = self._tick()

    def subscribed_skus(self, tenant_id: str) -> list[dict[str, Any]]:
        out = []
        for part, sku in self.skus.items():
            used = sum(
                1
                for u in self.users.values()
                if any(lic["skuId"] == sku.lower() for lic in u["assignedLicenses"])
            )
            out.append(
                {
                    "id": f"{tenant_id}_{sku}",
                    "skuId": sku,
                    "skuPartNumber": part,
                    "appliesTo": "User",
                    "capabilityStatus": "Enabled",
                    "consumedUnits": used,
                    "prepaidUnits": {"enabled": 1_000_000, "suspended": 0, "warning": 0},
                }
            )
        return out

    # -- groups ------------------------------------------------------------------------------

    def group(self, gid: str, now: float = 0.0, delay: float = 0.0) -> dict[str, Any]:
        group = self.groups.get(gid)
        if group is None or self._young(gid, now, delay):
            raise not_found(gid)
        return group

    def _group_fields(
        self, body: Any, current: dict[str, Any] | None
    ) -> tuple[dict[str, Any], Any]:
        """The checked fields and ``members@odata.bind`` of a create (``current`` None) or an
        update of ``current``. A Unified group must be mail-enabled, any other must not be."""
        creating = current is None
        if not isinstance(body, dict):
            raise bad_request("Invalid request body: a JSON object is expected.")
        fields: dict[str, Any] = {}
        for prop, value in body.items():
            if prop == BIND_KEY:
                continue
            if prop not in GROUP_WRITABLE:
                raise _unknown(prop, "group")
            if prop in ("mailEnabled", "securityEnabled"):
                if not isinstance(value, bool):
                    raise _invalid(prop, "Group")
            elif prop == "groupTypes":
                if (
                    not isinstance(value, list)
                    or not all(isinstance(t, str) and t in GROUP_TYPES for t in value)
                    or len(set(value)) != len(value)
                ):
                    raise _invalid(prop, "Group")
                value = list(value)
            elif prop == "visibility":
                if value is not None and value not in VISIBILITIES:
                    raise _invalid(prop, "Group")
            elif value is not None and not isinstance(value, str):
                raise _invalid(prop, "Group")
            if prop == "mailNickname" and (not value or set(value) & _NICKNAME_FORBIDDEN):
                raise _invalid(prop, "Group")
            if prop == "displayName" and not value:
                raise _invalid(prop, "Group")
            fields[prop] = value
        if creating:
            for prop in GROUP_REQUIRED:
                if prop not in fields:
                    raise _invalid(prop, "Group")
        unified = is_unified(fields if "groupTypes" in fields else current or {})
        if current is not None and unified != is_unified(current):
            raise _invalid("groupTypes", "Group")  # no conversion between group kinds
        if unified:
            if fields.get("mailEnabled", (current or {}).get("mailEnabled")) is not True:
                raise bad_request(
                    "A Microsoft 365 group (groupTypes 'Unified') must be mail-enabled: set "
                    "mailEnabled to true."
                )
        elif fields.get("mailEnabled"):
            raise bad_request(
                "The service does not currently support writes of mail-enabled groups. Please "
                "ensure that the mail-enablement property is unset or is set to false."
            )
        if fields.get("visibility") == "HiddenMembership" and not (unified and creating):
            raise _invalid("visibility", "Group")  # only when a Microsoft 365 group is made
        if unified and "mailNickname" in fields:
            wanted, own = str(fields["mailNickname"]).lower(), (current or {}).get("id")
            for other in self.groups.values():
                if (
                    other["id"] != own
                    and is_unified(other)
                    and str(other["mailNickname"]).lower() == wanted
                ):
                    raise bad_request(
                        "Another object with the same value for property proxyAddresses "
                        "already exists."
                    )
        return fields, body.get(BIND_KEY)

    def _bind_ids(self, gid: str | None, binds: Any, now: float, delay: float) -> list[str]:
        """The user ids of ``members@odata.bind``, all checked before any is added."""
        if binds is None:
            return []
        if not isinstance(binds, list) or not all(isinstance(b, str) for b in binds):
            raise bad_request("Invalid URL format specified in @odata.bind for members")
        if len(binds) > BIND_LIMIT:
            raise bad_request(
                f"The number of members to add ({len(binds)}) exceeds the limit of "
                f"{BIND_LIMIT} per request."
            )
        ids = []
        for url in binds:
            match = _BIND_URL.search(url)
            if match is None:
                raise bad_request("Invalid URL format specified in @odata.bind for members")
            ids.append(match[1])
        current = self.members.get(gid, {}) if gid else {}
        for uid in ids:
            if uid not in self.users or self._young(uid, now, delay):
                raise not_found(uid)
        if len(set(ids)) != len(ids) or any(uid in current for uid in ids):
            raise bad_request(
                "One or more added object references already exist for the following "
                "modified properties: 'members'."
            )
        return ids

    def create_group(
        self, body: Any, born: float | None, now: float = 0.0, delay: float = 0.0
    ) -> dict[str, Any]:
        fields, binds = self._group_fields(body, None)
        ids = self._bind_ids(None, binds, now, delay)
        gid = str(uuid.uuid4())
        group: dict[str, Any] = {
            "id": gid,
            "description": None,
            "groupTypes": [],
            "mail": None,
            "visibility": None,
            "createdDateTime": now_iso(),
        }
        group.update(fields)
        if is_unified(group):
            group["mail"] = f"{group['mailNickname']}@{self.domain}"
            group["visibility"] = group["visibility"] or "Public"
        self.counter += 1
        group["_n"], group["_pseq"], group["_mseq"] = self.counter, self._tick(), 0
        self.groups[gid] = group
        self.members[gid] = {}
        self._add_members(gid, ids)
        if born is not None:
            self.born[gid] = born
        return group

    def update_group(self, group: dict[str, Any], body: Any, now: float, delay: float) -> None:
        fields, binds = self._group_fields(body, group)
        ids = self._bind_ids(group["id"], binds, now, delay)
        if fields:
            group.update(fields)
            if is_unified(group):
                group["mail"] = f"{group['mailNickname']}@{self.domain}"
            group["_pseq"] = self._tick()
        self._add_members(group["id"], ids)

    def _add_members(self, gid: str, ids: list[str]) -> None:
        for uid in ids:
            seq = self._tick()
            self.members[gid][uid] = None
            self._member_of.setdefault(uid, set()).add(gid)
            self.member_log.setdefault(gid, []).append([seq, uid, True])
            self.groups[gid]["_mseq"] = seq

    def add_member_ref(
        self, group: dict[str, Any], reference: str, now: float, delay: float
    ) -> None:
        """``POST /groups/{id}/members/$ref``: 404 for an unknown object, 400 if a member."""
        self._add_members(group["id"], self._bind_ids(group["id"], [reference], now, delay))

    def add_member(self, gid: str, uid: str) -> None:
        self._add_members(self.group(gid)["id"], self._bind_ids(gid, [f"/users/{uid}"], 0, 0))

    def remove_member(self, group: dict[str, Any], uid: str, now: float, delay: float) -> None:
        gid = group["id"]
        if uid not in self.members[gid] or self._young(uid, now, delay):
            raise not_found(uid)
        seq = self._tick()
        del self.members[gid][uid]
        self._member_of[uid].discard(gid)
        self.member_log.setdefault(gid, []).append([seq, uid, False])
        group["_mseq"] = seq

    def member_users(self, gid: str) -> list[dict[str, Any]]:
        return [self.users[uid] for uid in self.members[gid]]

    # -- delta -------------------------------------------------------------------------------

    def delta_key(self, obj: dict[str, Any], with_members: bool) -> int:
        pseq = int(obj["_pseq"])
        return max(pseq, int(obj.get("_mseq", 0))) if with_members else pseq

    def delta_page(
        self,
        kind: str,
        since: int,
        upto: int,
        after: tuple[int, str] | None,
        limit: int,
        select: list[str] | None,
    ) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
        """One page of changes in ``(since, upto]`` after the key ``after``, in key order.

        Returns the items and the key to continue from (None on the last page). Keyset
        paging: an object changed again during the round leaves it for the next round
        without shifting the others.
        """
        objects = self.users if kind == "users" else self.groups
        with_members = kind == "groups" and select is not None and "members" in select
        entries: list[tuple[int, str, dict[str, Any] | None]] = []
        for obj in objects.values():
            key = self.delta_key(obj, with_members)
            if since < key <= upto:
                entries.append((key, obj["id"], obj))
        if since > 0:  # an initial round shows only what exists
            for seq, oid in self.tombstones[kind]:
                if since < seq <= upto and oid not in objects:
                    entries.append((seq, oid, None))
        entries.sort(key=lambda e: (e[0], e[1]))
        if after is not None:
            entries = [e for e in entries if (e[0], e[1]) > after]
        page = entries[:limit]
        items: list[dict[str, Any]] = []
        for _key, oid, maybe in page:
            if maybe is None:
                items.append({"id": oid, "@removed": {"reason": "deleted"}})
                continue
            item = project(maybe, select, USER_DEFAULT if kind == "users" else GROUP_DEFAULT)
            if with_members:
                item["members@delta"] = self._members_delta(oid, since, upto)
            items.append(item)
        more = len(entries) > limit
        return items, ((page[-1][0], page[-1][1]) if more else None)

    def _members_delta(self, gid: str, since: int, upto: int) -> list[dict[str, Any]]:
        net: dict[str, bool] = {}
        for seq, uid, added in self.member_log.get(gid, []):
            if since < seq <= upto:
                net[uid] = bool(added)
        out: list[dict[str, Any]] = []
        for uid, added in net.items():
            if added:
                out.append({"@odata.type": "#microsoft.graph.user", "id": uid})
            elif since > 0:
                out.append(
                    {
                        "@odata.type": "#microsoft.graph.user",
                        "id": uid,
                        "@removed": {"reason": "deleted"},
                    }
                )
        return out
