"""Run records: outcomes per object, runs killed mid-way (resumed, abandoned, closed as
interrupted) and the leases that tell a live run from a dead one.

A run that died leaves its journal behind. The next run on a target finishes what is left
(recorded under the killed run), or abandons it when it is too old; ``close_dead_runs``
closes every run whose process is gone as ``interrupted``.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.execution import locks
from provisioner.execution.executor import Executor
from provisioner.execution.reports import RunReport
from provisioner.planning.models import OpType, PlanIssue
from provisioner.store.tables import JournalEntry, SyncOutcome, SyncRun, TargetLock
from provisioner.targets import Target

log = logging.getLogger("provisioner.sync")

#: An interrupted run younger than this is resumed; an older one is abandoned and re-planned.
RESUME_WITHIN = timedelta(hours=12)
#: A run still "planning" after this long has died (planning a large board takes seconds).
PLANNING_DEAD_AFTER = timedelta(hours=1)

OUTCOME_OF: dict[OpType, str] = {
    OpType.CREATE_ACCOUNT: "created",
    OpType.CREATE_GROUP: "created",
    OpType.CREATE_SITE: "created",
    OpType.CREATE_LIBRARY: "created",
    OpType.DELETE_ACCOUNT: "deleted",
    OpType.DISABLE_ACCOUNT: "disabled",
    OpType.ENABLE_ACCOUNT: "enabled",
    OpType.LINK_ACCOUNT: "adopted",
    OpType.LINK_GROUP: "adopted",
}
#: The most telling outcome of an object wins; a rejection is the root cause of what follows.
OUTCOME_RANK = [
    "rejected",
    "failed",
    "created",
    "deleted",
    "disabled",
    "enabled",
    "adopted",
    "updated",
]


def resume_interrupted(
    sessions: sessionmaker[Session], target: Target, report: RunReport, today: date
) -> list[str]:
    """Finish what a killed run left in the journal for this target (we hold its lock).
    What it finishes is recorded under the killed run (outcomes, counts) and this run
    says so in its problems: "finished N operations of run R"."""
    run_id = report.run_id
    with sessions() as session:
        unfinished = select(JournalEntry.run_id).where(
            JournalEntry.target == target.name, JournalEntry.status.in_(("pending", "sending"))
        )
        stale = (
            session.execute(
                select(SyncRun).where(
                    SyncRun.status.in_(("running", "interrupted")),
                    SyncRun.id != run_id,
                    SyncRun.id.in_(unfinished),
                )
            )
            .scalars()
            .all()
        )
    resumed = []
    for run in stale:
        started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
        if datetime.now(UTC) - started > RESUME_WITHIN:
            abandon(sessions, run.id, target.name)
            record_outcomes(sessions, run.id, target.name, (), replace=True)
            close_if_done(sessions, run.id, resumed_by=None)
            continue
        log.info("resuming run %s on %s", run.id, target.name)
        open_count = open_entries(sessions, run.id, target.name)
        Executor(sessions, target, run_id=run.id, actor=f"sync:{run.id}", today=today).run()
        resumed.append(run.id)
        record_outcomes(sessions, run.id, target.name, (), replace=True)
        report.problems.append(
            f"{target.name}: finished {open_count} operations of run {run.id}"
            " (killed before it could; recorded under that run)"
        )
        close_if_done(sessions, run.id, resumed_by=run_id)
    return resumed


def forget_refused(sessions: sessionmaker[Session], run_id: str) -> bool:
    """A run refused because another holds a target changed nothing: it leaves no record."""
    with sessions() as session:
        gone = session.execute(
            delete(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "planning")
        )
        session.commit()
    return bool(getattr(gone, "rowcount", 0))


def abandon(sessions: sessionmaker[Session], run_id: str, target: str) -> None:
    with sessions() as session:
        for entry in session.execute(
            select(JournalEntry).where(
                JournalEntry.run_id == run_id,
                JournalEntry.target == target,
                JournalEntry.status.in_(("pending", "sending")),
            )
        ).scalars():
            entry.status, entry.error = "skipped", "abandoned: too old to resume; planned again"
        session.commit()


def close_if_done(sessions: sessionmaker[Session], run_id: str, resumed_by: str | None) -> None:
    """A killed run whose journal is now complete gets its final status and counts."""
    with sessions() as session:
        open_count = session.execute(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.run_id == run_id, JournalEntry.status.in_(("pending", "sending")))
        ).scalar_one()
        if open_count:
            return
        failed = session.execute(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.run_id == run_id, JournalEntry.status.in_(("failed", "skipped")))
        ).scalar_one()
        run = session.get(SyncRun, run_id)
        assert run is not None
        run.status = "partial" if failed else "applied"
        run.finished_at = datetime.now(UTC)
        count_journal(session, run)
        if resumed_by:
            run.problems = [*run.problems, f"interrupted; finished by run {resumed_by}"]
        session.commit()


def record_outcomes(
    sessions: sessionmaker[Session],
    run_id: str,
    target: str,
    issues: Sequence[PlanIssue],
    *,
    replace: bool = False,
) -> None:
    """One outcome per object of ``run_id`` on ``target``, from its journal; ``replace`` drops
    the ones recorded before (a killed run finished by another, perhaps in several steps)."""
    with sessions() as session:
        if replace:
            session.execute(
                delete(SyncOutcome).where(
                    SyncOutcome.run_id == run_id, SyncOutcome.target == target
                )
            )
        entries = session.execute(
            select(JournalEntry).where(JournalEntry.run_id == run_id, JournalEntry.target == target)
        ).scalars()
        best: dict[str, tuple[str, str]] = {}
        for entry in entries:
            if entry.status == "applied":
                outcome = OUTCOME_OF.get(OpType(entry.op_type), "updated")
                reason = entry.reason
            elif entry.status == "failed":
                outcome = "rejected" if (entry.error or "").startswith("rejected") else "failed"
                reason = entry.error or ""
            else:
                outcome, reason = "failed", entry.error or "not sent"
            current = best.get(entry.object_key)
            if current is None or OUTCOME_RANK.index(outcome) < OUTCOME_RANK.index(current[0]):
                best[entry.object_key] = (outcome, reason)
        for issue in issues:
            best.setdefault(issue.key, ("skipped", issue.message))
        session.add_all(
            SyncOutcome(run_id=run_id, target=target, object_key=key, outcome=o, reason=r)
            for key, (o, r) in sorted(best.items())
        )
        session.commit()


def open_entries(sessions: sessionmaker[Session], run_id: str, target: str | None) -> int:
    """How many operations of ``run_id`` (on ``target``, or on any) are not finished."""
    with sessions() as session:
        query = (
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.run_id == run_id, JournalEntry.status.in_(("pending", "sending")))
        )
        if target is not None:
            query = query.where(JournalEntry.target == target)
        return int(session.execute(query).scalar_one())


def count_journal(session: Session, run: SyncRun) -> None:
    """A killed run's counts, total and failures, from its journal (it never wrote them)."""
    rows = session.execute(
        select(JournalEntry.op_type, JournalEntry.status, func.count())
        .where(JournalEntry.run_id == run.id)
        .group_by(JournalEntry.op_type, JournalEntry.status)
    ).all()
    counts: dict[str, int] = {}
    failed = 0
    for op_type, status, count in rows:
        counts[op_type] = counts.get(op_type, 0) + count
        if status in ("failed", "skipped"):
            failed += count
    if counts:
        run.counts = dict(sorted(counts.items()))
        run.total, run.failed = sum(counts.values()), failed


def _lease_alive(session: Session, run_id: str, now: datetime) -> bool | None:
    """Whether ``run_id`` holds a live lease on some target; None when it holds none at all."""
    rows = session.execute(select(TargetLock).where(TargetLock.run_id == run_id)).scalars().all()
    if not rows:
        return None
    return any(
        _aware(row.expires_at) > now and not locks.holder_is_dead(row.owner) for row in rows
    )


def close_dead_runs(
    sessions: sessionmaker[Session],
    *,
    current: str | None = None,
    closer: str = "",
    dead_holders: Collection[str] = (),
) -> list[str]:
    """Close every run whose process died while ``planning`` or ``running`` as
    ``interrupted``: its leases expired (or their holder is gone), or, planning without a
    lease yet, it started longer than ``PLANNING_DEAD_AFTER`` ago. A run with operations left
    is finished by the next run on those targets (which gives it its final status); a run
    that died after its last write gets its counts and outcomes from the journal. The next
    run calls this after taking its leases; ``provisioner serve`` may call it at start.
    Returns notes for the caller's report."""
    now = datetime.now(UTC)
    by = closer or (f"run {current}" if current else "the next start")
    notes: list[str] = []
    with sessions() as session:
        runs = (
            session.execute(
                select(SyncRun).where(
                    SyncRun.status.in_(("planning", "running")),
                    SyncRun.id != (current or ""),
                )
            )
            .scalars()
            .all()
        )
        dead = []
        for run in runs:
            alive = _lease_alive(session, run.id, now)
            if run.id in dead_holders:  # its lease was just taken over: its process is gone
                alive = False
            if alive or (
                alive is None
                and run.status == "planning"
                and _aware(run.started_at) > now - PLANNING_DEAD_AFTER
            ):
                continue  # still working (a planning run may be reading its sources)
            dead.append((run.id, run.status))
    for run_id, status in dead:
        left = open_entries(sessions, run_id, None)
        with sessions() as session:
            targets = session.execute(
                select(JournalEntry.target).where(JournalEntry.run_id == run_id).distinct()
            ).scalars().all()  # fmt: skip
            recorded = set(
                session.execute(
                    select(SyncOutcome.target).where(SyncOutcome.run_id == run_id).distinct()
                ).scalars()
            )
        for target in targets:
            if target not in recorded and not left:
                record_outcomes(sessions, run_id, target, ())
        with sessions() as session:
            row = session.get(SyncRun, run_id)
            if row is None or row.status != status:  # closed meanwhile by someone else
                continue
            row.status = "interrupted"
            if status == "planning":
                why = "stopped while planning; nothing was changed"
            elif left:
                why = (
                    f"the process died with {left} operations not confirmed; the next run on"
                    " their target finishes them"
                )
            else:
                why = "the process died after its last operation"
                row.finished_at = now
            count_journal(session, row)
            row.problems = [*row.problems, f"{why} (closed as interrupted by {by})"]
            session.commit()
        notes.append(f"closed run {run_id} as interrupted: its process died while {status}")
    return notes


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
