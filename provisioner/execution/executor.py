"""The executor: the only code that calls target connectors.

Every planned operation is journalled before anything is sent. For each operation the
executor commits ``sending``, calls the connector, then commits ``applied`` together with the
link it learned and the audit event, in one transaction. A run killed at any moment therefore
leaves at most one batch in ``sending``; on resume those are checked against the target
before anything is sent again, so nothing is applied twice and nothing pending is lost.

A write whose answer was lost (the connector raises ``OutcomeUnknown``: a timeout, a dropped
connection or a 5xx after sending) is settled the same way while the run goes on: after its
phase the target is read once, what landed is recorded as applied, and only what provably
did not land is sent again (a few rounds at most; then it fails and the next run plans it
from a fresh read). A revocation counts as landed when the target says one reached the
account after the operation was marked ``sending``.

Write semantics (create-or-adopt, heal a stale link, treat "already gone" as done) live here,
once, for every target.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.service import AuditInput, record_many
from provisioner.errors import (
    AlreadyExistsError,
    ConnectorError,
    DryRunRejected,
    FatalError,
    NotFoundError,
    RejectedError,
    TransientError,
)
from provisioner.execution.locks import Lease, renew
from provisioner.planning.models import Operation, OpType
from provisioner.planning.planner import AccountLink
from provisioner.store.tables import JournalEntry, Link
from provisioner.targets import (
    AccountSpec,
    EndDateTarget,
    GroupSpec,
    GroupTarget,
    LibraryTarget,
    LicenceTarget,
    OutcomeUnknown,
    SessionTarget,
    Target,
    TargetSnapshot,
)

MEMBERSHIP = {OpType.ADD_MEMBER, OpType.REMOVE_MEMBER}
LIBRARY_OPS = {
    OpType.CREATE_SITE,
    OpType.CREATE_LIBRARY,
    OpType.GRANT_LIBRARY,
    OpType.REVOKE_LIBRARY,
}
#: Operations marked ``sending`` together and recorded together, per worker. After a crash,
#: at most one chunk is in ``sending``; each of those is checked against the target before
#: anything is sent again. A target that takes 8 at a time gets chunks of 200.
CHUNK_PER_WORKER = 25
MIN_CHUNK = 50
#: How often operations whose answer was lost are checked and (if they did not land) resent.
SETTLE_ROUNDS = 3
#: Operations whose goal is reached when the account is gone.
GONE_IS_DONE = {
    OpType.DISABLE_ACCOUNT,
    OpType.REVOKE_SESSIONS,
    OpType.DELETE_ACCOUNT,
    OpType.REMOVE_LICENCE,
}

Progress = Callable[[int, int], None]
Outcome = tuple[list[JournalEntry], str, str]  # entries, status, note


@dataclass
class ExecutionResult:
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    confirmed_after_restart: int = 0
    #: answers lost (``OutcomeUnknown``), found done in the target, and found not done: resent
    confirmed_after_lost_answer: int = 0
    resent_after_check: int = 0
    stopped: str | None = None  # why the target was given up (fatal error)


@dataclass
class Links:
    """The links of one target, loaded once and kept in step with the store."""

    accounts: dict[str, AccountLink] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    others: dict[tuple[str, str], str] = field(default_factory=dict)  # (site|library, key)
    changed: dict[tuple[str, str], AccountLink | str | None] = field(default_factory=dict)

    lock: threading.Lock = field(default_factory=threading.Lock)

    def set_account(self, key: str, link: AccountLink | None) -> None:
        with self.lock:
            if link is None:
                self.accounts.pop(key, None)
            else:
                self.accounts[key] = link
            self.changed[("account", key)] = link

    def set_group(self, key: str, remote_id: str) -> None:
        with self.lock:
            self.groups[key] = remote_id
            self.changed[("group", key)] = remote_id

    def set_other(self, kind: str, key: str, remote_id: str) -> None:
        with self.lock:
            self.others[kind, key] = remote_id
            self.changed[(kind, key)] = remote_id


def load_links(session: Session, target: str) -> Links:
    links = Links()
    for row in session.execute(select(Link).where(Link.target == target)).scalars():
        if row.kind == "account":
            links.accounts[row.key] = AccountLink(row.remote_id, row.disabled_on)
        elif row.kind == "group":
            links.groups[row.key] = row.remote_id
        else:
            links.others[row.kind, row.key] = row.remote_id
    return links


def journal_plan(
    session: Session, run_id: str, target: str, operations: Sequence[Operation]
) -> None:
    """Write the plan to the journal as pending operations (the caller commits)."""
    session.add_all(
        JournalEntry(
            run_id=run_id,
            target=target,
            seq=seq,
            op_type=op.type.value,
            object_key=op.key,
            group_key=op.group,
            data=dict(op.data),
            reason=op.reason,
            status="pending",
        )
        for seq, op in enumerate(operations, start=1)
    )


class Executor:
    """Applies the journalled operations of one run to one target."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        target: Target,
        *,
        run_id: str,
        actor: str,
        today: date,
        lease: Lease | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.sessions = sessions
        self.target = target
        self.run_id = run_id
        self.actor = actor
        self.today = today
        self.lease = lease
        self.progress = progress
        self.batch_size = target.batch_size if isinstance(target, GroupTarget) else 1
        #: How many operations of one phase the target takes at once (thread-safe targets).
        self.parallel = max(1, target.parallel)
        self._count = threading.Lock()

    def run(self) -> ExecutionResult:
        result = ExecutionResult()
        with self.sessions() as session:
            links = load_links(session, self.target.name)
            entries = list(
                session.execute(
                    select(JournalEntry)
                    .where(
                        JournalEntry.run_id == self.run_id,
                        JournalEntry.target == self.target.name,
                        JournalEntry.status.in_(("pending", "sending")),
                    )
                    .order_by(JournalEntry.seq)
                ).scalars()
            )
        interrupted = [e for e in entries if e.status == "sending"]
        if interrupted:
            self._confirm_interrupted(interrupted, links, result)
            entries = [e for e in entries if e.status == "pending"]

        units = list(self._batches(entries))
        total, done = len(entries), 0
        size = max(MIN_CHUNK, CHUNK_PER_WORKER * self.parallel)
        for chunk_start in range(0, len(units), size):
            chunk = units[chunk_start : chunk_start + size]
            self._mark([entry for unit in chunk for entry in unit], "sending")
            results: list[Outcome] = []
            for phase in _phases(chunk):
                results.extend(self._settle(self._send_phase(phase, links, result), links, result))
            self._finish(results, links)
            done += sum(len(unit) for unit in chunk)
            if self.progress:
                self.progress(done, total)
            if self.lease is not None:
                renew(self.sessions, self.lease)
        return result

    def _send_phase(
        self, phase: list[list[JournalEntry]], links: Links, result: ExecutionResult
    ) -> list[Outcome]:
        """Send units that do not depend on each other, ``parallel`` at once."""
        if self.parallel > 1 and len(phase) > 1:
            with ThreadPoolExecutor(self.parallel) as pool:
                # each task runs in a copy of this thread's context, so the run's
                # correlation id (a contextvar) is on the workers' log lines too
                futures = [
                    pool.submit(contextvars.copy_context().run, self._attempt, u, links, result)
                    for u in phase
                ]
                outcomes = [future.result() for future in futures]
        else:
            outcomes = [self._attempt(unit, links, result) for unit in phase]
        return [outcome for unit_outcomes in outcomes for outcome in unit_outcomes]

    def _settle(
        self, outcomes: list[Outcome], links: Links, result: ExecutionResult
    ) -> list[Outcome]:
        """Resolve the outcomes whose answer was lost: read the target, record what landed as
        applied, send again only what did not (never blindly), a few rounds at most."""
        done = [o for o in outcomes if o[1] != "unknown"]
        unknown = [o for o in outcomes if o[1] == "unknown"]
        for _ in range(SETTLE_ROUNDS):
            if not unknown or result.stopped:
                break
            try:
                snapshot = self.target.read()
            except ConnectorError as exc:
                note = f"could not check the target: {_describe(exc)}"
                unknown = [(unit, status, f"{why}; {note}") for unit, status, why in unknown]
                break
            landed: list[JournalEntry] = []
            resend: list[list[JournalEntry]] = []
            for unit, _, _ in unknown:
                reached = [e for e in unit if self._reached_target(e, snapshot, links)]
                landed += reached
                rest = [e for e in unit if e not in reached]
                if rest:
                    resend.append(rest)
            if landed:
                done.append((landed, "applied", "confirmed in the target after its lost answer"))
            with self._count:
                result.applied += len(landed)
                result.confirmed_after_lost_answer += len(landed)
                result.resent_after_check += sum(len(unit) for unit in resend)
            again = self._send_phase(resend, links, result) if resend else []
            done += [o for o in again if o[1] != "unknown"]
            unknown = [o for o in again if o[1] == "unknown"]
        for unit, _, why in unknown:
            done.append((unit, "failed", f"outcome unknown: {why}"))
            with self._count:
                result.failed += len(unit)
        return done

    def _attempt(
        self, unit: list[JournalEntry], links: Links, result: ExecutionResult
    ) -> list[Outcome]:
        """Send one unit and say what became of its entries; never raises a ConnectorError.
        Status "unknown": the answer was lost (``OutcomeUnknown``), for ``_settle``."""
        if result.stopped:
            with self._count:
                result.skipped += len(unit)
            return [(unit, "skipped", f"not sent: {result.stopped}")]
        outcome: list[Outcome] = []
        missing = self._missing_members(unit, links)
        if missing:
            reason = "not found: the account was not created (see its own operation)"
            outcome.append((missing, "failed", reason))
            unit = [entry for entry in unit if entry not in missing]
            if not unit:
                with self._count:
                    result.failed += len(missing)
                return outcome
        try:
            note = self._apply(unit, links)
        except (FatalError, DryRunRejected) as exc:
            result.stopped = f"{self.target.name} stopped: {exc}"
            outcome.append((unit, "failed", str(exc)))
        except OutcomeUnknown as exc:  # may have landed: verified by _settle, never resent blind
            outcome.append((unit, "unknown", str(exc)))
        except ConnectorError as exc:  # transient, not found, rejected: this unit only
            outcome.append((unit, "failed", _describe(exc)))
        else:
            outcome.append((unit, "applied", note))
        with self._count:
            for entries, status, _ in outcome:
                if status == "applied":
                    result.applied += len(entries)
                elif status != "unknown":
                    result.failed += len(entries)
        return outcome

    # -- batching and bookkeeping -------------------------------------------------------------

    def _batches(self, entries: list[JournalEntry]) -> Iterator[list[JournalEntry]]:
        def batch_key(entry: JournalEntry) -> tuple[str, str | None, int]:
            if OpType(entry.op_type) in MEMBERSHIP:
                return (entry.op_type, entry.group_key, 0)
            return (entry.op_type, entry.object_key, entry.seq)

        for _, group in itertools.groupby(entries, key=batch_key):
            members = list(group)
            for start in range(0, len(members), self.batch_size):
                yield members[start : start + self.batch_size]

    def _mark(self, batch: list[JournalEntry], status: str) -> None:
        """Set the status; ``updated_at`` of a ``sending`` entry is when it was about to be
        sent (a revocation found after that moment is this one)."""
        now = datetime.now(UTC)
        with self.sessions() as session:
            session.execute(
                update(JournalEntry)
                .where(JournalEntry.id.in_([entry.id for entry in batch]))
                .values(status=status, updated_at=now)
            )
            session.commit()
        for entry in batch:
            entry.updated_at = now

    def _finish(self, results: list[Outcome], links: Links) -> None:
        """Record results, the links learned and the audit events in one transaction."""
        with self.sessions() as session:
            for (kind, key), link in links.changed.items():
                _store_link(session, self.target.name, kind, key, link)
            links.changed.clear()
            now = datetime.now(UTC)
            events = []
            for unit, status, note in results:
                for entry in unit:
                    session.execute(
                        update(JournalEntry)
                        .where(JournalEntry.id == entry.id)
                        .values(
                            status=status,
                            error=None if status == "applied" else note,
                            updated_at=now,
                        )
                    )
                    if status != "applied":
                        continue
                    change: dict[str, Any] = {k: v for k, v in entry.data.items() if k != "changed"}
                    if entry.group_key:
                        change["group"] = entry.group_key
                    events.append(
                        AuditInput(
                            actor=self.actor,
                            action=entry.op_type,
                            target=self.target.name,
                            object_key=entry.object_key,
                            run_id=self.run_id,
                            reason=entry.reason + (f" ({note})" if note else ""),
                            change=change,
                        )
                    )
            record_many(session, events)
            session.commit()

    def _confirm_interrupted(
        self, entries: list[JournalEntry], links: Links, result: ExecutionResult
    ) -> None:
        """Operations that were being sent when the previous process died: check whether they
        reached the target; those that did are recorded as applied, the rest sent again."""
        snapshot = self.target.read()
        confirmed = [e for e in entries if self._reached_target(e, snapshot, links)]
        if confirmed:
            self._finish([(confirmed, "applied", "confirmed in the target after a restart")], links)
            result.applied += len(confirmed)
            result.confirmed_after_restart += len(confirmed)
        rest = [e for e in entries if e not in confirmed]
        if rest:
            self._mark(rest, "pending")
            for entry in rest:
                entry.status = "pending"

    def _library_reached(
        self, op: OpType, entry: JournalEntry, snapshot: TargetSnapshot, links: Links
    ) -> bool:
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

    def _reached_target(self, entry: JournalEntry, snapshot: TargetSnapshot, links: Links) -> bool:
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
            stored = self.target.stored_attributes
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
                    links.set_account(key, AccountLink(account.remote_id, self.today))
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
            return self._library_reached(op, entry, snapshot, links)
        if op is OpType.REVOKE_SESSIONS:
            if account is None:
                return True  # gone is done
            sent = entry.updated_at
            if sent is None or not isinstance(self.target, SessionTarget):
                return False  # cannot tell: revoking again changes nothing
            since = sent if sent.tzinfo else sent.replace(tzinfo=UTC)
            return self.target.sessions_revoked_since(account.remote_id, since)
        # links are store-only: just record them again
        return False

    # -- applying ----------------------------------------------------------------------------

    def _apply(self, batch: list[JournalEntry], links: Links) -> str:
        op = OpType(batch[0].op_type)
        if op in MEMBERSHIP:
            return self._apply_membership(op, batch, links)
        (entry,) = batch
        key, data = entry.object_key, entry.data
        target = self.target
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
                raise _lacks(groups, GroupTarget, op)
            try:
                links.set_group(key, groups.create_group(spec))
                return ""
            except AlreadyExistsError:
                found = groups.find_groups(key)
                if len(found) != 1:
                    raise
                links.set_group(key, found[0].remote_id)
                return "adopted the existing group"
        if op in LIBRARY_OPS:
            return self._apply_library(op, entry, links)
        if op is OpType.CREATE_ACCOUNT:
            return self._create_or_adopt(key, data, links)
        if op is OpType.UPDATE_ACCOUNT:
            try:
                target.update_account(self._remote_id(key, links), _spec(key, data))
                return ""
            except NotFoundError:
                if self._heal(key, links):
                    target.update_account(self._remote_id(key, links), _spec(key, data))
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
                raise _lacks(sessions, SessionTarget, op)
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
                raise _lacks(licences, LicenceTarget, op)
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
            raise _lacks(target, LibraryTarget, op)
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

    def _missing_members(self, unit: list[JournalEntry], links: Links) -> list[JournalEntry]:
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
            raise _lacks(target, GroupTarget, op)
        if op is OpType.ADD_MEMBER:
            target.add_members(group_id, members)
        elif members:
            target.remove_members(group_id, members)
        return ""

    def _create_or_adopt(self, key: str, data: dict[str, Any], links: Links) -> str:
        spec = _spec(key, data)
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


def _phases(chunk: list[list[JournalEntry]]) -> Iterator[list[list[JournalEntry]]]:
    """Consecutive units of one operation type: they never depend on each other."""
    for _, units in itertools.groupby(chunk, key=lambda unit: unit[0].op_type):
        yield list(units)


def _spec(key: str, data: dict[str, Any]) -> AccountSpec:
    return AccountSpec(
        key=key,
        username=data["username"],
        display_name=data["display_name"],
        given_name=data["given_name"],
        family_name=data["family_name"],
        enabled=data.get("enabled", True),
        attributes=data.get("attributes", {}),
    )


def _lacks(target: Target, capability: type, op: OpType) -> RejectedError:
    """An operation planned for a target without the capability it needs (a journal from
    before a configuration change): rejected, the run goes on."""
    return RejectedError(f"{target.name} is no {capability.__name__}: cannot {op.value}")


def _describe(exc: ConnectorError) -> str:
    kind = {
        TransientError: "temporarily unavailable",
        OutcomeUnknown: "outcome unknown",
        NotFoundError: "not found",
        AlreadyExistsError: "already exists",
        RejectedError: "rejected",
    }.get(type(exc), type(exc).__name__)
    return f"{kind}: {exc}"


def _store_link(
    session: Session, target: str, kind: str, key: str, link: AccountLink | str | None
) -> None:
    if link is None:
        session.execute(
            delete(Link).where(Link.target == target, Link.kind == kind, Link.key == key)
        )
        return
    remote_id, disabled_on = (
        (link, None) if isinstance(link, str) else (link.remote_id, link.disabled_on)
    )
    row = session.get(Link, (target, kind, key))
    now = datetime.now(UTC)
    if row is None:
        session.add(
            Link(
                target=target,
                kind=kind,
                key=key,
                remote_id=remote_id,
                disabled_on=disabled_on,
                updated_at=now,
            )
        )
    else:
        row.remote_id, row.disabled_on, row.updated_at = remote_id, disabled_on, now
