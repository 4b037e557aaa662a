"""The reference directory: a small, faithful target that lives in memory or in a file.

It behaves the way real directories do where it matters to the engine: remote ids the
provisioner does not choose, a correlation key stored on each object, usernames unique
across the directory (``AlreadyExistsError``), ``NotFoundError`` for unknown ids, accounts
the provisioner does not manage, and writes that are refused in dry-run mode.

With a ``path`` every change is appended to ``directory.jsonl`` in that folder and flushed
before the call returns, so the directory survives the process being killed, and the log is
an exact record of every write that reached the target.

``lost_rate`` (seeded) makes it behave like a network that loses answers: that share of the
writes is applied and logged, and then the call raises ``OutcomeUnknown`` instead of returning.
A revocation is logged with its time, so ``sessions_revoked_since`` can tell whether one
reached the account.
"""

from __future__ import annotations

import functools
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar, cast

from provisioner.errors import AlreadyExistsError, DryRunRejected, NotFoundError, RejectedError
from provisioner.targets import (
    AccountSpec,
    GroupSpec,
    OutcomeUnknown,
    RemoteAccount,
    RemoteGroup,
    TargetDefaults,
    TargetSnapshot,
)

LOG_NAME = "directory.jsonl"


@dataclass
class _Group:
    remote_id: str
    key: str | None
    display_name: str
    description: str
    members: set[str] = field(default_factory=set)


Method = TypeVar("Method", bound=Callable[..., Any])


def _writes(method: Method) -> Method:
    """A write: refused in dry-run, delayed by the simulated latency, then checked and applied
    under the directory's lock, so parallel callers cannot both take one name."""

    @functools.wraps(method)
    def guarded(self: ReferenceTarget, *args: Any, **kwargs: Any) -> Any:
        self._guard()
        with self._lock:
            answer = method(self, *args, **kwargs)
            lost = self.lost_rate > 0 and self._rng.random() < self.lost_rate
            if lost:
                self.lost_answers += 1
        if lost:
            raise OutcomeUnknown(f"{self.name}: {method.__name__} done, but the answer was lost")
        return answer

    return cast(Method, guarded)


class ReferenceTarget(TargetDefaults):
    """A target connector for the built-in reference directory: accounts, groups,
    licences and sessions (``GroupTarget``, ``LicenceTarget``, ``SessionTarget``)."""

    def __init__(
        self,
        name: str,
        path: Path | None = None,
        *,
        dry_run: bool = False,
        write_delay_ms: int = 0,
        parallel: int = 1,
        lost_rate: float = 0.0,
        seed: int = 7,
    ) -> None:
        self.name = name
        self.parallel = parallel  # safe: every change goes through one lock
        self.dry_run = dry_run
        self.write_delay = write_delay_ms / 1000
        self.accounts: dict[str, RemoteAccount] = {}
        self.groups: dict[str, _Group] = {}
        self.sessions_revoked: dict[str, int] = {}
        self.revoked_at: dict[str, datetime] = {}  # the last revocation of each account
        self.lost_rate = lost_rate
        self.lost_answers = 0
        self._rng = random.Random(seed)
        self.writes: list[dict[str, Any]] = []  # every write of this process, in order
        self._next_id = 1
        self._lock = threading.RLock()
        self._log: IO[str] | None = None
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            log_path = path / LOG_NAME
            if log_path.exists():
                with log_path.open(encoding="utf-8") as existing:
                    for line in existing:
                        if line.strip():
                            self._apply(json.loads(line))
            self._log = log_path.open("a", encoding="utf-8")

    # -- reading ---------------------------------------------------------------------------

    def read(self) -> TargetSnapshot:
        groups = [
            RemoteGroup(g.remote_id, g.key, g.display_name, g.description, frozenset(g.members))
            for g in self.groups.values()
        ]
        taken = frozenset(a.username.lower() for a in self.accounts.values())
        return TargetSnapshot(list(self.accounts.values()), groups, taken)

    def find_accounts(self, key: str) -> Sequence[RemoteAccount]:
        return [a for a in self.accounts.values() if a.key == key]

    def find_groups(self, key: str) -> Sequence[RemoteGroup]:
        return [g for g in self.read().groups if g.key == key]

    # -- writing ---------------------------------------------------------------------------

    @_writes
    def create_account(self, spec: AccountSpec) -> str:
        if any(a.username.lower() == spec.username.lower() for a in self.accounts.values()):
            raise AlreadyExistsError(f"username {spec.username} is in use")
        if not spec.username:
            raise RejectedError("an account needs a username")
        remote_id = f"acc-{self._next_id:06d}"
        self._write({"op": "create_account", "id": remote_id, **_spec_json(spec)})
        return remote_id

    @_writes
    def update_account(self, remote_id: str, spec: AccountSpec) -> None:
        self._account(remote_id)
        clash = [
            a
            for a in self.accounts.values()
            if a.username.lower() == spec.username.lower() and a.remote_id != remote_id
        ]
        if clash:
            raise AlreadyExistsError(f"username {spec.username} is in use")
        self._write({"op": "update_account", "id": remote_id, **_spec_json(spec)})

    @_writes
    def set_enabled(self, remote_id: str, enabled: bool) -> None:
        self._account(remote_id)
        self._write({"op": "set_enabled", "id": remote_id, "enabled": enabled})

    @_writes
    def revoke_sessions(self, remote_id: str) -> None:
        self._account(remote_id)
        self._write({"op": "revoke_sessions", "id": remote_id, "at": datetime.now(UTC).isoformat()})

    def sessions_revoked_since(self, remote_id: str, since: datetime) -> bool:
        """Did a revocation reach this account at or after ``since``?"""
        at = self.revoked_at.get(remote_id)
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        return at is not None and at >= since

    @_writes
    def delete_account(self, remote_id: str) -> None:
        self._account(remote_id)
        self._write({"op": "delete_account", "id": remote_id})

    @_writes
    def create_group(self, spec: GroupSpec) -> str:
        if any(g.key == spec.key for g in self.groups.values() if spec.key):
            raise AlreadyExistsError(f"a group with key {spec.key} exists")
        remote_id = f"grp-{self._next_id:06d}"
        self._write(
            {
                "op": "create_group",
                "id": remote_id,
                "key": spec.key,
                "display_name": spec.display_name,
                "description": spec.description,
            }
        )
        return remote_id

    @_writes
    def add_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        group = self._group(group_remote_id)
        for member in member_remote_ids:
            self._account(member)
        new = [m for m in member_remote_ids if m not in group.members]
        if new:
            self._write({"op": "add_members", "id": group_remote_id, "members": sorted(new)})

    @_writes
    def remove_members(self, group_remote_id: str, member_remote_ids: Sequence[str]) -> None:
        group = self._group(group_remote_id)
        gone = [m for m in member_remote_ids if m in group.members]
        if gone:
            self._write({"op": "remove_members", "id": group_remote_id, "members": sorted(gone)})

    @_writes
    def assign_licences(self, remote_id: str, add: Sequence[str], remove: Sequence[str]) -> None:
        self._account(remote_id)
        self._write(
            {"op": "licences", "id": remote_id, "add": sorted(add), "remove": sorted(remove)}
        )

    # -- set-up helpers for tests and demos (not part of the Target interface) --------------

    def seed_account(self, spec: AccountSpec) -> str:
        """Put an account in the directory as if someone made it by hand (key may be empty)."""
        remote_id = f"acc-{self._next_id:06d}"
        self._write({"op": "create_account", "id": remote_id, **_spec_json(spec)})
        return remote_id

    def seed_group_member(self, group_remote_id: str, member_remote_id: str) -> None:
        self._write({"op": "add_members", "id": group_remote_id, "members": [member_remote_id]})

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- internals ---------------------------------------------------------------------------

    def _guard(self) -> None:
        """Refuse writes in dry-run; wait the simulated latency (outside the lock)."""
        if self.dry_run:
            raise DryRunRejected(f"dry run: no writes to {self.name}")
        if self.write_delay:
            time.sleep(self.write_delay)

    def _account(self, remote_id: str) -> RemoteAccount:
        account = self.accounts.get(remote_id)
        if account is None:
            raise NotFoundError(f"no account {remote_id}")
        return account

    def _group(self, remote_id: str) -> _Group:
        group = self.groups.get(remote_id)
        if group is None:
            raise NotFoundError(f"no group {remote_id}")
        return group

    def _write(self, entry: dict[str, Any]) -> None:
        """Apply and log one change; callers hold the lock while they check and write."""
        with self._lock:
            self._apply(entry)
            self.writes.append(entry)
            if self._log is not None:
                self._log.write(json.dumps(entry, sort_keys=True) + "\n")
                self._log.flush()

    def _apply(self, entry: dict[str, Any]) -> None:
        op, remote_id = entry["op"], entry["id"]
        number = int(remote_id.split("-")[1])
        self._next_id = max(self._next_id, number + 1)
        if op in ("create_account", "update_account"):
            old = self.accounts.get(remote_id)
            self.accounts[remote_id] = RemoteAccount(
                remote_id=remote_id,
                key=entry["key"] or None,
                username=entry["username"],
                display_name=entry["display_name"],
                given_name=entry["given_name"],
                family_name=entry["family_name"],
                enabled=entry["enabled"] if old is None else old.enabled,
                attributes=dict(entry["attributes"]),
                licences=old.licences if old else frozenset(),
            )
        elif op == "set_enabled":
            self.accounts[remote_id] = replace(self.accounts[remote_id], enabled=entry["enabled"])
        elif op == "revoke_sessions":
            self.sessions_revoked[remote_id] = self.sessions_revoked.get(remote_id, 0) + 1
            if entry.get("at"):
                self.revoked_at[remote_id] = datetime.fromisoformat(entry["at"])
        elif op == "delete_account":
            del self.accounts[remote_id]
            for group in self.groups.values():
                group.members.discard(remote_id)
        elif op == "create_group":
            self.groups[remote_id] = _Group(
                remote_id, entry["key"], entry["display_name"], entry["description"]
            )
        elif op == "add_members":
            self.groups[remote_id].members.update(entry["members"])
        elif op == "remove_members":
            self.groups[remote_id].members.difference_update(entry["members"])
        elif op == "licences":
            account = self.accounts[remote_id]
            licences = (account.licences | set(entry["add"])) - set(entry["remove"])
            self.accounts[remote_id] = replace(account, licences=frozenset(licences))


def _spec_json(spec: AccountSpec) -> dict[str, Any]:
    return {
        "key": spec.key,
        "username": spec.username,
        "display_name": spec.display_name,
        "given_name": spec.given_name,
        "family_name": spec.family_name,
        "enabled": spec.enabled,
        "attributes": dict(spec.attributes),
    }
