"""The target connector interface: what the executor may ask of a target system.

A target is thin: it reads its current state and performs single, idempotent-minded verbs.
Deciding *what* to do is the planner's job; deciding create-or-adopt and healing stale links
is the executor's. Every verb raises the typed errors of :mod:`provisioner.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

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


class TargetDefaults:
    """The plain attributes every target declares, with their defaults; a target class
    inherits them and overrides what differs (``parallel = 8``, ``batch_size = 50``)."""

    #: How many operations of one phase the target takes at once (a thread-safe target).
    parallel: int = 1
    #: The attribute names of ``AccountSpec.attributes`` the target stores (and so reports
    #: back); the planner compares only these. None: all of them.
    stored_attributes: frozenset[str] | None = None
    #: How many members one ``add_members``/``remove_members`` call may take (a GroupTarget).
    batch_size: int = 20


@runtime_checkable
class AccountTarget(Protocol):
    """A system where accounts are kept in step with the sources: the verbs every target has.

    An account carries the board-wide key (``AccountSpec.key``) in its own correlation
    attribute and reports it back, so it can be found (``find_accounts``) and adopted again.
    A target made with ``dry_run`` refuses every write with ``DryRunRejected``. What else a
    target can do is a capability below, which it implements or not: the engine and the
    executor check them with ``isinstance`` and plan nothing a target cannot do.
    """

    name: str

    @property
    def parallel(self) -> int: ...

    @property
    def stored_attributes(self) -> frozenset[str] | None: ...

    def read(self) -> TargetSnapshot: ...

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        """All accounts carrying this correlation key (0, 1, or more: ambiguous)."""
        ...

    def create_account(self, spec: AccountSpec) -> str:
        """Create and return the remote id; AlreadyExistsError if the key or name is taken."""
        ...

    def update_account(self, remote_id: str, spec: AccountSpec) -> None: ...

    def set_enabled(self, remote_id: str, enabled: bool) -> None: ...

    def delete_account(self, remote_id: str) -> None: ...


#: The name most of the code knows the base by.
Target = AccountTarget


@runtime_checkable
class GroupTarget(AccountTarget, Protocol):
    """Access groups and their members (a SIS has none: access follows the role there)."""

    @property
    def batch_size(self) -> int: ...

    def find_groups(self, key: str) -> Sequence[RemoteGroup]: ...

    def create_group(self, spec: GroupSpec) -> str: ...

    def add_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        """Add members; members already present are not an error."""
        ...

    def remove_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        """Remove members; members already absent are not an error."""
        ...


@runtime_checkable
class LicenceTarget(AccountTarget, Protocol):
    """Licences on accounts (Microsoft 365)."""

    def assign_licences(
        self, remote_id: str, add: Sequence[str], remove: Sequence[str]
    ) -> None: ...


@runtime_checkable
class SessionTarget(AccountTarget, Protocol):
    """Sign-in sessions that can be revoked (Microsoft 365), and verified:
    ``sessions_revoked_since`` says whether a revocation reached the account at or after
    ``since`` (an aware UTC time, when the revoke was being sent), so a revoke whose answer
    was lost, or that was in flight when the process died, is verified instead of sent again.
    """

    def revoke_sessions(self, remote_id: str) -> None: ...

    def sessions_revoked_since(self, remote_id: str, since: datetime) -> bool: ...


@runtime_checkable
class LibraryTarget(GroupTarget, Protocol):
    """Document libraries (SharePoint; AD file shares): a site per location
    (``create_site(key, display_name) -> id``), a library per access group
    (``create_library(site_id, key, display_name, description) -> id``), shared with
    exactly that group (``grant_library``, ``revoke_library``)."""

    def create_site(self, key: str, display_name: str) -> str: ...

    def create_library(
        self, site_id: str, key: str, display_name: str, description: str
    ) -> str: ...

    def grant_library(self, library_id: str, group_id: str) -> None: ...

    def revoke_library(self, library_id: str, grant_id: str) -> None: ...


@runtime_checkable
class EndDateTarget(AccountTarget, Protocol):
    """A target that records the end of service, not just "off" (a SIS): a leaver is made
    inactive with ``end_service(remote_id, last_day)``, HR's last working day (None: the
    person is no longer in any source; the target picks the day before the run)."""

    def end_service(self, remote_id: str, last_day: date | None) -> None: ...


#: Each optional capability and its protocol, for messages and the conformance suite.
CAPABILITIES: dict[str, type] = {
    "groups": GroupTarget,
    "licences": LicenceTarget,
    "sessions": SessionTarget,
    "libraries": LibraryTarget,
    "end dates": EndDateTarget,
}
