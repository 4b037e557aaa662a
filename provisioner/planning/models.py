"""Desired state, operations and plans: the data that flows from policy to the executor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from provisioner.domain.models import PersonKind, PersonName, Role
from provisioner.planning.gc_pause import without_gc


class AccountState(StrEnum):
    ACTIVE = "active"  # works here now: enabled, with the access of their roles
    LEFT = "left"  # gone: disabled, no access; deleted after the grace period


@dataclass(frozen=True, slots=True)
class DesiredAccount:
    """What one person's account should be, in every target."""

    key: str  # staff:<employee number> | pupil:<SIS id>
    kind: PersonKind
    ident: str  # employee number or SIS id: the correlation key stored in the target
    name: PersonName
    state: AccountState
    left_on: date | None = None  # the last day of access, for LEFT
    roles: frozenset[Role] = frozenset()
    locations: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()  # keys of access groups
    licences: frozenset[str] = frozenset()  # set per target from its configuration
    attributes: Mapping[str, str] = field(default_factory=dict)
    username: str = ""  # assigned by naming before planning

    def with_username(self, username: str) -> DesiredAccount:
        """This account with ``username`` (what ``dataclasses.replace`` gives, without its
        cost: a board has a million of them)."""
        return DesiredAccount(
            self.key, self.kind, self.ident, self.name, self.state, self.left_on, self.roles,
            self.locations, self.groups, self.licences, self.attributes, username,
        )  # fmt: skip

    def with_licences(
        self, licences: frozenset[str], attributes: Mapping[str, str]
    ) -> DesiredAccount:
        """This account with a target's ``licences`` and ``attributes``."""
        return DesiredAccount(
            self.key, self.kind, self.ident, self.name, self.state, self.left_on, self.roles,
            self.locations, self.groups, licences, attributes, self.username,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class DesiredGroup:
    key: str  # e.g. "loc:07XY00:care", "class:K-07XY00-5b"
    display_name: str
    description: str
    location: str
    label: str = ""  # the name within its location: "Zorg (IB)", "Groep 5b" (library name)


class IssueKind(StrEnum):
    QUARANTINED = "quarantined"  # a source record failed: person left as is
    UNMAPPED_TITLE = "unmapped_title"
    UNKNOWN_TEACHER = "unknown_teacher"
    AMBIGUOUS = "ambiguous"  # more than one remote object carries the key
    ORPHAN_KEPT = "orphan_kept"  # missing from sources, left alone this run
    AWAITING_APPROVAL = "awaiting_approval"  # a deletion waits for the central office


@dataclass(frozen=True, slots=True)
class PlanIssue:
    """Something an admin should look at; never contains a name, only keys."""

    kind: IssueKind
    key: str
    message: str

    def describe(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True, slots=True)
class DesiredState:
    accounts: Mapping[str, DesiredAccount]
    groups: Mapping[str, DesiredGroup]
    #: keys whose source records failed: no operation may touch them this run
    frozen: frozenset[str] = frozenset()
    #: whether people missing from every source may be treated as gone this run
    orphans_may_leave: bool = True
    #: BRIN6 -> location name, for sites named after their school
    locations: Mapping[str, str] = field(default_factory=dict)
    issues: tuple[PlanIssue, ...] = ()

    @without_gc  # a million new objects without cycles
    def with_usernames(self, names: Mapping[str, str]) -> DesiredState:
        """Every account with its username from ``names`` (which has every key)."""
        accounts = {key: a.with_username(names[key]) for key, a in self.accounts.items()}
        return DesiredState(
            accounts, self.groups, self.frozen, self.orphans_may_leave, self.locations, self.issues
        )


class OpType(StrEnum):
    """Operation types, declared in the order the executor applies them."""

    CREATE_GROUP = "create_group"
    LINK_GROUP = "link_group"
    CREATE_SITE = "create_site"  # a location's SharePoint site
    CREATE_LIBRARY = "create_library"  # a document library for one access group
    GRANT_LIBRARY = "grant_library"  # the library shared with its access group
    LINK_ACCOUNT = "link_account"
    CREATE_ACCOUNT = "create_account"
    UPDATE_ACCOUNT = "update_account"
    ENABLE_ACCOUNT = "enable_account"
    DISABLE_ACCOUNT = "disable_account"
    REVOKE_SESSIONS = "revoke_sessions"
    ADD_MEMBER = "add_member"
    REMOVE_MEMBER = "remove_member"
    REVOKE_LIBRARY = "revoke_library"  # a grant on a managed library nobody asked for
    ASSIGN_LICENCE = "assign_licence"
    REMOVE_LICENCE = "remove_licence"
    DELETE_ACCOUNT = "delete_account"


PHASE: dict[OpType, int] = {op: index for index, op in enumerate(OpType)}


@dataclass(frozen=True, slots=True)
class Operation:
    """One change to one object in one target.

    ``key`` is the account or group the operation is about; membership operations name the
    group in ``group`` and the member in ``key`` (``remote:<id>`` for a member the provisioner
    does not manage). ``data`` is JSON-serialisable and never holds a secret.
    """

    type: OpType
    key: str
    group: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""

    def sort_key(self) -> tuple[int, str, str]:
        return (PHASE[self.type], self.group or "", self.key)

    def as_json(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "key": self.key,
            "group": self.group,
            "data": dict(self.data),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    target: str
    operations: tuple[Operation, ...]
    issues: tuple[PlanIssue, ...]  # found while planning this target (policy's are in DesiredState)
    #: managed accounts found in the target: the base for percentage thresholds
    managed_accounts: int
    managed_memberships: int

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for op in self.operations:
            counts[op.type.value] = counts.get(op.type.value, 0) + 1
        return counts

    def fingerprint(self) -> str:
        """The same operations give the same fingerprint: used to approve a stopped run."""
        digest = hashlib.sha256()
        for op in self.operations:
            digest.update(json.dumps(op.as_json(), sort_keys=True, default=str).encode())
            digest.update(b"\n")
        return digest.hexdigest()
