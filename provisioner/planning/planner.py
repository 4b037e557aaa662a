"""The planner: a pure diff of desired state against one target's actual state.

Correlation follows the rule every mature provisioner uses: an account is found through its
link (the remote id stored after the last write); failing that, through the correlation key
the target stores (employee number, SIS id): 0 matches -> create, 1 -> adopt (link it),
more -> stop for that person and report. A link whose remote object is gone is healed the
same way.

Leavers (002 §12): disable, revoke sessions, remove groups and licences at once; delete only
after the grace period, counted from the later of the last working day and the day the
account was disabled, so a back-dated leaver still gets the full period to save their mail.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from provisioner.domain.models import PersonKind
from provisioner.planning.gc_pause import without_gc
from provisioner.planning.models import (
    AccountState,
    DesiredAccount,
    DesiredState,
    IssueKind,
    Operation,
    OpType,
    Plan,
    PlanIssue,
)
from provisioner.planning.shared import (
    NO_DATA,
    CreateData,
    Index,
    in_order,
    keys_of,
    licence_data,
    names,
)
from provisioner.targets import RemoteAccount, RemoteGroup, TargetSnapshot

#: Attributes compared for updates; others a target reports are not ours to change.
NAME_FIELDS = ("display_name", "given_name", "family_name")


@dataclass(frozen=True, slots=True)
class AccountLink:
    remote_id: str
    disabled_on: date | None = None


@dataclass(frozen=True, slots=True)
class PlanOptions:
    today: date
    grace_days: int = 30
    pupil_grace_days: int = 30
    #: the target keeps access groups; without them no group or membership is planned
    supports_groups: bool = True
    supports_licences: bool = False
    supports_sessions: bool = False
    #: licences the provisioner manages; others on an account are left alone
    managed_licences: frozenset[str] = frozenset()
    #: remove members that the provisioner does not manage from managed groups (drift)
    remove_unmanaged_members: bool = True
    #: rename accounts whose assigned username changed (naming decides when)
    rename_accounts: bool = False
    #: the account attributes the target stores; others are not compared (None: all)
    stored_attributes: frozenset[str] | None = None
    #: the target keeps a document library per access group (SharePoint)
    supports_libraries: bool = False


def account_spec_data(account: DesiredAccount, enabled: bool) -> dict[str, Any]:
    display, given, family = names(account)
    return {
        "username": account.username,
        "display_name": display,
        "given_name": given,
        "family_name": family,
        "enabled": enabled,
        "attributes": dict(account.attributes),
    }


@without_gc
def plan_target(
    target: str,
    desired: DesiredState,
    snapshot: TargetSnapshot,
    account_links: Mapping[str, AccountLink],
    group_links: Mapping[str, str],
    options: PlanOptions,
) -> Plan:
    """Every operation needed to bring ``target`` from ``snapshot`` to ``desired``."""
    ops: list[Operation] = []
    issues: list[PlanIssue] = []
    today = options.today
    if not options.supports_groups:  # a SIS: access follows the role there
        desired = dataclasses.replace(desired, groups={})

    accounts, blocked = _resolve_accounts(desired, snapshot, account_links, ops, issues, today)
    groups = _resolve_groups(desired, snapshot, group_links, ops, issues)
    untouchable = set(desired.frozen | blocked)

    for key in sorted(keys_of(desired.accounts, account_links)):
        if key in untouchable:
            continue
        remote = accounts.get(key)
        wanted = desired.accounts.get(key)
        if wanted is None:
            if remote is None:
                continue
            if not desired.orphans_may_leave:
                untouchable.add(key)  # neither disabled nor stripped of its groups
                issues.append(
                    PlanIssue(
                        IssueKind.ORPHAN_KEPT,
                        key,
                        "not in any source, but a source had unreadable rows: left as is",
                    )
                )
                continue
            _plan_leaver(
                key,
                None,
                remote,
                account_links.get(key),
                PersonKind(key.split(":")[0]),
                options,
                ops,
            )
        elif wanted.state is AccountState.ACTIVE:
            _plan_active(wanted, remote, options, ops)
        elif remote is not None:
            _plan_leaver(
                key, wanted.left_on, remote, account_links.get(key), wanted.kind, options, ops
            )

    managed_memberships = _plan_memberships(desired, accounts, groups, untouchable, options, ops)
    if options.supports_libraries:
        _plan_libraries(desired, snapshot, groups, ops)

    return Plan(
        target=target,
        operations=in_order(ops),
        issues=tuple(issues),
        managed_accounts=sum(1 for remote in accounts.values() if remote is not None),
        managed_memberships=managed_memberships,
    )


def _resolve_accounts(
    desired: DesiredState,
    snapshot: TargetSnapshot,
    links: Mapping[str, AccountLink],
    ops: list[Operation],
    issues: list[PlanIssue],
    today: date,
) -> tuple[dict[str, RemoteAccount | None], set[str]]:
    index = Index(snapshot.accounts)
    resolved: dict[str, RemoteAccount | None] = {}
    blocked: set[str] = set()
    for key in keys_of(desired.accounts, links):
        link = links.get(key)
        remote = index.by_remote.get(link.remote_id) if link else None
        if remote is None:
            candidates = index.carrying(key)
            if len(candidates) > 1:
                blocked.add(key)
                issues.append(
                    PlanIssue(
                        IssueKind.AMBIGUOUS,
                        key,
                        f"{len(candidates)} accounts carry this key ("
                        + ", ".join(sorted(c.remote_id for c in candidates))
                        + "): nothing done until only one is left",
                    )
                )
                continue
            if candidates:
                remote = candidates[0]
                if key not in desired.frozen:
                    ops.append(
                        Operation(
                            OpType.LINK_ACCOUNT,
                            key,
                            data={
                                "remote_id": remote.remote_id,
                                "disabled_on": None if remote.enabled else today.isoformat(),
                            },
                            reason="stale link healed: found again by its key"
                            if link
                            else "adopted the existing account with this key",
                        )
                    )
        resolved[key] = remote
    return resolved, blocked


def _resolve_groups(
    desired: DesiredState,
    snapshot: TargetSnapshot,
    links: Mapping[str, str],
    ops: list[Operation],
    issues: list[PlanIssue],
) -> dict[str, RemoteGroup | None]:
    index = Index(snapshot.groups)
    resolved: dict[str, RemoteGroup | None] = {}
    for key in keys_of(desired.groups, links):
        remote = index.by_remote.get(links[key]) if key in links else None
        if remote is None:
            candidates = index.carrying(key)
            if len(candidates) > 1:
                issues.append(
                    PlanIssue(IssueKind.AMBIGUOUS, key, f"{len(candidates)} groups carry this key")
                )
                continue
            if candidates:
                remote = candidates[0]
                ops.append(
                    Operation(
                        OpType.LINK_GROUP,
                        key,
                        data={"remote_id": remote.remote_id},
                        reason="adopted the existing group with this key",
                    )
                )
            elif key in desired.groups:
                wanted = desired.groups[key]
                ops.append(
                    Operation(
                        OpType.CREATE_GROUP,
                        key,
                        data={
                            "display_name": wanted.display_name,
                            "description": wanted.description,
                        },
                        reason="new access group",
                    )
                )
        resolved[key] = remote
    return resolved


def _plan_active(
    wanted: DesiredAccount, remote: RemoteAccount | None, options: PlanOptions, ops: list[Operation]
) -> None:
    key = wanted.key
    if remote is None:
        ops.append(Operation(OpType.CREATE_ACCOUNT, key, data=CreateData(wanted), reason="joiner"))
        if options.supports_licences:
            ops.extend(
                Operation(
                    OpType.ASSIGN_LICENCE, key, data=licence_data(sku), reason="licence of role"
                )
                for sku in sorted(wanted.licences)
            )
        return

    display, given, family = names(wanted)
    changed = [
        f
        for f, value, now in (
            ("display_name", display, remote.display_name),
            ("given_name", given, remote.given_name),
            ("family_name", family, remote.family_name),
        )
        if value != now
    ]
    stored = options.stored_attributes
    if wanted.attributes != remote.attributes:  # else every attribute is as wanted
        changed += [
            f"attributes.{name}"
            for name, value in sorted(wanted.attributes.items())
            if (stored is None or name in stored) and remote.attributes.get(name) != value
        ]
    rename = options.rename_accounts and wanted.username and wanted.username != remote.username
    if rename:
        changed.append("username")
    if changed:
        spec = account_spec_data(wanted, True)
        if not rename:
            spec["username"] = remote.username
        ops.append(
            Operation(
                OpType.UPDATE_ACCOUNT,
                key,
                data={**spec, "remote_id": remote.remote_id, "changed": changed},
                reason="changed in the source: " + ", ".join(changed),
            )
        )
    if not remote.enabled:
        ops.append(Operation(OpType.ENABLE_ACCOUNT, key, data=NO_DATA, reason="works here (again)"))
    if options.supports_licences:
        _plan_licences(key, wanted.licences, remote, options, ops)


def _plan_leaver(
    key: str,
    left_on: date | None,
    remote: RemoteAccount,
    link: AccountLink | None,
    kind: PersonKind,
    options: PlanOptions,
    ops: list[Operation],
) -> None:
    today = options.today
    why = f"left on {left_on.isoformat()}" if left_on else "no longer in any source"
    if remote.enabled:
        last = {"left_on": left_on.isoformat()} if left_on else {}
        ops.append(Operation(OpType.DISABLE_ACCOUNT, key, data=last, reason=why))
        if options.supports_sessions:
            ops.append(Operation(OpType.REVOKE_SESSIONS, key, data=NO_DATA, reason=why))
    else:
        grace = timedelta(
            days=options.pupil_grace_days if kind is PersonKind.PUPIL else options.grace_days
        )
        disabled_on = link.disabled_on if link and link.remote_id == remote.remote_id else None
        if disabled_on is None:
            if link is not None and link.remote_id == remote.remote_id:
                ops.append(
                    Operation(
                        OpType.LINK_ACCOUNT,
                        key,
                        data={"remote_id": remote.remote_id, "disabled_on": today.isoformat()},
                        reason="found disabled: the grace period starts today",
                    )
                )
        elif today >= disabled_on + grace and (left_on is None or today >= left_on + grace):
            ops.append(
                Operation(
                    OpType.DELETE_ACCOUNT,
                    key,
                    data={"remote_id": remote.remote_id},
                    reason=f"{why}; disabled since {disabled_on.isoformat()}, grace period over",
                )
            )
    if options.supports_licences:
        _plan_licences(key, frozenset(), remote, options, ops)


def _plan_licences(
    key: str,
    wanted: frozenset[str],
    remote: RemoteAccount,
    options: PlanOptions,
    ops: list[Operation],
) -> None:
    if wanted == remote.licences:
        return  # nothing to assign, and every licence it has is wanted
    have = remote.licences & options.managed_licences
    ops.extend(
        Operation(OpType.ASSIGN_LICENCE, key, data=licence_data(sku), reason="licence of role")
        for sku in sorted(wanted - remote.licences)
    )
    ops.extend(
        Operation(OpType.REMOVE_LICENCE, key, data=licence_data(sku), reason="no role needs it")
        for sku in sorted(have - wanted)
    )


def _plan_libraries(
    desired: DesiredState,
    snapshot: TargetSnapshot,
    groups: Mapping[str, RemoteGroup | None],
    ops: list[Operation],
) -> None:
    """A site per location, a library per access group, shared with exactly that group.

    Libraries are never deleted (they hold documents); a group that is no longer wanted
    loses its members, and with them the access to its library.
    """
    sites = {site.key: site for site in snapshot.sites}
    libraries = {library.key: library for library in snapshot.libraries}
    for location in sorted({group.location for group in desired.groups.values()}):
        key = f"site:{location}"
        if key not in sites:
            name = desired.locations.get(location, location)
            ops.append(
                Operation(
                    OpType.CREATE_SITE, key, data={"display_name": name}, reason="new location"
                )
            )
    for key, group in sorted(desired.groups.items()):
        site = sites.get(f"site:{group.location}")
        library = libraries.get(key)
        if library is None:
            ops.append(
                Operation(
                    OpType.CREATE_LIBRARY,
                    key,
                    data={
                        "site": f"site:{group.location}",
                        "site_id": site.remote_id if site else None,
                        "display_name": group.label or group.display_name,
                        "description": f"provisioner:{key}",
                    },
                    reason="documents of this access group",
                )
            )
        remote_group = groups.get(key)
        granted_to_group = (
            library is not None
            and remote_group is not None
            and remote_group.remote_id in library.grants.values()
        )
        if not granted_to_group:
            # A library and a group that both exist already were shared before: a grant that
            # is gone or differs now (a permission, an ACL, a folder) was changed by hand.
            reason = (
                "permission of its access group missing or changed (drift): set again"
                if library is not None and remote_group is not None
                else "shared with its access group only"
            )
            ops.append(
                Operation(
                    OpType.GRANT_LIBRARY,
                    key,
                    group=key,
                    data={"library_id": library.remote_id if library else None},
                    reason=reason,
                )
            )
        if library is None:
            continue
        for grant, principal in sorted(library.grants.items()):
            if remote_group is None or principal != remote_group.remote_id:
                ops.append(
                    Operation(
                        OpType.REVOKE_LIBRARY,
                        key,
                        data={
                            "library_id": library.remote_id,
                            "grant_id": grant,
                            "principal": principal,
                        },
                        reason="shared by hand with someone else (drift): removed",
                    )
                )


def _plan_memberships(
    desired: DesiredState,
    accounts: Mapping[str, RemoteAccount | None],
    groups: Mapping[str, RemoteGroup | None],
    untouchable: frozenset[str] | set[str],
    options: PlanOptions,
    ops: list[Operation],
) -> int:
    key_of_remote = {
        remote.remote_id: key for key, remote in accounts.items() if remote is not None
    }
    members_wanted: dict[str, set[str]] = defaultdict(set)
    for key, account in desired.accounts.items():
        if account.state is AccountState.ACTIVE and key not in untouchable:
            for group in account.groups:
                members_wanted[group].add(key)

    managed_memberships = 0
    for group_key, remote_group in groups.items():
        actual: set[str] = set()
        if remote_group is not None:
            for remote_id in remote_group.members:
                member_key = key_of_remote.get(remote_id)
                if member_key is not None:
                    managed_memberships += 1
                actual.add(member_key or f"remote:{remote_id}")
        wanted = members_wanted.get(group_key, set())
        ops.extend(
            Operation(OpType.ADD_MEMBER, key, group_key, NO_DATA, "access of role")
            for key in sorted(wanted - actual)
        )
        for key in sorted(actual - wanted):
            if key in untouchable:
                continue
            if key.startswith("remote:"):
                if not options.remove_unmanaged_members:
                    continue
                reason = "not added by the provisioner (drift): removed"
            else:
                reason = "no longer needs this access"
            ops.append(Operation(OpType.REMOVE_MEMBER, key, group_key, NO_DATA, reason))
    return managed_memberships
