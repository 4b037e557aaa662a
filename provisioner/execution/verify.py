"""Verification: whether an operation reached the target, read from a snapshot of it.

Used for a write whose answer was lost (``OutcomeUnknown``) and for the operations that were
being sent when a process died: what landed is recorded as applied, never sent again. A
revocation counts as landed when a ``SessionTarget`` says one reached the account after
the operation was marked ``sending``.
"""

from __future__ import annotations

from datetime import UTC, date

from provisioner.execution.links import Links
from provisioner.planning.models import OpType
from provisioner.planning.planner import AccountLink
from provisioner.store.tables import JournalEntry
from provisioner.targets import SessionTarget, Target, TargetSnapshot

MEMBERSHIP = {OpType.ADD_MEMBER, OpType.REMOVE_MEMBER}
LIBRARY_OPS = {
    OpType.CREATE_SITE,
    OpType.CREATE_LIBRARY,
    OpType.GRANT_LIBRARY,
    OpType.REVOKE_LIBRARY,
}


def library_reached(
    op: OpType, entry: JournalEntry, snapshot: TargetSnapshot, links: Links
) -> bool:
    """Whether a site or library operation is done in the target (a lost answer, or a
    restart after it was sent); a site or library found is linked."""
    key, data = entry.object_key, entry.data
    if op is OpType.CREATE_SITE:
        site = next((s for s in snapshot.sites if s.key == key), None)
        if site is not None:
            links.set_other("site", key, site.remote_id)
        return site is not None
    library = next((lib for lib in snapshot.libraries if lib.key == key), None)
    if op is OpType.CREATE_LIBRARY:
        if library is not None:
            links.set_other("library", key, library.remote_id)
        return library is not None
    if library is None:
        return op is OpType.REVOKE_LIBRARY
    if op is OpType.GRANT_LIBRARY:
        group = next((g for g in snapshot.groups if g.key == entry.group_key), None)
        return group is not None and group.remote_id in library.grants.values()
    return data["grant_id"] not in library.grants


def reached_target(
    target: Target, today: date, entry: JournalEntry, snapshot: TargetSnapshot, links: Links
) -> bool:
    """Whether the operation of ``entry`` is done in the target, as ``snapshot`` shows it:
    for an operation whose answer was lost, or that was being sent when the process died.
    An object found is linked; ``today`` is the day a disabled account was disabled on."""
    op, key, data = OpType(entry.op_type), entry.object_key, entry.data
    by_key = {a.key: a for a in snapshot.accounts if a.key}
    groups_by_key = {g.key: g for g in snapshot.groups if g.key}
    account = by_key.get(key)
    if op is OpType.CREATE_ACCOUNT:
        if account is None:
            return False
        links.set_account(key, AccountLink(account.remote_id))
        return True
    if op is OpType.CREATE_GROUP:
        group = groups_by_key.get(key)
        if group is None:
            return False
        links.set_group(key, group.remote_id)
        return True
    if op is OpType.UPDATE_ACCOUNT:
        stored = target.stored_attributes
        return (
            account is not None
            and all(
                getattr(account, f) == data[f]
                for f in ("display_name", "given_name", "family_name", "username")
            )
            and all(
                account.attributes.get(k) == v
                for k, v in data["attributes"].items()
                if stored is None or k in stored  # what the target keeps (planner alike)
            )
        )
    if op is OpType.ENABLE_ACCOUNT:
        return account is not None and account.enabled
    if op is OpType.DISABLE_ACCOUNT:
        if account is None or not account.enabled:
            if account is not None:
                links.set_account(key, AccountLink(account.remote_id, today))
            return True
        return False
    if op is OpType.DELETE_ACCOUNT:
        if account is None:
            links.set_account(key, None)
            return True
        return False
    if op in MEMBERSHIP:
        group = groups_by_key.get(entry.group_key or "")
        member = (
            key.removeprefix("remote:")
            if key.startswith("remote:")
            else (account.remote_id if account else None)
        )
        if group is None or member is None:
            return op is OpType.REMOVE_MEMBER
        return (member in group.members) == (op is OpType.ADD_MEMBER)
    if op in (OpType.ASSIGN_LICENCE, OpType.REMOVE_LICENCE):
        if account is None:
            return op is OpType.REMOVE_LICENCE
        return (data["licence"] in account.licences) == (op is OpType.ASSIGN_LICENCE)
    if op in LIBRARY_OPS:
        return library_reached(op, entry, snapshot, links)
    if op is OpType.REVOKE_SESSIONS:
        if account is None:
            return True  # gone is done
        sent = entry.updated_at
        if sent is None or not isinstance(target, SessionTarget):
            return False  # cannot tell: revoking again changes nothing
        since = sent if sent.tzinfo else sent.replace(tzinfo=UTC)
        return target.sessions_revoked_since(account.remote_id, since)
    # links are store-only: just record them again
    return False


# -- applying ----------------------------------------------------------------------------
