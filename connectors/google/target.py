"""Google Workspace for Education as a provisioning target: users, units and groups.

Google is reached only through :class:`connectors.google.client.GoogleClient`. The mapping
(docs/google.md):

- the correlation key is an ``externalIds`` entry: ``{"type": "organization", "value":
  <employee number>}`` for staff, ``{"type": "custom", "customType": "sis", "value":
  <SIS id>}`` for pupils; an account is found by ``externalId:<value>`` and adopted;
- ``primaryEmail`` = ``<username>@<domain>`` (pupils: the pupil domain), names with their
  diacritics, ``organizations[0]``: ``title`` = role, ``department`` = locations (the
  attributes this target stores);
- ``orgUnitPath`` per location (and per class for pupils, :mod:`connectors.google.orgunits`);
  an account moved out of its unit by hand reads as changed and is moved back (drift);
- a leaver is suspended and signed out everywhere (``users.signOut``); Google keeps no date
  of suspension, so the grace period before deletion runs from the date the provisioner
  recorded (the planner's), not from anything read from Google.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.google.client import GoogleClient
from connectors.google.groups import Groups
from connectors.google.orgunits import OrgUnits
from connectors.passwords import initial_password
from provisioner.errors import RejectedError
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

MOVED = "(moved)"  # the locations a user reads as when it sits outside its unit


def external_id(kind: str, ident: str) -> dict[str, str]:
    if kind == "staff":
        return {"type": "organization", "value": ident}
    return {"type": "custom", "customType": "sis", "value": ident}


def key_of(user: Mapping[str, Any]) -> str | None:
    """``staff:<number>`` or ``pupil:<SIS id>`` from the user's externalIds."""
    for entry in user.get("externalIds") or []:
        if not isinstance(entry, dict) or not entry.get("value"):
            continue
        if entry.get("type") == "organization":
            return f"staff:{entry['value']}"
        if entry.get("type") == "custom" and entry.get("customType") == "sis":
            return f"pupil:{entry['value']}"
    return None


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class GoogleTarget(TargetDefaults):
    """Accounts, units and groups (``GroupTarget``)."""

    batch_size = 50  # members per add/remove call: one batch of Google's recommended size
    stored_attributes = frozenset({"kind", "role", "locations"})

    def __init__(
        self,
        name: str,
        client: GoogleClient,
        *,
        customer: str = "my_customer",
        domain: str,
        pupil_domain: str | None = None,
        group_domain: str | None = None,
        ou_root: str = "/Scholen",
        staff_ou: str = "Medewerkers",
        pupils_ou: str = "Leerlingen",
        pupil_ou_per_group: bool = True,
        location_names: Mapping[str, str] | None = None,
        parallel: int = 4,
    ) -> None:
        self.name = name
        self.client = client
        self.customer = customer
        self.domain = domain.lower()
        self.pupil_domain = (pupil_domain or domain).lower()
        self.parallel = parallel
        self.units = OrgUnits(
            client,
            customer=customer,
            root=ou_root,
            staff=staff_ou,
            pupils=pupils_ou,
            location_names=location_names or {},
        )
        self.groups_ = Groups(
            client,
            self.units,
            customer=customer,
            domain=group_domain or domain,
            per_group=pupil_ou_per_group,
        )
        self._units: dict[str, str] = {}  # user id -> orgUnitPath last seen
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        groups = self.groups_.read()  # first: a pupil's class unit follows its class group
        users = self._all_users()
        accounts = [self._account(user) for user in users]
        taken = set()
        for user in users:
            for address in [user.get("primaryEmail"), *(user.get("aliases") or [])]:
                if address:
                    taken.add(str(address).split("@")[0].lower())
        taken |= {(g.key and self.groups_.address(g.key).split("@")[0]) or "" for g in groups}
        sites, libraries = self._read_libraries(groups)
        return TargetSnapshot(accounts, groups, frozenset(taken - {""}), sites, libraries)

    def _all_users(self) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = []
        for page in self.client.pages(
            "directory",
            lambda s, token: s.users().list(
                customer=self.customer, projection="full", maxResults=500, pageToken=token
            ),
        ):
            users.extend(page.get("users") or [])
        return users

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        kind, _, ident = key.partition(":")
        found = []
        for page in self.client.pages(
            "directory",
            lambda s, token: s.users().list(
                customer=self.customer,
                projection="full",
                query=f"externalId:{_quote(ident)}",
                maxResults=500,
                pageToken=token,
            ),
        ):
            found += [u for u in page.get("users") or [] if key_of(u) == f"{kind}:{ident}"]
        return [self._account(user) for user in found]

    def find_groups(self, key: str) -> Sequence[RemoteGroup]:
        return self.groups_.find(key)

    # -- writing accounts ------------------------------------------------------------------

    def create_account(self, spec: AccountSpec) -> str:
        kind, _, ident = spec.key.partition(":")
        unit = self.units.home(kind, spec.attributes.get("locations", ""))
        self.units.ensure(unit)
        body = {
            **self._user_body(spec),
            "externalIds": [external_id(kind, ident)],
            "orgUnitPath": unit,
            "suspended": not spec.enabled,
            "password": initial_password(),
            "changePasswordAtNextLogin": True,
        }
        created = self.client.call("directory", lambda s: s.users().insert(body=body))
        if not isinstance(created, dict) or "id" not in created:
            raise RejectedError("Google created the user but returned no id")
        user_id = str(created["id"])
        with self._lock:
            self._units[user_id] = unit
            self.groups_.created[user_id] = time.monotonic()
            if kind == "pupil":
                self.groups_.pupils[user_id] = unit
        return user_id

    def update_account(self, remote_id: str, spec: AccountSpec) -> None:
        kind = spec.key.partition(":")[0]
        locations = spec.attributes.get("locations", "")
        body = self._user_body(spec)
        current = self._units.get(remote_id)
        if current is None:
            user = self.client.call("directory", lambda s: s.users().get(userKey=remote_id))
            current = str(user.get("orgUnitPath") or "/")
        unit = self._move_to(kind, locations, remote_id, current)
        if unit is not None:
            body["orgUnitPath"] = unit
            self.units.ensure(unit)
        self.client.call("directory", lambda s: s.users().patch(userKey=remote_id, body=body))
        if "orgUnitPath" in body:
            with self._lock:
                self._units[remote_id] = body["orgUnitPath"]
                if kind == "pupil":
                    self.groups_.pupils[remote_id] = body["orgUnitPath"]

    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        """A leaver is signed out everywhere, then suspended (``signOut`` may be sent again:
        it is idempotent); a returner is unsuspended."""
        if not enabled:
            self.client.call(
                "directory", lambda s: s.users().signOut(userKey=remote_id), idempotent=True
            )
        body = {"suspended": not enabled}
        self.client.call("directory", lambda s: s.users().patch(userKey=remote_id, body=body))

    def delete_account(self, remote_id: str) -> None:
        self.client.call("directory", lambda s: s.users().delete(userKey=remote_id))

    # -- groups ----------------------------------------------------------------------------

    def create_group(self, spec: GroupSpec) -> str:
        return self.groups_.create(spec)

    def add_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        if member_remote_ids:
            self.groups_.add(group_remote_id, member_remote_ids)

    def remove_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        if member_remote_ids:
            self.groups_.remove(group_remote_id, member_remote_ids)

    def close(self) -> None:
        self.client.close()

    # -- internals -------------------------------------------------------------------------

    def _read_libraries(
        self, groups: Sequence[RemoteGroup]
    ) -> tuple[list[RemoteSite], list[RemoteLibrary]]:
        """The shared drives and folders (none: this target keeps no drives)."""
        return [], []

    def _move_to(self, kind: str, locations: str, user_id: str, current: str) -> str | None:
        """The unit an account must move to, None where it is right: a pupil in a class
        group belongs in the class's unit, anyone else in the home of the first location (a
        pupil without a class: anywhere under it)."""
        wanted = self.groups_.class_units.get(user_id) if kind == "pupil" else None
        if wanted is not None:
            return None if current == wanted else wanted
        if self.units.fits(kind, locations, current):
            return None
        return self.units.home(kind, locations)

    def _user_body(self, spec: AccountSpec) -> dict[str, Any]:
        kind = spec.key.partition(":")[0]
        domain = self.pupil_domain if kind == "pupil" else self.domain
        organization = {
            "primary": True,
            "type": "school" if kind == "pupil" else "work",
            "title": spec.attributes.get("role", ""),
            "department": spec.attributes.get("locations", ""),
        }
        return {
            "primaryEmail": f"{spec.username}@{domain}",
            "name": {
                "givenName": spec.given_name,
                "familyName": spec.family_name,
                "displayName": spec.display_name,
            },
            "organizations": [organization],
        }

    def _account(self, user: Mapping[str, Any]) -> RemoteAccount:
        key = key_of(user)
        kind = key.partition(":")[0] if key else ""
        organization = next(
            (
                o
                for o in user.get("organizations") or []
                if isinstance(o, dict) and o.get("primary")
            ),
            {},
        )
        unit = str(user.get("orgUnitPath") or "/")
        user_id = str(user["id"])
        locations = str(organization.get("department") or "")
        if key is not None:
            with self._lock:
                self._units[user_id] = unit
                if kind == "pupil":
                    self.groups_.pupils[user_id] = unit
            if locations and self._move_to(kind, locations, user_id, unit) is not None:
                locations = MOVED  # drift: moved out of its unit by hand
        attributes = {
            name: value
            for name, value in (
                ("kind", kind),
                ("role", str(organization.get("title") or "")),
                ("locations", locations),
            )
            if value
        }
        name = user.get("name") or {}
        return RemoteAccount(
            remote_id=user_id,
            key=key,
            username=str(user.get("primaryEmail") or "").split("@")[0],
            display_name=str(name.get("displayName") or name.get("fullName") or ""),
            given_name=str(name.get("givenName") or ""),
            family_name=str(name.get("familyName") or ""),
            enabled=not bool(user.get("suspended")),
            attributes=attributes,
            licences=self._licences_of(user_id, str(user.get("primaryEmail") or "")),
        )

    def _licences_of(self, user_id: str, address: str) -> frozenset[str]:
        """The licences the account holds (none: this target keeps no licences)."""
        return frozenset()
