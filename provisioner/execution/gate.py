"""What the safety gate needs from the state store: the source guard's baseline, the runs an
approval covers, each population's size in a target, and what a killed run left unfinished.

The checks themselves are pure (:mod:`provisioner.planning.safety`); this module only reads.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.execution.executor import load_links
from provisioner.planning.safety import Base, Baseline, largest_in_window, population_bases
from provisioner.store.tables import JournalEntry, SyncRun
from provisioner.targets import TargetSnapshot

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: Runs whose source counts the source guard compares with: never a dry run, never stopped.
GOOD = ("applied", "partial")
#: How far an approval of an approval is followed back (a source stop approved, then stopped
#: by a threshold and approved again).
APPROVAL_CHAIN = 10


def approval_chain(sessions: sessionmaker[Session], run_id: str) -> list[str]:
    """The fingerprints an approval of ``run_id`` covers: that stopped run's, and when it was
    itself an approval that stopped again, those of the stopped runs it approved."""
    with sessions() as session:
        return _chain(session, run_id)


def _chain(session: Session, run_id: str) -> list[str]:
    fingerprints: list[str] = []
    for _ in range(APPROVAL_CHAIN):
        run = session.get(SyncRun, run_id)
        if run is None or run.status != "stopped":
            break
        if run.plan_fingerprint:
            fingerprints.append(run.plan_fingerprint)
        if not run.approves:
            break
        run_id = run.approves
    return fingerprints


def source_baselines(sessions: sessionmaker[Session], window_days: int) -> dict[str, Baseline]:
    """Per source, the largest count of the good runs (applied or partial, of the whole
    board, never a dry run) of the last ``window_days`` days, newest first.

    A good run that applied an approved source stop starts the window: that shrink was
    accepted by a person. When no good run falls in the window, the last good run is the
    baseline, so nights that were stopped never make the guard forget."""
    since = datetime.now(UTC) - timedelta(days=window_days)
    window: list[tuple[str, date, dict[str, int]]] = []
    with sessions() as session:
        good = session.execute(
            select(SyncRun)
            .where(SyncRun.status.in_(GOOD), SyncRun.dry_run.is_(False), SyncRun.scope.is_(None))
            .order_by(SyncRun.started_at.desc())
            .execution_options(yield_per=100)
        ).scalars()
        for run in good:
            started = _aware(run.started_at)
            if started < since and window:
                break
            day = started.astimezone(AMSTERDAM).date()
            window.append((run.id, day, {k: int(v) for k, v in run.source_counts.items()}))
            if started < since or _accepted_a_shrink(session, run):
                break
    return largest_in_window(window)


def _accepted_a_shrink(session: Session, run: SyncRun) -> bool:
    if not run.approves:
        return False
    return any(fp.startswith("sources:") for fp in _chain(session, run.approves))


def bases(
    sessions: sessionmaker[Session], target: str, snapshot: TargetSnapshot
) -> dict[str, Base]:
    """Each population's managed accounts and memberships in ``target`` before the run."""
    with sessions() as session:
        links = load_links(session, target).accounts
    return population_bases(snapshot, {key: link.remote_id for key, link in links.items()})


def unfinished_note(sessions: sessionmaker[Session], target: str) -> list[str]:
    """A dry run never finishes a killed run's operations (that would change the target):
    it says that it previews a target which the next real run deals with first."""
    with sessions() as session:
        rows = session.execute(
            select(JournalEntry.run_id, func.count())
            .join(SyncRun, SyncRun.id == JournalEntry.run_id)
            .where(
                JournalEntry.target == target,
                JournalEntry.status.in_(("pending", "sending")),
                SyncRun.status.in_(("running", "interrupted")),
            )
            .group_by(JournalEntry.run_id)
            .order_by(JournalEntry.run_id)
        ).all()
    return [
        f"{target}: run {run_id} was interrupted with {count} "
        f"{'operation' if count == 1 else 'operations'} not confirmed; the "
        "next real run deals with them before it plans, so this preview may differ from it"
        for run_id, count in rows
    ]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
