"""Applying operations to a target: the write semantics, once for every target.

Create-or-adopt (an existing account with the key is adopted, a name taken by an account
the provisioner does not manage is a rejection), healing a stale link by the key, and
"already gone" as done for the verbs whose goal that is. An operation that needs a
capability the target lacks (a journal from before a configuration change) is rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from provisioner.errors import AlreadyExistsError, NotFoundError, RejectedError
from provisioner.execution.links import Links
from provisioner.execution.verify import LIBRARY_OPS, MEMBERSHIP
from provisioner.planning.models import OpType
from provisioner.planning.planner import AccountLink
from provisioner.store.tables import JournalEntry
from provisioner.targets import (
    AccountSpec,
    EndDateTarget,
    GroupSpec,
    GroupTarget,
    LibraryTarget,
    LicenceTarget,
    SessionTarget,
    Target,
)

#: Operations whose goal is reached when the account is gone.
GONE_IS_DONE = {
    OpType.DISABLE_ACCOUNT,
    OpType.REVOKE_SESSIONS,
    OpType.DELETE_ACCOUNT,
    OpType.REMOVE_LICENCE,
}


class Applier:
    """Sends operations to one target; ``today`` is the day a disabled account is
    disabled on (for its grace period)."""

    def __init__(self, target: Target, today: date) -> None:
        self.target = target
        self.today = today

    def apply(self, batch: list[JournalEntry], links: Links) -> str:
        """Send one unit (one operation, or a batch of members of one group); returns a note
        for the audit trail ("adopted the existing account", "already gone")."""
        op = OpType(batch[0].op_type)
        if op in MEMBERSHIP:
            return self._apply_membership(op, batch, links)
        (entry,) = batch
        if op in LIBRARY_OPS:
            return self._apply_library(op, entry, links)
        if op in (OpType.LINK_ACCOUNT, OpType.LINK_GROUP, OpType.CREATE_GROUP):
            return self._apply_link_or_group(op, entry, links)
        return self._apply_account(op, entry, links)

    def _apply_link_or_group(self, op: OpType, entry: JournalEntry, links: Links) -> str:
        """Links learned from the plan (store only), and new groups (create or adopt)."""
        key, data = entry.object_key, entry.data
        if op is OpType.LINK_ACCOUNT:
            disabled = data.get("disabled_on")
            links.set_account(
                key,
                AccountLink(data["remote_id"], date.fromisoformat(disabled) if disabled else None),
            )
            return ""
        if op is OpType.LINK_GROUP:
            links.set_group(key, data["remote_id"])
            return ""
        if op is OpType.CREATE_GROUP:
            spec = GroupSpec(key, data["display_name"], data["description"])
            groups = self.target
            if not isinstance(groups, GroupTarget):
                raise lacks(groups, GroupTarget, op)
            try:
                links.set_group(key, groups.create_group(spec))
                return ""
            except AlreadyExistsError:
                found = groups.find_groups(key)
                if len(found) != 1:
                    raise
                links.set_group(key, found[0].remote_id)
                return "adopted the existing group"
        raise RejectedError(f"unknown operation {op}")

    def _apply_account(self, op: OpType, entry: JournalEntry, links: Links) -> str:
        """The account verbs: create or adopt, update (healing a stale link), enable,
        disable (with HR's last day for an ``EndDateTarget``), revoke, delete, licences."""
        key, data = entry.object_key, entry.data
        target = self.target
        if op is OpType.CREATE_ACCOUNT:
            return self._create_or_adopt(key, data, links)
        if op is OpType.UPDATE_ACCOUNT:
            try:
                target.update_account(self._remote_id(key, links), spec_of(key, data))
                return ""
            except NotFoundError:
                if self._heal(key, links):
                    target.update_account(self._remote_id(key, links), spec_of(key, data))
                    return "stale link healed"
                note = self._create_or_adopt(key, data, links)
                return note or "re-created: the account had disappeared"
        if op is OpType.ENABLE_ACCOUNT:
            self._with_heal(key, links, lambda rid: target.set_enabled(rid, True))
            links.set_account(key, AccountLink(self._remote_id(key, links), None))
            return ""
        if op is OpType.DISABLE_ACCOUNT:
            left_on = data.get("left_on")
            last_day = date.fromisoformat(left_on) if left_on else None

            def disable(rid: str) -> None:
                if isinstance(target, EndDateTarget):  # a SIS records HR's last working day
                    target.end_service(rid, last_day)
                else:
                    target.set_enabled(rid, False)

            gone = self._with_heal(key, links, disable, gone_ok=True)
            if not gone:
                links.set_account(key, AccountLink(self._remote_id(key, links), self.today))
            return "already gone" if gone else ""
        if op is OpType.REVOKE_SESSIONS:
            sessions = self.target
            if not isinstance(sessions, SessionTarget):
                raise lacks(sessions, SessionTarget, op)
            gone = self._with_heal(key, links, sessions.revoke_sessions, gone_ok=True)
            return "already gone" if gone else ""
        if op is OpType.DELETE_ACCOUNT:
            gone = self._with_heal(key, links, target.delete_account, gone_ok=True)
            links.set_account(key, None)
            return "already gone" if gone else ""
        if op in (OpType.ASSIGN_LICENCE, OpType.REMOVE_LICENCE):
            sku = [data["licence"]]
            add, remove = (sku, []) if op is OpType.ASSIGN_LICENCE else ([], sku)
            licences = self.target
            if not isinstance(licences, LicenceTarget):
                raise lacks(licences, LicenceTarget, op)
            gone = self._with_heal(
                key,
                links,
                lambda rid: licences.assign_licences(rid, add, remove),
                gone_ok=op in GONE_IS_DONE,
            )
            return "already gone" if gone else ""
        raise RejectedError(f"unknown operation {op}")

    def _apply_library(self, op: OpType, entry: JournalEntry, links: Links) -> str:
        """Sites, libraries and their grants (SharePoint)."""
        target = self.target
        if not isinstance(target, LibraryTarget):
            raise lacks(target, LibraryTarget, op)
        key, data = entry.object_key, entry.data
        if op is OpType.CREATE_SITE:
            links.set_other("site", key, target.create_site(key, data["display_name"]))
            return ""
        if op is OpType.CREATE_LIBRARY:
            site_id = data.get("site_id") or links.others.get(("site", data["site"]))
            if not site_id:
                raise NotFoundError(f"site {data['site']} was not created (see its own operation)")
            created = target.create_library(site_id, key, data["display_name"], data["description"])
            links.set_other("library", key, created)
            return ""
        library_id: str | None = data.get("library_id") or links.others.get(("library", key))
        if not library_id:
            raise NotFoundError(f"library {key} was not created (see its own operation)")
        if op is OpType.GRANT_LIBRARY:
            group_id = links.groups.get(entry.group_key or "")
            if group_id is None:
                raise NotFoundError(
                    f"group {entry.group_key} was not created (see its own operation)"
                )
            target.grant_library(library_id, group_id)
            return ""
        try:
            target.revoke_library(library_id, data["grant_id"])
        except NotFoundError:
            return "already gone"
        return ""

    def missing_members(self, unit: list[JournalEntry], links: Links) -> list[JournalEntry]:
        """Members to add whose account does not exist: they fail alone, the batch goes on."""
        if OpType(unit[0].op_type) is not OpType.ADD_MEMBER:
            return []
        return [
            entry
            for entry in unit
            if not entry.object_key.startswith("remote:") and entry.object_key not in links.accounts
        ]

    def _apply_membership(self, op: OpType, batch: list[JournalEntry], links: Links) -> str:
        group_key = batch[0].group_key or ""
        group_id = links.groups.get(group_key)
        if group_id is None:
            raise NotFoundError(f"group {group_key} was not created (see its own operation)")
        members = []
        for entry in batch:
            if entry.object_key.startswith("remote:"):
                members.append(entry.object_key.removeprefix("remote:"))
            elif entry.object_key in links.accounts:
                members.append(links.accounts[entry.object_key].remote_id)
        target = self.target
        if not isinstance(target, GroupTarget):
            raise lacks(target, GroupTarget, op)
        if op is OpType.ADD_MEMBER:
            target.add_members(group_id, members)
        elif members:
            target.remove_members(group_id, members)
        return ""

    def _create_or_adopt(self, key: str, data: dict[str, Any], links: Links) -> str:
        spec = spec_of(key, data)
        try:
            links.set_account(key, AccountLink(self.target.create_account(spec)))
            return ""
        except AlreadyExistsError:
            found = self.target.find_accounts(key)
            if len(found) > 1:
                raise RejectedError(f"{len(found)} accounts carry key {key}") from None
            if not found:
                raise RejectedError(
                    f"username {spec.username} is taken by an account"
                    " the provisioner does not manage"
                ) from None
            links.set_account(key, AccountLink(found[0].remote_id))
            self.target.update_account(found[0].remote_id, spec)
            return "adopted the existing account"

    def _remote_id(self, key: str, links: Links) -> str:
        link = links.accounts.get(key)
        if link is None:
            raise NotFoundError(f"account {key} does not exist (see its own operation)")
        return link.remote_id

    def _heal(self, key: str, links: Links) -> bool:
        """Find the account again by its key after its link went stale."""
        found = self.target.find_accounts(key)
        if len(found) == 1:
            old = links.accounts.get(key)
            links.set_account(
                key, AccountLink(found[0].remote_id, old.disabled_on if old else None)
            )
            return True
        if len(found) > 1:
            raise RejectedError(f"{len(found)} accounts carry key {key}")
        return False

    def _with_heal(
        self, key: str, links: Links, call: Callable[[str], None], *, gone_ok: bool = False
    ) -> bool:
        """Call with the account's remote id, healing a stale link once. Returns True when the
        account is gone and ``gone_ok`` says that is the goal."""
        try:
            call(self._remote_id(key, links))
            return False
        except NotFoundError:
            if self._heal(key, links):
                call(self._remote_id(key, links))
                return False
            if gone_ok:
                return True
            raise


def spec_of(key: str, data: dict[str, Any]) -> AccountSpec:
    return AccountSpec(
        key=key,
        username=data["username"],
        display_name=data["display_name"],
        given_name=data["given_name"],
        family_name=data["family_name"],
        enabled=data.get("enabled", True),
        attributes=data.get("attributes", {}),
    )


def lacks(target: Target, capability: type, op: OpType) -> RejectedError:
    """An operation planned for a target without the capability it needs (a journal from
    before a configuration change): rejected, the run goes on."""
    return RejectedError(f"{target.name} is no {capability.__name__}: cannot {op.value}")
