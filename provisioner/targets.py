"""The target connector interface: what the executor may ask of a target system.

A target is thin: it reads its current state and performs single, idempotent-minded verbs.
Deciding *what* to do is the planner's job; deciding create-or-adopt and healing stale links
is the executor's. Every verb raises the typed errors of :mod:`provisioner.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

# moved to provisioner.errors (the error taxonomy); still importable from here
from provisioner.errors import OutcomeUnknown as OutcomeUnknown


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What an account should look like.

    ``key`` is the board-wide key, ``staff:<employee number>`` or ``pupil:<SIS id>``. A
    connector stores it in its own correlation attribute (Entra: ``employeeId`` with the
    number and ``employeeType`` with the kind) and reports it back in ``RemoteAccount.key``.
    """

    key: str
    username: str  # the local part before the @ (UPN, mail and alias share it)
    display_name: str
    given_name: str
    family_name: str  # with tussenvoegsel: "van 't Hek"
    enabled: bool
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A managed group; ``key`` is stored in the target so the group can be found again."""

    key: str
    display_name: str
    description: str


@dataclass(frozen=True, slots=True)
class RemoteAccount:
    """An account as the target reports it."""

    remote_id: str
    key: str | None  # the correlation key stored on the object, if any
    username: str
    display_name: str
    given_name: str
    family_name: str
    enabled: bool
    attributes: Mapping[str, str] = field(default_factory=dict)
    licences: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RemoteGroup:
    remote_id: str
    key: str | None
    display_name: str
    description: str
    members: frozenset[str] = frozenset()  # remote ids of member accounts


@dataclass(frozen=True, slots=True)
class RemoteSite:
    """A location's document site; ``key`` is ``site:<BRIN6>``."""

    remote_id: str
    key: str


@dataclass(frozen=True, slots=True)
class RemoteLibrary:
    """A document library; ``key`` is the access group it belongs to. ``grants`` maps each
    permission on it that the provisioner may manage to the principal it was granted to."""

    remote_id: str
    key: str
    site: str  # the site's key
    grants: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TargetSnapshot:
    """The target's current state. ``taken_names`` holds every name in use, managed or not
    (UPN, mail and alias local parts), so naming can avoid collisions."""

    accounts: Sequence[RemoteAccount]
    groups: Sequence[RemoteGroup]
    taken_names: frozenset[str] = frozenset()
    sites: Sequence[RemoteSite] = ()
    libraries: Sequence[RemoteLibrary] = ()


class LibraryTarget(Protocol):
    """What a target with ``supports_libraries`` offers besides the ``Target`` verbs."""

    def create_site(self, key: str, display_name: str) -> str: ...

    def create_library(
        self, site_id: str, key: str, display_name: str, description: str
    ) -> str: ...

    def grant_library(self, library_id: str, group_id: str) -> None: ...

    def revoke_library(self, library_id: str, grant_id: str) -> None: ...


class Target(Protocol):
    """A system where accounts and group memberships are kept in step with the sources."""

    name: str
    #: The target supports licences (Microsoft 365); others ignore licence operations.
    supports_licences: bool
    #: The target can revoke sign-in sessions (Microsoft 365).
    supports_sessions: bool
    #: Optional: the attribute names of ``AccountSpec.attributes`` the target stores (and so
    #: reports back); the planner compares only these. Absent: all of them.
    #: Optional: ``supports_groups = False`` for a target without access groups (a SIS, where
    #: access follows the role): no group or membership operations are planned for it.
    #: Optional: ``supports_end_dates = True``: ``set_enabled(remote_id, False, left_on=day)``
    #: gets the last working day from HR (a SIS records the end of service, not just "off").
    #: Optional: ``batch_size``, how many members one ``add_members`` call may take (20).
    #: Optional: ``supports_libraries`` with ``create_site(key, display_name) -> id``,
    #: ``create_library(site_id, key, display_name, description) -> id``,
    #: ``grant_library(library_id, group_id)`` and ``revoke_library(library_id, grant_id)``:
    #: a document library per access group, shared with exactly that group.
    #: Optional, with ``supports_sessions``: ``sessions_revoked_since(remote_id, since) -> bool``
    #: says whether a revocation reached the account at or after ``since`` (an aware UTC time,
    #: when the revoke was being sent), so a revoke whose answer was lost, or that was in flight
    #: when the process died, is verified instead of sent again.

    def read(self) -> TargetSnapshot: ...

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        """All accounts carrying this correlation key (0, 1, or more: ambiguous)."""
        ...

    def find_groups(self, key: str) -> Sequence[RemoteGroup]: ...

    def create_account(self, spec: AccountSpec) -> str:
        """Create and return the remote id; AlreadyExistsError if the key or name is taken."""
        ...

    def update_account(self, remote_id: str, spec: AccountSpec) -> None: ...

    def set_enabled(self, remote_id: str, enabled: bool) -> None: ...

    def revoke_sessions(self, remote_id: str) -> None: ...

    def delete_account(self, remote_id: str) -> None: ...

    def create_group(self, spec: GroupSpec) -> str: ...

    def add_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        """Add members; members already present are not an error."""
        ...

    def remove_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        """Remove members; members already absent are not an error."""
        ...

    def assign_licences(
        self, remote_id: str, add: Sequence[str], remove: Sequence[str]
    ) -> None: ...


class SessionsTarget(Protocol):
    """What a target that can verify a revocation offers (see ``Target``)."""

    def sessions_revoked_since(self, remote_id: str, since: datetime) -> bool: ...
