"""Microsoft 365 / Entra ID as a provisioning target: users, security groups, licences.

Graph is reached only through :class:`connectors.m365.client.GraphClient` (auth, retries,
``$batch``, error translation). This module maps the provisioner's accounts and groups onto
Graph objects (see docs/m365.md):

- a user's correlation key is ``employeeType:employeeId`` (``staff:100001``);
- ``userPrincipalName`` = ``mail`` = ``<username>@<domain>``, ``mailNickname`` = username;
- ``jobTitle`` = role, ``department`` = locations: the attributes this target stores;
- a managed group keeps its key in ``mailNickname`` (``prov.`` + escaped key).

Reading uses delta queries. With a ``delta_cache`` file the last state and the delta links
are kept, so a nightly run without changes reads only the (empty) changes; an expired delta
link (410) falls back to a full read.
"""

from __future__ import annotations

import json
import string
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.m365.client import BatchRequest, DeltaExpired, GraphClient
from connectors.passwords import initial_password
from provisioner.errors import AlreadyExistsError, NotFoundError, RejectedError
from provisioner.targets import (
    AccountSpec,
    GroupSpec,
    RemoteAccount,
    RemoteGroup,
    RemoteLibrary,
    RemoteSite,
    TargetDefaults,
    TargetSnapshot,
)

USER_FIELDS = (
    "id,userPrincipalName,mail,mailNickname,displayName,givenName,surname,accountEnabled,"
    "employeeId,employeeType,jobTitle,department,assignedLicenses"
)
GROUP_FIELDS = "id,displayName,description,mailNickname,groupTypes,members"
LIBRARY_TAG = "provisioner:"
GROUP_PREFIX = "prov."
SAFE = set(string.ascii_letters + string.digits + ".-")
DIRECTORY_OBJECT = "https://graph.microsoft.com/v1.0/directoryObjects/"


def group_nickname(key: str) -> str:
    """``loc:07XY00:care`` -> ``prov.loc_3a07XY00_3acare``: legal in mailNickname, reversible."""
    out = []
    for char in key:
        if char in SAFE:
            out.append(char)
        else:
            out.extend(f"_{byte:02x}" for byte in char.encode())
    return GROUP_PREFIX + "".join(out)


def group_key(nickname: str) -> str | None:
    if not nickname.startswith(GROUP_PREFIX):
        return None
    raw, data, i = nickname[len(GROUP_PREFIX) :], bytearray(), 0
    while i < len(raw):
        if raw[i] == "_":
            data.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            data.extend(raw[i].encode())
            i += 1
    return data.decode()


@dataclass
class _Tenant:
    """What the last read saw, kept between runs with the delta links."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    users_link: str | None = None
    groups_link: str | None = None


class M365Target(TargetDefaults):
    """A target connector for Microsoft 365 / Entra ID: accounts, groups, licences and
    sessions (``GroupTarget``, ``LicenceTarget``, ``SessionTarget``). With SharePoint
    libraries: :class:`connectors.m365.libraries.M365LibraryTarget`."""

    batch_size = 20  # members@odata.bind takes at most 20 per PATCH
    parallel = 32  # operations of one phase in flight at once (the client is thread-safe)
    stored_attributes = frozenset({"kind", "role", "locations"})

    def __init__(
        self,
        name: str,
        client: GraphClient,
        *,
        domain: str,
        pupil_domain: str | None = None,
        usage_location: str = "NL",
        delta_cache: Path | None = None,
    ) -> None:
        self.name = name
        self.client = client
        self.domain = domain
        self.pupil_domain = pupil_domain or domain
        self.usage_location = usage_location
        self.delta_cache = delta_cache
        self._skus: dict[str, str] | None = None  # part number -> sku id
        self._skus_lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        tenant = self._load_cache()
        try:
            self._read_users(tenant)
            self._read_groups(tenant)
        except DeltaExpired:
            tenant = _Tenant()
            self._read_users(tenant)
            self._read_groups(tenant)
        self._save_cache(tenant)
        accounts = [self._account(user) for user in tenant.users.values()]
        taken = set()
        for user in tenant.users.values():
            for value in (
                user.get("userPrincipalName"),
                user.get("mail"),
                user.get("mailNickname"),
            ):
                if value:
                    taken.add(str(value).split("@")[0].lower())
        managed = {
            group_id: group
            for group_id, group in tenant.groups.items()
            if (group.get("mailNickname") or "").startswith(GROUP_PREFIX)
        }
        groups = [
            RemoteGroup(
                remote_id=group_id,
                key=group_key(group.get("mailNickname") or ""),
                display_name=group.get("displayName") or "",
                description=group.get("description") or "",
                members=frozenset(tenant.members.get(group_id, ())),
            )
            for group_id, group in managed.items()
            if "Unified" not in (group.get("groupTypes") or [])
        ]
        site_groups = {
            group_id: group_key(group["mailNickname"]) or ""
            for group_id, group in managed.items()
            if "Unified" in (group.get("groupTypes") or [])
        }
        sites, libraries = self._read_libraries(site_groups)
        return TargetSnapshot(accounts, groups, frozenset(taken), sites, libraries)

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        kind, _, ident = key.partition(":")
        found = self.client.paged(
            "/users", {"$filter": f"employeeId eq '{_quote(ident)}'", "$select": USER_FIELDS}
        )
        return [self._account(user) for user in found if user.get("employeeType") == kind]

    def find_groups(self, key: str) -> Sequence[RemoteGroup]:
        nickname = group_nickname(key)
        found = self.client.paged(
            "/groups",
            {
                "$filter": f"mailNickname eq '{_quote(nickname)}'",
                "$select": "id,displayName,description,mailNickname",
            },
        )
        groups = []
        for group in found:
            members = {
                m["id"]
                for m in self.client.paged(f"/groups/{group['id']}/members", {"$select": "id"})
            }
            groups.append(
                RemoteGroup(
                    group["id"],
                    key,
                    group.get("displayName") or "",
                    group.get("description") or "",
                    frozenset(members),
                )
            )
        return groups

    # -- writing -----------------------------------------------------------------------------

    def create_account(self, spec: AccountSpec) -> str:
        body = {
            **self._user_body(spec),
            "accountEnabled": spec.enabled,
            "employeeId": spec.key.partition(":")[2],
            "usageLocation": self.usage_location,
            "passwordProfile": {
                "password": initial_password(),
                "forceChangePasswordNextSignIn": True,
            },
        }
        created = self.client.post("/users", body)
        if not created or "id" not in created:
            raise RejectedError("Graph created the user but returned no id")
        return str(created["id"])

    def update_account(self, remote_id: str, spec: AccountSpec) -> None:
        self.client.patch(f"/users/{remote_id}", self._user_body(spec))

    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        self.client.patch(f"/users/{remote_id}", {"accountEnabled": enabled})

    def revoke_sessions(self, remote_id: str) -> None:
        self.client.post(f"/users/{remote_id}/revokeSignInSessions", None)

    def sessions_revoked_since(self, remote_id: str, since: datetime) -> bool:
        """Did a revocation reach the user at or after ``since``? Graph keeps the time of the
        last one in ``signInSessionsValidFromDateTime`` (whole seconds, so ``since`` is taken
        to its second; a Graph clock running behind ours only makes a revoke be sent again).
        An older revocation, or the creation, in the very second before ``since`` would count
        as this one: sessions from before it are invalid already; a create and a revoke of one
        account in one second do not happen in a nightly run or an offboarding."""
        try:
            user = self.client.get(
                f"/users/{remote_id}", {"$select": "id,signInSessionsValidFromDateTime"}
            )
        except NotFoundError:
            return False
        stamp = user.get("signInSessionsValidFromDateTime")
        if not stamp:
            return False
        valid_from = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        if valid_from.tzinfo is None:
            valid_from = valid_from.replace(tzinfo=UTC)
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        return valid_from >= since.replace(microsecond=0)

    def delete_account(self, remote_id: str) -> None:
        self.client.delete(f"/users/{remote_id}")

    def create_group(self, spec: GroupSpec) -> str:
        created = self.client.post(
            "/groups",
            {
                "displayName": spec.display_name,
                "description": spec.description,
                "mailEnabled": False,
                "securityEnabled": True,
                "mailNickname": group_nickname(spec.key),
            },
        )
        if not created or "id" not in created:
            raise RejectedError("Graph created the group but returned no id")
        return str(created["id"])

    def add_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        """Up to 20 in one all-or-nothing PATCH; if some are members already (a resend after a
        crash), add the rest one by one in a batch and treat "already a member" as done."""
        if not member_remote_ids:
            return
        try:
            self.client.patch(
                f"/groups/{group_remote_id}",
                {"members@odata.bind": [DIRECTORY_OBJECT + m for m in member_remote_ids]},
            )
        except AlreadyExistsError:
            requests = [
                BatchRequest(
                    str(n),
                    "POST",
                    f"/groups/{group_remote_id}/members/$ref",
                    {"@odata.id": DIRECTORY_OBJECT + member},
                )
                for n, member in enumerate(member_remote_ids)
            ]
            self._raise_first(self.client.batch(requests), ignore=(AlreadyExistsError,))

    def remove_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        requests = [
            BatchRequest(str(n), "DELETE", f"/groups/{group_remote_id}/members/{member}/$ref")
            for n, member in enumerate(member_remote_ids)
        ]
        self._raise_first(self.client.batch(requests), ignore=(NotFoundError,))

    def assign_licences(self, remote_id: str, add: Sequence[str], remove: Sequence[str]) -> None:
        skus = self._sku_ids()
        unknown = [name for name in (*add, *remove) if name not in skus]
        if unknown:
            raise RejectedError(f"the tenant has no subscription for {', '.join(unknown)}")
        self.client.post(
            f"/users/{remote_id}/assignLicense",
            {
                "addLicenses": [{"skuId": skus[name], "disabledPlans": []} for name in add],
                "removeLicenses": [skus[name] for name in remove],
            },
        )

    def _read_libraries(
        self, site_groups: dict[str, str]
    ) -> tuple[list[RemoteSite], list[RemoteLibrary]]:
        """The sites and libraries (none: this target keeps no libraries)."""
        return [], []

    def close(self) -> None:
        self.client.close()

    # -- internals ---------------------------------------------------------------------------

    def _user_body(self, spec: AccountSpec) -> dict[str, Any]:
        kind = spec.key.partition(":")[0]
        domain = self.pupil_domain if kind == "pupil" else self.domain
        address = f"{spec.username}@{domain}"
        return {
            "displayName": spec.display_name,
            "givenName": spec.given_name,
            "surname": spec.family_name,
            "userPrincipalName": address,
            "mail": address,
            "mailNickname": spec.username,
            "employeeType": kind,
            "jobTitle": spec.attributes.get("role"),
            "department": spec.attributes.get("locations"),
        }

    def _account(self, user: dict[str, Any]) -> RemoteAccount:
        kind, ident = user.get("employeeType"), user.get("employeeId")
        key = f"{kind}:{ident}" if kind in ("staff", "pupil") and ident else None
        attributes = {
            name: str(value)
            for name, value in (
                ("kind", kind),
                ("role", user.get("jobTitle")),
                ("locations", user.get("department")),
            )
            if value
        }
        names = {sku_id: name for name, sku_id in self._sku_ids().items()}
        licences = frozenset(
            names.get(lic["skuId"], lic["skuId"]) for lic in user.get("assignedLicenses") or []
        )
        return RemoteAccount(
            remote_id=str(user["id"]),
            key=key,
            username=str(user.get("userPrincipalName") or "").split("@")[0],
            display_name=user.get("displayName") or "",
            given_name=user.get("givenName") or "",
            family_name=user.get("surname") or "",
            enabled=bool(user.get("accountEnabled")),
            attributes=attributes,
            licences=licences,
        )

    def _sku_ids(self) -> dict[str, str]:
        """The tenant's subscriptions, read once: under a lock, so the licence phase's
        parallel workers do not each ask (and each retry a throttled answer early)."""
        with self._skus_lock:
            if self._skus is None:
                self._skus = {
                    str(sku["skuPartNumber"]): str(sku["skuId"])
                    for sku in self.client.paged(
                        "/subscribedSkus", {"$select": "skuId,skuPartNumber"}
                    )
                }
            return self._skus

    def _relative(self, link: str) -> str:
        """Delta links are kept relative to the Graph URL, so a cache survives a new host or
        port (the emulator's port changes between runs; a proxy may change the host)."""
        return link.removeprefix(self.client.settings.graph_url)

    def _read_users(self, tenant: _Tenant) -> None:
        items, link = self.client.delta("/users/delta", {"$select": USER_FIELDS}, tenant.users_link)
        tenant.users_link = self._relative(link)
        for item in items:
            if "@removed" in item:
                tenant.users.pop(item["id"], None)
            else:
                tenant.users[item["id"]] = {**tenant.users.get(item["id"], {}), **item}

    def _read_groups(self, tenant: _Tenant) -> None:
        items, link = self.client.delta(
            "/groups/delta", {"$select": GROUP_FIELDS}, tenant.groups_link
        )
        tenant.groups_link = self._relative(link)
        for item in items:
            group_id = item["id"]
            if "@removed" in item:
                tenant.groups.pop(group_id, None)
                tenant.members.pop(group_id, None)
                continue
            changes = item.pop("members@delta", [])
            tenant.groups[group_id] = {**tenant.groups.get(group_id, {}), **item}
            members = tenant.members.setdefault(group_id, set())
            for change in changes:
                if "@removed" in change:
                    members.discard(change["id"])
                else:
                    members.add(change["id"])

    def _load_cache(self) -> _Tenant:
        if self.delta_cache is None or not self.delta_cache.exists():
            return _Tenant()
        raw = json.loads(self.delta_cache.read_text(encoding="utf-8"))
        return _Tenant(
            users=raw["users"],
            groups=raw["groups"],
            members={k: set(v) for k, v in raw["members"].items()},
            users_link=raw["users_link"],
            groups_link=raw["groups_link"],
        )

    def _save_cache(self, tenant: _Tenant) -> None:
        if self.delta_cache is None:
            return
        body = {
            "users": tenant.users,
            "groups": tenant.groups,
            "members": {k: sorted(v) for k, v in tenant.members.items()},
            "users_link": tenant.users_link,
            "groups_link": tenant.groups_link,
        }
        temporary = self.delta_cache.with_suffix(".tmp")
        temporary.write_text(json.dumps(body), encoding="utf-8")
        temporary.replace(self.delta_cache)

    @staticmethod
    def _raise_first(results: Sequence[Any], ignore: tuple[type[Exception], ...]) -> None:
        for result in results:
            if result.error is not None and not isinstance(result.error, ignore):
                raise result.error


def _quote(value: str) -> str:
    """OData string literal: a single quote is written twice ("O'Brien")."""
    return value.replace("'", "''")
