"""The Directory API subset: users (with signOut), organisational units, groups and members.

Faithful to the public reference where it matters to a provisioner: ids are opaque, a user
is found by id, primary e-mail or alias; ``users.list`` and ``groups.list`` page with
``pageToken`` (at most 500 and 200 per page), ``users.list`` searches ``externalId``,
``email`` and ``orgUnitPath``; a new user is missing from lists and from member inserts for
``consistency_delay`` seconds (Google's replication); an organisational unit with users or
sub-units cannot be deleted; e-mail addresses are unique across users, aliases and groups.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable
from typing import Any

from .model import GoogleError, duplicate, invalid, not_found

USER_KIND = "admin#directory#user"
BASIC_FIELDS = (
    "kind",
    "id",
    "etag",
    "primaryEmail",
    "name",
    "isAdmin",
    "isDelegatedAdmin",
    "lastLoginTime",
    "creationTime",
    "agreedToTerms",
    "suspended",
    "suspensionReason",
    "archived",
    "changePasswordAtNextLogin",
    "ipWhitelisted",
    "emails",
    "aliases",
    "nonEditableAliases",
    "customerId",
    "orgUnitPath",
    "isMailboxSetup",
    "includeInGlobalAddressList",
    "externalIds",
    "organizations",
)
USER_WRITABLE = {
    "primaryEmail",
    "name",
    "password",
    "hashFunction",
    "changePasswordAtNextLogin",
    "suspended",
    "orgUnitPath",
    "externalIds",
    "organizations",
    "includeInGlobalAddressList",
    "archived",
    "recoveryEmail",
    "notes",
}


def etag(value: Any) -> str:
    digest = hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()[:27]
    return f'"{digest}"'


def page_token(offset: int, scope: str) -> str:
    raw = json.dumps({"o": offset, "s": scope}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_offset(token: str | None, scope: str) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise invalid("pageToken") from None
    if not isinstance(data, dict) or data.get("s") != scope:
        raise invalid("pageToken")
    return int(data["o"])


def page_size(query: dict[str, str], default: int, largest: int) -> int:
    raw = query.get("maxResults")
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise invalid("maxResults") from None
    if size < 1:
        raise invalid("maxResults")
    return min(size, largest)


class Directory:
    """The customer's users, organisational units, groups and members."""

    def __init__(
        self, customer_id: str, domains: tuple[str, ...], delay: float, clock: Callable[[], float]
    ) -> None:
        self.customer_id = customer_id
        self.domains = tuple(d.lower() for d in domains)
        self.delay = delay
        self.clock = clock
        self.users: dict[str, dict[str, Any]] = {}
        self.born: dict[str, float] = {}  # user id -> when created (replication)
        self.passwords: dict[str, str] = {}
        self.sign_outs: dict[str, int] = {}
        self.orgunits: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.members: dict[str, dict[str, dict[str, Any]]] = {}
        self._next = 100000000000000000000
        self._owners: dict[str, tuple[str, str]] = {}  # address -> ("user"|"group", id)
        self.add_orgunit("/", "", "")

    # -- ids and look-ups ------------------------------------------------------------------

    def new_id(self) -> str:
        self._next += 7919
        return str(self._next)

    def address_owner(self, address: str) -> tuple[str, str] | None:
        """('user'|'group', id) of an e-mail address in use, primary or alias."""
        return self._owners.get(address.lower())

    def _index(self) -> None:
        self._owners = {}
        for uid, user in self.users.items():
            for address in [user["primaryEmail"], *user.get("aliases", [])]:
                self._owners[address] = ("user", uid)
        for gid, group in self.groups.items():
            self._owners[group["email"]] = ("group", gid)

    def user(self, key: str) -> dict[str, Any]:
        if key in self.users:
            return self.users[key]
        owner = self.address_owner(key)
        if owner is None or owner[0] != "user":
            raise not_found("userKey")
        return self.users[owner[1]]

    def group(self, key: str) -> dict[str, Any]:
        if key in self.groups:
            return self.groups[key]
        owner = self.address_owner(key)
        if owner is None or owner[0] != "group":
            raise not_found("groupKey")
        return self.groups[owner[1]]

    def visible(self, uid: str) -> bool:
        """Replicated: a user created less than ``delay`` ago is not yet in lists."""
        return self.clock() - self.born.get(uid, 0.0) >= self.delay

    def check_customer(self, customer: str | None, domain: str | None) -> None:
        if customer is None and domain is None:
            raise GoogleError(400, "badRequest", "Bad Request")
        if customer is not None and customer not in ("my_customer", self.customer_id):
            raise GoogleError(400, "badRequest", "Bad Request")
        if domain is not None and domain.lower() not in self.domains:
            raise GoogleError(403, "forbidden", "Not Authorized to access this resource/api")

    def check_address(self, address: Any, field: str) -> str:
        if not isinstance(address, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+", address):
            raise invalid(field)
        address = address.lower()
        if address.split("@")[1] not in self.domains:
            raise GoogleError(412, "conditionNotMet", "Domain not found.")
        return str(address)

    # -- users -----------------------------------------------------------------------------

    def insert_user(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid("user")
        unknown = set(body) - USER_WRITABLE
        if unknown:
            raise invalid(sorted(unknown)[0])
        address = self.check_address(body.get("primaryEmail"), "primary_user_email")
        name = body.get("name") or {}
        if not isinstance(name, dict) or not name.get("givenName") or not name.get("familyName"):
            raise invalid("Missing required field: name")
        password = body.get("password")
        if not isinstance(password, str) or not 8 <= len(password) <= 100:
            raise invalid("Password")
        if self.address_owner(address) is not None:
            raise duplicate()
        path = self.orgunit_path(body.get("orgUnitPath") or "/")
        uid = self.new_id()
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        user: dict[str, Any] = {
            "kind": USER_KIND,
            "id": uid,
            "primaryEmail": address,
            "isAdmin": False,
            "isDelegatedAdmin": False,
            "lastLoginTime": "1970-01-01T00:00:00.000Z",
            "creationTime": now,
            "agreedToTerms": False,
            "suspended": bool(body.get("suspended", False)),
            "archived": False,
            "changePasswordAtNextLogin": bool(body.get("changePasswordAtNextLogin", False)),
            "ipWhitelisted": False,
            "emails": [{"address": address, "primary": True}],
            "customerId": self.customer_id,
            "orgUnitPath": path,
            "isMailboxSetup": False,
            "includeInGlobalAddressList": True,
        }
        self._apply_user(user, {k: v for k, v in body.items() if k != "primaryEmail"})
        self.users[uid] = user
        self._owners[address] = ("user", uid)
        self.passwords[uid] = hashlib.sha256(password.encode()).hexdigest()
        self.born[uid] = self.clock()
        return self.show_user(user, "full")

    def patch_user(self, key: str, body: Any) -> dict[str, Any]:
        user = self.user(key)
        if not isinstance(body, dict):
            raise invalid("user")
        unknown = set(body) - USER_WRITABLE
        if unknown:
            raise invalid(sorted(unknown)[0])
        if "primaryEmail" in body:
            address = self.check_address(body["primaryEmail"], "primary_user_email")
            owner = self.address_owner(address)
            if owner is not None and owner != ("user", user["id"]):
                raise duplicate()
            if address != user["primaryEmail"]:
                user.setdefault("aliases", []).append(user["primaryEmail"])
                user["primaryEmail"] = address
                self._owners[address] = ("user", user["id"])
                user["emails"] = [{"address": address, "primary": True}]
        if "orgUnitPath" in body:
            user["orgUnitPath"] = self.orgunit_path(body["orgUnitPath"] or "/")
        if "password" in body:
            password = body["password"]
            if not isinstance(password, str) or not 8 <= len(password) <= 100:
                raise invalid("Password")
            self.passwords[user["id"]] = hashlib.sha256(password.encode()).hexdigest()
        self._apply_user(user, body)
        return self.show_user(user, "full")

    def _apply_user(self, user: dict[str, Any], body: dict[str, Any]) -> None:
        if "name" in body:
            name = {**user.get("name", {}), **(body["name"] or {})}
            if not name.get("givenName") or not name.get("familyName"):
                raise invalid("Missing required field: name")
            if len(name["givenName"]) > 60 or len(name["familyName"]) > 60:
                raise invalid("Name too long")
            name["fullName"] = f"{name['givenName']} {name['familyName']}"
            name.setdefault("displayName", name["fullName"])
            user["name"] = name
        if "suspended" in body:
            suspended = bool(body["suspended"])
            user["suspended"] = suspended
            if suspended:
                user["suspensionReason"] = "ADMIN"
            else:
                user.pop("suspensionReason", None)
        for field in ("externalIds", "organizations"):
            if field in body:
                value = body[field]
                if value is not None and not isinstance(value, list):
                    raise invalid(field)
                if value:
                    user[field] = value
                else:
                    user.pop(field, None)
        for field in ("changePasswordAtNextLogin", "includeInGlobalAddressList", "archived"):
            if field in body:
                user[field] = bool(body[field])
        user["etag"] = etag({k: v for k, v in user.items() if k != "etag"})

    def delete_user(self, key: str) -> None:
        user = self.user(key)
        uid = user["id"]
        del self.users[uid]
        for address in [user["primaryEmail"], *user.get("aliases", [])]:
            self._owners.pop(address, None)
        for members in self.members.values():
            members.pop(uid, None)
        for group in self.groups.values():
            group["directMembersCount"] = str(len(self.members.get(group["id"], {})))

    def sign_out(self, key: str) -> None:
        user = self.user(key)
        self.sign_outs[user["id"]] = self.sign_outs.get(user["id"], 0) + 1

    def show_user(self, user: dict[str, Any], projection: str) -> dict[str, Any]:
        shown = {k: v for k, v in user.items() if projection == "full" or k in BASIC_FIELDS}
        shown.setdefault("etag", etag(user))
        return shown

    def list_users(self, query: dict[str, str]) -> dict[str, Any]:
        self.check_customer(query.get("customer"), query.get("domain"))
        projection = query.get("projection", "basic")
        if projection not in ("basic", "full", "custom"):
            raise invalid("projection")
        match = search(query.get("query", ""))
        domain = (query.get("domain") or "").lower()
        found = [
            user
            for uid, user in self.users.items()
            if self.visible(uid)
            and match(user)
            and (not domain or user["primaryEmail"].endswith("@" + domain))
        ]
        found.sort(key=lambda u: u["primaryEmail"])
        scope = hashlib.sha1(json.dumps([query.get("query"), domain]).encode()).hexdigest()[:8]
        start = page_offset(query.get("pageToken"), scope)
        size = page_size(query, 100, 500)
        page = found[start : start + size]
        answer: dict[str, Any] = {
            "kind": "admin#directory#users",
            "etag": etag([u["id"] for u in page]),
            "users": [self.show_user(u, projection) for u in page],
        }
        if start + size < len(found):
            answer["nextPageToken"] = page_token(start + size, scope)
        if not page:
            del answer["users"]  # Google leaves an empty list out
        return answer

    # -- organisational units --------------------------------------------------------------

    def add_orgunit(self, path: str, name: str, description: str) -> dict[str, Any]:
        parent = path.rsplit("/", 1)[0] or "/"
        unit: dict[str, Any] = {
            "kind": "admin#directory#orgUnit",
            "name": name,
            "description": description,
            "orgUnitPath": path,
            "orgUnitId": "id:" + hashlib.sha1(path.encode()).hexdigest()[:12],
            "blockInheritance": False,
        }
        if path != "/":
            unit["parentOrgUnitPath"] = parent
            unit["parentOrgUnitId"] = self.orgunits[parent]["orgUnitId"]
        unit["etag"] = etag(unit)
        self.orgunits[path] = unit
        return unit

    def orgunit_path(self, key: str) -> str:
        """The path of an OU given by path (with or without the leading /) or by id."""
        if key.startswith("id:"):
            for path, unit in self.orgunits.items():
                if unit["orgUnitId"] == key:
                    return path
            raise invalid("INVALID_OU_ID")
        path = "/" + key.strip("/")
        if path not in self.orgunits:
            raise invalid("INVALID_OU_ID")
        return path

    def insert_orgunit(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            raise invalid("Missing required field: name")
        name = body["name"]
        if "/" in name or len(name) > 255:
            raise invalid("name")
        parent_key = body.get("parentOrgUnitPath") or body.get("parentOrgUnitId") or "/"
        try:
            parent = self.orgunit_path(parent_key)
        except GoogleError:
            raise GoogleError(400, "invalid", "Invalid Parent Orgunit Id") from None
        path = parent.rstrip("/") + "/" + name
        if path.lower() in {p.lower() for p in self.orgunits}:
            raise GoogleError(400, "invalid", "Invalid Ou Id")
        return self.add_orgunit(path, name, str(body.get("description") or ""))

    def list_orgunits(self, query: dict[str, str]) -> dict[str, Any]:
        kind = query.get("type", "children")
        base = self.orgunit_path(query.get("orgUnitPath") or "/")
        units = []
        for path, unit in sorted(self.orgunits.items()):
            if path == "/":
                continue
            inside = base == "/" or path.startswith(base + "/")
            if kind == "children" and unit.get("parentOrgUnitPath") != base:
                continue
            if kind in ("all", "allIncludingParent") and not inside and path != base:
                continue
            units.append(unit)
        answer: dict[str, Any] = {"kind": "admin#directory#orgUnits", "etag": etag(units)}
        if units:
            answer["organizationUnits"] = units
        return answer

    def patch_orgunit(self, key: str, body: Any) -> dict[str, Any]:
        path = self.orgunit_path(key)
        if path == "/" or not isinstance(body, dict):
            raise invalid("orgUnitPath")
        unit = self.orgunits[path]
        if "description" in body:
            unit["description"] = str(body["description"] or "")
        unit["etag"] = etag({k: v for k, v in unit.items() if k != "etag"})
        return unit

    def delete_orgunit(self, key: str) -> None:
        path = self.orgunit_path(key)
        if path == "/":
            raise invalid("orgUnitPath")
        if any(u["orgUnitPath"] == path for u in self.users.values()) or any(
            p.startswith(path + "/") for p in self.orgunits
        ):
            raise GoogleError(400, "failedPrecondition", "Org unit not empty")
        del self.orgunits[path]

    # -- groups and members ----------------------------------------------------------------

    def insert_group(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise invalid("group")
        address = self.check_address(body.get("email"), "email")
        if self.address_owner(address) is not None:
            raise duplicate()
        gid = "0" + hashlib.sha1(f"{address}{self.new_id()}".encode()).hexdigest()[:14]
        group: dict[str, Any] = {
            "kind": "admin#directory#group",
            "id": gid,
            "email": address,
            "name": str(body.get("name") or address.split("@")[0]),
            "description": str(body.get("description") or ""),
            "directMembersCount": "0",
            "adminCreated": True,
        }
        group["etag"] = etag(group)
        self.groups[gid] = group
        self._owners[address] = ("group", gid)
        self.members[gid] = {}
        return group

    def patch_group(self, key: str, body: Any) -> dict[str, Any]:
        group = self.group(key)
        if not isinstance(body, dict):
            raise invalid("group")
        for field in ("name", "description"):
            if field in body:
                group[field] = str(body[field] or "")
        group["etag"] = etag({k: v for k, v in group.items() if k != "etag"})
        return group

    def delete_group(self, key: str) -> None:
        group = self.group(key)
        del self.groups[group["id"]]
        self._owners.pop(group["email"], None)
        self.members.pop(group["id"], None)

    def list_groups(self, query: dict[str, str]) -> dict[str, Any]:
        self.check_customer(query.get("customer"), query.get("domain"))
        found = sorted(self.groups.values(), key=lambda g: g["email"])
        if "userKey" in query:
            uid = self.user(query["userKey"])["id"]
            found = [g for g in found if uid in self.members.get(g["id"], {})]
        start = page_offset(query.get("pageToken"), "groups")
        size = page_size(query, 200, 200)
        page = found[start : start + size]
        answer: dict[str, Any] = {"kind": "admin#directory#groups", "etag": etag(page)}
        if page:
            answer["groups"] = page
        if start + size < len(found):
            answer["nextPageToken"] = page_token(start + size, "groups")
        return answer

    def insert_member(self, group_key: str, body: Any) -> dict[str, Any]:
        group = self.group(group_key)
        if not isinstance(body, dict):
            raise invalid("member")
        key = body.get("id") or body.get("email")
        if not isinstance(key, str):
            raise invalid("memberKey")
        try:
            user = self.user(key)
        except GoogleError:
            raise not_found("memberKey") from None
        if not self.visible(user["id"]):
            raise not_found("memberKey")  # not replicated to the groups service yet
        members = self.members[group["id"]]
        if user["id"] in members:
            raise duplicate("Member already exists.")
        role = body.get("role", "MEMBER")
        if role not in ("MEMBER", "MANAGER", "OWNER"):
            raise invalid("role")
        member = {
            "kind": "admin#directory#member",
            "id": user["id"],
            "email": user["primaryEmail"],
            "role": role,
            "type": "USER",
            "status": "ACTIVE",
        }
        member["etag"] = etag(member)
        members[user["id"]] = member
        group["directMembersCount"] = str(len(members))
        return member

    def delete_member(self, group_key: str, member_key: str) -> None:
        group = self.group(group_key)
        members = self.members[group["id"]]
        try:
            uid = self.user(member_key)["id"]
        except GoogleError:
            uid = member_key
        if uid not in members:
            raise not_found("memberKey")
        del members[uid]
        group["directMembersCount"] = str(len(members))

    def list_members(self, group_key: str, query: dict[str, str]) -> dict[str, Any]:
        group = self.group(group_key)
        found = sorted(self.members[group["id"]].values(), key=lambda m: m["email"])
        scope = "members:" + group["id"]
        start = page_offset(query.get("pageToken"), scope)
        size = page_size(query, 200, 200)
        page = found[start : start + size]
        answer: dict[str, Any] = {"kind": "admin#directory#members", "etag": etag(page)}
        if page:
            answer["members"] = page
        if start + size < len(found):
            answer["nextPageToken"] = page_token(start + size, scope)
        return answer

    # -- state -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "passwords": self.passwords,
            "orgunits": self.orgunits,
            "groups": self.groups,
            "members": self.members,
            "next": self._next,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.users = data["users"]
        self.passwords = data["passwords"]
        self.orgunits = data["orgunits"]
        self.groups = data["groups"]
        self.members = data["members"]
        self._next = int(data["next"])
        self._index()


def search(query: str) -> Callable[[dict[str, Any]], bool]:
    """Google's user search, the clauses a provisioner uses: ``externalId:V``,
    ``email:V``, ``orgUnitPath='/a/b'``, ``isSuspended=true``; values may be quoted;
    clauses separated by spaces must all match."""
    clauses = re.findall(r"(\w+)\s*[:=]\s*('(?:[^'\\]|\\.)*'|\"[^\"]*\"|\S+)", query)
    if query.strip() and not clauses:
        raise invalid("query")
    wanted: list[tuple[str, str]] = []
    for field, raw in clauses:
        value = raw[1:-1].replace("\\'", "'") if raw[:1] in "'\"" else raw
        if field not in ("externalId", "email", "orgUnitPath", "isSuspended"):
            raise invalid("query")
        wanted.append((field, value))

    def one(user: dict[str, Any], field: str, value: str) -> bool:
        if field == "externalId":
            ids = user.get("externalIds") or []
            return any(str(e.get("value", "")).lower() == value.lower() for e in ids)
        if field == "email":
            return bool(user["primaryEmail"] == value.lower())
        if field == "orgUnitPath":
            return bool(user["orgUnitPath"] == value)
        return bool(user.get("suspended")) == (value.lower() == "true")

    return lambda user: all(one(user, field, value) for field, value in wanted)
