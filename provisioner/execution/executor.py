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

Write semantics (create-or-adopt, heal a stale link, treat "already gone" as done) live in
:mod:`provisioner.execution.apply`, once, for every target; verification in
:mod:`provisioner.execution.verify`; the journal and links in
:mod:`provisioner.execution.links`.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
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
from provisioner.execution.apply import Applier
from provisioner.execution.links import Links, journal_plan, load_links, store_link
from provisioner.execution.locks import Lease, renew
from provisioner.execution.verify import MEMBERSHIP, reached_target
from provisioner.planning.models import OpType
from provisioner.store.tables import JournalEntry
from provisioner.targets import GroupTarget, OutcomeUnknown, Target, TargetSnapshot

# what callers import from here
__all__ = ["ExecutionResult", "Executor", "Links", "journal_plan", "load_links"]

#: Operations marked ``sending`` together and recorded together, per worker. After a crash,
#: at most one chunk is in ``sending``; each of those is checked against the target before
#: anything is sent again. A target that takes 8 at a time gets chunks of 200.
CHUNK_PER_WORKER = 25
MIN_CHUNK = 50
#: How often operations whose answer was lost are checked and (if they did not land) resent.
SETTLE_ROUNDS = 3

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
        self.applier = Applier(target, today)
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
                reached = [
                    e for e in unit if reached_target(self.target, self.today, e, snapshot, links)
                ]
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
        missing = self.applier.missing_members(unit, links)
        if missing:
            reason = "not found: the account was not created (see its own operation)"
            outcome.append((missing, "failed", reason))
            unit = [entry for entry in unit if entry not in missing]
            if not unit:
                with self._count:
                    result.failed += len(missing)
                return outcome
        try:
            note = self.applier.apply(unit, links)
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
                store_link(session, self.target.name, kind, key, link)
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

    def _reached(self, entry: JournalEntry, snapshot: TargetSnapshot, links: Links) -> bool:
        return reached_target(self.target, self.today, entry, snapshot, links)

    def _confirm_interrupted(
        self, entries: list[JournalEntry], links: Links, result: ExecutionResult
    ) -> None:
        """Operations that were being sent when the previous process died: check whether they
        reached the target; those that did are recorded as applied, the rest sent again."""
        snapshot = self.target.read()
        confirmed = [
            e for e in entries if reached_target(self.target, self.today, e, snapshot, links)
        ]
        if confirmed:
            self._finish([(confirmed, "applied", "confirmed in the target after a restart")], links)
            result.applied += len(confirmed)
            result.confirmed_after_restart += len(confirmed)
        rest = [e for e in entries if e not in confirmed]
        if rest:
            self._mark(rest, "pending")
            for entry in rest:
                entry.status = "pending"


def _phases(chunk: list[list[JournalEntry]]) -> Iterator[list[list[JournalEntry]]]:
    """Consecutive units of one operation type: they never depend on each other."""
    for _, units in itertools.groupby(chunk, key=lambda unit: unit[0].op_type):
        yield list(units)


def _describe(exc: ConnectorError) -> str:
    kind = {
        TransientError: "temporarily unavailable",
        OutcomeUnknown: "outcome unknown",
        NotFoundError: "not found",
        AlreadyExistsError: "already exists",
        RejectedError: "rejected",
    }.get(type(exc), type(exc).__name__)
    return f"{kind}: {exc}"
