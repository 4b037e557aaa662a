"""Active Directory as a provisioning target: accounts, AGDLP groups, file shares and ACLs.

Mapping (docs/ad.md):

- an account is a ``user`` in ``OU=Staff`` or ``OU=Pupils`` of its location's OU; its
  correlation key is ``employeeType:employeeID`` (``staff:100001``); ``userPrincipalName`` =
  ``mail`` = ``<username>@<domain>``; ``sAMAccountName`` is the username cut to 20
  characters (made unique with a number); ``title`` = role, ``department`` = locations;
- enabled and disabled through the ``ACCOUNTDISABLE`` bit of ``userAccountControl``;
- a new account gets a random password, set over the TLS connection, never logged or kept,
  and must change it at first logon (``pwdLastSet`` = 0): nobody knows it. The person gets
  their first password from the board's ICT desk (:meth:`ADTarget.reset_password`, after an
  identity check) or from self-service password reset;
- every access group of the policy is a **global** security group (AGDLP's "G") whose key is
  kept in ``info``; file shares, with a domain-local group per folder, are
  :mod:`connectors.ad.share_target`.

A write whose answer was lost (the transport raises ``OutcomeUnknown``, never sending it
again) fails the verb, and the executor verifies by the object's key. Inside
``create_account`` the target settles it itself, so a half-made account is not left behind:
a lost ``add`` is looked up by the account's key (found: the create goes on with it; not
found: ``OutcomeUnknown``), a lost managed OU by its DN, a lost password step by
``pwdLastSet`` (0 before the first password, its time after, 0 again once it must be
changed; one that did not land is set to a fresh random password), and the enable step reads
``userAccountControl`` before it writes. ``update_account`` checks a lost change of the
attributes against the entry before it goes on to the rename.

Which groups are authoritative is configurable (``authoritative_groups``, key patterns): in
those, a member the provisioner did not add is reported to the planner, which removes it
and records it in the run's outcomes; in the others such members are left alone.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection
from ldap3.core import exceptions as ldap_errors

from connectors.ad import layout, passwords
from connectors.ad.accounts import KINDS, USER_ATTRIBUTES, remote_account, user_attributes
from connectors.ad.client import ADClient, Entry, first, values
from connectors.ad.layout import Layout, filter_value, rdn
from provisioner.errors import AlreadyExistsError, NotFoundError, OutcomeUnknown, RejectedError
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

log = logging.getLogger(__name__)

GROUP_ATTRIBUTES = (
    "objectGUID", "objectSid", "info", "displayName", "description", "member",
    "adminDescription", "sAMAccountName",
)  # fmt: skip
GLOBAL_SECURITY = -2147483646  # 0x80000002
DOMAIN_LOCAL_SECURITY = -2147483644  # 0x80000004


@dataclass
class _Read:
    """What one read of the directory saw, for the file-share part of the snapshot."""

    groups: dict[str, Entry] = field(default_factory=dict)  # GUID -> entry
    dn_to_guid: dict[str, str] = field(default_factory=dict)
    accounts: set[str] = field(default_factory=set)  # GUIDs of the accounts it manages


class ADTarget(TargetDefaults):
    """A target connector for on-premises Active Directory: accounts and groups (a
    ``GroupTarget``; no licences, and no sessions: AD cannot end Kerberos tickets already
    issued). With file shares: :class:`connectors.ad.share_target.ADShareTarget`."""

    batch_size = 50
    stored_attributes = frozenset({"kind", "role", "locations", "expires"})

    def __init__(
        self,
        name: str,
        client: ADClient,
        *,
        base_dn: str,
        domain: str,
        pupil_domain: str | None = None,
        managed_ou: str = "Provisioner",
        authoritative_groups: Sequence[str] = ("*",),
    ) -> None:
        self.name = name
        self.client = client
        self.layout = Layout(base_dn, managed_ou)
        self.domain = domain
        self.pupil_domain = pupil_domain or domain
        self.authoritative_groups = tuple(authoritative_groups)
        self._domain_sid: str | None = None
        self._known_ous: set[str] = set()

    def close(self) -> None:
        self.client.close()

    # -- reading -----------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        users = self.client.search(
            self.layout.base_dn, "(&(objectCategory=person)(objectClass=user))", USER_ATTRIBUTES
        )
        taken: set[str] = set()
        accounts = []
        dn_to_guid: dict[str, str] = {}
        for user in users:
            dn_to_guid[user["dn"].lower()] = layout.guid_text(user["objectguid"])
            for name in (first(user, "sAMAccountName"), first(user, "userPrincipalName"),
                         first(user, "mail")):  # fmt: skip
                if name:
                    taken.add(name.split("@")[0].lower())
            managed = user["dn"].lower().endswith(self.layout.root.lower())
            if first(user, "employeeType") in KINDS or managed:
                accounts.append(self._account(user))
        read = _Read(dn_to_guid=dn_to_guid, accounts={a.remote_id for a in accounts})
        groups = self._read_groups(read)
        sites, libraries = self._read_libraries(read)
        return TargetSnapshot(accounts, groups, frozenset(taken), sites, libraries)

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        kind, _, ident = key.partition(":")
        found = self.client.search(
            self.layout.base_dn,
            f"(&(objectCategory=person)(objectClass=user)(employeeType={filter_value(kind)})"
            f"(employeeID={filter_value(ident)}))",
            USER_ATTRIBUTES,
        )
        return [self._account(user) for user in found]

    def find_groups(self, key: str) -> Sequence[RemoteGroup]:
        found = self.client.search(
            self.layout.base_dn,
            f"(&(objectClass=group)(info={filter_value(layout.GROUP_MARK + key)}))",
            GROUP_ATTRIBUTES,
        )
        return [self._group(group, self._member_guids(group, {})) for group in found]

    def find_by_name(self, text: str) -> Sequence[RemoteAccount]:
        """Accounts whose display name is ``text`` exactly (any character is literal)."""
        found = self.client.search(
            self.layout.base_dn,
            f"(&(objectCategory=person)(objectClass=user)(displayName={filter_value(text)}))",
            USER_ATTRIBUTES,
        )
        return [self._account(user) for user in found]

    def distinguished_name(self, remote_id: str) -> str:
        return self._dn(remote_id)

    # -- accounts ------------------------------------------------------------------------------

    def create_account(self, spec: AccountSpec) -> str:
        kind, _, ident = spec.key.partition(":")
        if kind not in KINDS or not ident or not spec.username:
            raise RejectedError("an account needs a staff: or pupil: key and a username")
        self.client.guard("create_account")
        if self.find_accounts(spec.key):
            raise AlreadyExistsError(f"an account with key {spec.key} exists")
        upn = self._upn(spec)
        if self._exists(f"(userPrincipalName={filter_value(upn)})"):
            raise AlreadyExistsError(f"username {spec.username} is in use")
        sam = self._free_sam(spec.username, None)
        parent = self.layout.account_ou(kind, layout.primary_location(dict(spec.attributes)))
        self._ensure_ous(parent)
        attributes = {
            "sAMAccountName": sam,
            "userPrincipalName": upn,
            "employeeID": ident,
            "employeeType": kind,
            "userAccountControl": layout.UAC_NORMAL | layout.UAC_DISABLED,
            **self._name_attributes(spec),
        }
        dn = f"{rdn('CN', spec.display_name)},{parent}"
        try:
            try:
                self._add(dn, ["top", "person", "organizationalPerson", "user"], attributes)
            except AlreadyExistsError:  # another person with the same name in this OU
                dn = f"{rdn('CN', f'{spec.display_name} ({sam})')},{parent}"
                self._add(dn, ["top", "person", "organizationalPerson", "user"], attributes)
        except OutcomeUnknown:  # the add may have landed: look it up by its key
            landed = self.find_accounts(spec.key)
            if not landed:
                raise
            dn = self._dn(landed[0].remote_id)
        passwords.first_password(self.client, dn)
        if spec.enabled:
            try:
                self._set_uac(dn, enabled=True)
            except OutcomeUnknown:  # reads first: sends only if the lost one did not land
                self._set_uac(dn, enabled=True)
        created = self.client.read_entry(dn, ["objectGUID"])
        log.info("%s: account created", self.name)
        return layout.guid_text(created["objectguid"])

    def update_account(self, remote_id: str, spec: AccountSpec) -> None:
        entry = self._user(remote_id)
        dn = entry["dn"]
        kind, _, ident = spec.key.partition(":")
        changes: dict[str, object] = {**self._name_attributes(spec)}
        if kind in KINDS and ident:
            changes |= {"employeeType": kind, "employeeID": ident}
        upn = self._upn(spec)
        if upn.lower() != first(entry, "userPrincipalName").lower():
            clash = self.client.search(
                self.layout.base_dn, f"(userPrincipalName={filter_value(upn)})", ["objectGUID"]
            )
            if any(layout.guid_text(c["objectguid"]) != remote_id for c in clash):
                raise AlreadyExistsError(f"username {spec.username} is in use")
            changes["userPrincipalName"] = upn
            changes["sAMAccountName"] = self._free_sam(spec.username, remote_id)
        modify = {
            name: [(MODIFY_REPLACE, [value] if value != "" else [])]
            for name, value in changes.items()
        }
        try:
            self.client.modify("update_account", dn, modify)
        except OutcomeUnknown:  # go on to the rename only if the change landed
            now = self._entry(remote_id, list(changes))
            if any(first(now, name) != str(value) for name, value in changes.items()):
                raise
        self._place(entry, spec)

    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        self._set_uac(self._dn(remote_id), enabled=enabled)

    def reset_password(self, remote_id: str, password: str, *, must_change: bool = True) -> None:
        """The ICT desk's reset (after checking who asks): over TLS, never logged."""
        passwords.set_password(self.client, self._dn(remote_id), password, must_change=must_change)

    def delete_account(self, remote_id: str) -> None:
        dn = self._dn(remote_id)
        self.client.delete("delete_account", dn)

    # -- groups ----------------------------------------------------------------------------------

    def create_group(self, spec: GroupSpec) -> str:
        self.client.guard("create_group")
        if self.find_groups(spec.key):
            raise AlreadyExistsError(f"a group with key {spec.key} exists")
        return self._create_group(
            layout.group_sam_name("GG", spec.key),
            GLOBAL_SECURITY,
            info=layout.GROUP_MARK + spec.key,
            display_name=spec.display_name,
            description=spec.description,
        )

    def add_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        group = self._entry(group_remote_id, ["member"])
        have = {dn.lower() for dn in values(group, "member")}
        new = [dn for dn in (self._dn(m) for m in member_remote_ids) if dn.lower() not in have]
        if new:
            self.client.modify("add_members", group["dn"], {"member": [(MODIFY_ADD, new)]})

    def remove_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        group = self._entry(group_remote_id, ["member"])
        have = {dn.lower(): dn for dn in values(group, "member")}
        gone = []
        for member in member_remote_ids:
            try:
                dn = self._dn(member)
            except NotFoundError:
                continue  # deleted meanwhile: no longer a member
            if dn.lower() in have:
                gone.append(have[dn.lower()])
        if gone:
            self.client.modify("remove_members", group["dn"], {"member": [(MODIFY_DELETE, gone)]})

    # -- internals: accounts ---------------------------------------------------------------

    def _account(self, user: Entry) -> RemoteAccount:
        return remote_account(user)

    def _upn(self, spec: AccountSpec) -> str:
        domain = self.pupil_domain if spec.key.startswith("pupil:") else self.domain
        return f"{spec.username}@{domain}"

    def _name_attributes(self, spec: AccountSpec) -> dict[str, object]:
        return user_attributes(spec, self._upn(spec))

    def _free_sam(self, username: str, own_id: str | None) -> str:
        for attempt in range(100):
            sam = layout.sam_account_name(username, attempt)
            holders = self.client.search(
                self.layout.base_dn, f"(sAMAccountName={filter_value(sam)})", ["objectGUID"]
            )
            if all(layout.guid_text(h["objectguid"]) == own_id for h in holders):
                return sam
        raise RejectedError("no free sAMAccountName for this username")

    def _place(self, entry: Entry, spec: AccountSpec) -> None:
        """Move the account to its location's OU (a location change, or an adopted account
        outside the managed OUs), and rename it after its display name."""
        dn = str(entry["dn"])
        kind = spec.key.partition(":")[0]
        location = layout.primary_location(dict(spec.attributes))
        if kind not in KINDS or (location is None and kind == "staff"):
            return  # no current location: the account stays where it is
        parent = self.layout.account_ou(kind, location)
        sam = first(entry, "sAMAccountName")
        names = (spec.display_name.lower(), f"{spec.display_name} ({sam})".lower())
        if _parent(dn).lower() == parent.lower() and first(entry, "cn").lower() in names:
            return
        self._ensure_ous(parent)

        def move(conn: Connection) -> None:
            try:
                conn.modify_dn(dn, rdn("CN", spec.display_name), new_superior=parent)
            except ldap_errors.LDAPEntryAlreadyExistsResult:  # a namesake lives there
                conn.modify_dn(dn, rdn("CN", f"{spec.display_name} ({sam})"), new_superior=parent)

        self.client.write("move_account", move)

    def _set_uac(self, dn: str, *, enabled: bool) -> None:
        current = int(first(self.client.read_entry(dn, ["userAccountControl"]),
                            "userAccountControl", "512"))  # fmt: skip
        wanted = current & ~layout.UAC_PASSWD_NOTREQD | layout.UAC_NORMAL
        wanted = wanted & ~layout.UAC_DISABLED if enabled else wanted | layout.UAC_DISABLED
        if wanted != current:
            self.client.modify(
                "set_enabled", dn, {"userAccountControl": [(MODIFY_REPLACE, [wanted])]}
            )

    # -- internals: objects by GUID -----------------------------------------------------------

    def _entry(self, remote_id: str, attributes: Sequence[str]) -> Entry:
        try:
            guid_filter = layout.guid_filter(remote_id)
        except ValueError:
            raise NotFoundError(f"{remote_id} is not an AD object id") from None
        found = self.client.search(self.layout.base_dn, guid_filter, list(attributes))
        if not found:
            raise NotFoundError(f"no object {remote_id}")
        return found[0]

    def _dn(self, remote_id: str) -> str:
        return str(self._entry(remote_id, ["objectGUID"])["dn"])

    def _user(self, remote_id: str) -> Entry:
        return self._entry(remote_id, USER_ATTRIBUTES)

    def _exists(self, search_filter: str) -> bool:
        return bool(self.client.search(self.layout.base_dn, search_filter, ["objectGUID"]))

    def _add(self, dn: str, classes: list[str], attributes: dict[str, object]) -> None:
        clean = {name: value for name, value in attributes.items() if value not in ("", None)}
        self.client.add("add", dn, classes, clean)

    def _ensure_ous(self, dn: str) -> None:
        for ou in self.layout.ou_chain(dn):
            if ou.lower() in self._known_ous:
                continue
            if not self._ou_exists(ou):
                try:
                    with contextlib.suppress(AlreadyExistsError):
                        self._add(ou, ["top", "organizationalUnit"], {})
                except OutcomeUnknown:  # landed or not: the OU itself says
                    if not self._ou_exists(ou):
                        raise
            self._known_ous.add(ou.lower())

    def _ou_exists(self, dn: str) -> bool:
        return bool(self.client.search(dn, "(objectClass=organizationalUnit)", ["ou"], scope=BASE))

    # -- internals: groups -----------------------------------------------------------------

    def _create_group(
        self,
        sam: str,
        group_type: int,
        *,
        info: str,
        display_name: str,
        description: str,
        admin_description: str = "",
    ) -> str:
        parent = self.layout.groups_ou
        self._ensure_ous(parent)
        attributes: dict[str, object] = {
            "sAMAccountName": sam,
            "groupType": group_type,
            "info": info,
            "displayName": display_name,
            "description": description,
            "adminDescription": admin_description,
        }
        dn = f"{rdn('CN', sam)},{parent}"
        self._add(dn, ["top", "group"], attributes)
        return layout.guid_text(self.client.read_entry(dn, ["objectGUID"])["objectguid"])

    def _group(self, group: Entry, members: frozenset[str]) -> RemoteGroup:
        return RemoteGroup(
            remote_id=layout.guid_text(group["objectguid"]),
            key=first(group, "info").removeprefix(layout.GROUP_MARK) or None,
            display_name=first(group, "displayName"),
            description=first(group, "description"),
            members=members,
        )

    def _member_guids(self, group: Entry, known: dict[str, str]) -> frozenset[str]:
        out = set()
        for dn in values(group, "member"):
            guid = known.get(dn.lower())
            if guid is None:
                try:
                    entry = self.client.read_entry(dn, ["objectGUID"])
                except NotFoundError:
                    continue
                guid = layout.guid_text(entry["objectguid"])
                known[dn.lower()] = guid
            out.add(guid)
        return frozenset(out)

    def _domain(self) -> str:
        """The domain's SID, read once."""
        if self._domain_sid is None:
            entry = self.client.read_entry(self.layout.base_dn, ["objectSid"])
            self._domain_sid = layout.sid_text(entry["objectsid"])
        return self._domain_sid

    def _read_libraries(self, read: _Read) -> tuple[list[RemoteSite], list[RemoteLibrary]]:
        """The shares and folders (none: this target keeps no file shares)."""
        return [], []

    def _authoritative(self, key: str) -> bool:
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.authoritative_groups)

    def _read_groups(self, read: _Read) -> list[RemoteGroup]:
        found = self.client.search(
            self.layout.base_dn, "(&(objectClass=group)(info=provisioner:*))", GROUP_ATTRIBUTES
        )
        for group in found:
            guid = layout.guid_text(group["objectguid"])
            read.groups[guid] = group
            read.dn_to_guid[group["dn"].lower()] = guid
        groups = []
        for group in found:
            info = first(group, "info")
            if not info.startswith(layout.GROUP_MARK):
                continue
            members = self._member_guids(group, read.dn_to_guid)
            key = info.removeprefix(layout.GROUP_MARK)
            if not self._authoritative(key):
                # not authoritative: members added by hand stay, and the planner never sees them
                members = frozenset(m for m in members if m in read.accounts)
            groups.append(self._group(group, members))
        return groups


def _parent(dn: str) -> str:
    parts = layout.split_dn(dn)
    return ",".join(parts[1:])
