"""The nightly job: a full sync of the board, its metrics, then the morning report.

The same function runs for ``provisioner serve`` (on the schedule, or ``--run-now``) and for
``provisioner nightly`` (a systemd timer, a Kubernetes CronJob): both hold the nightly lease
(:mod:`provisioner.app.service.leader`) for the whole job, so two of them never sync at once.
The configuration is read again for every job: a change to the file needs no restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner import metrics
from provisioner.app.config import load_config
from provisioner.app.service.leader import nightly_lock
from provisioner.execution.engine import RunReport, SyncRequest
from provisioner.execution.locks import LockHeld
from provisioner.logging_setup import correlation, new_correlation_id
from provisioner.report.morning import build_morning_report, deliver, gather
from provisioner.store.tables import SyncRun

log = logging.getLogger("provisioner.nightly")


@dataclass
class NightlyResult:
    run_id: str | None
    status: str
    exit_code: int
    delivered: dict[str, str] = field(default_factory=dict)


def last_full_run_started(sessions: sessionmaker[Session]) -> datetime | None:
    """When the newest full (not scoped, not dry) run started, on any machine."""
    with sessions() as session:
        started = session.execute(
            select(SyncRun.started_at)
            .where(SyncRun.scope.is_(None), SyncRun.dry_run.is_(False))
            .order_by(SyncRun.started_at.desc())
            .limit(1)
        ).scalar_one_or_none()
    if started is None:
        return None
    return started.replace(tzinfo=UTC) if started.tzinfo is None else started


def sync_board(config_path: Path, sessions: sessionmaker[Session]) -> RunReport:
    """One full sync with the board's configured sources and targets: the path every sync
    takes (``provisioner sync``, the bot's offboarding)."""
    from provisioner.app.wiring import run_sync

    return run_sync(load_config(config_path), sessions, SyncRequest())


def run_nightly(
    config_path: Path,
    sessions: sessionmaker[Session],
    *,
    send_report: bool = True,
    still_due: Callable[[], bool] | None = None,
) -> NightlyResult | None:
    """Run the nightly job under the nightly lease. Raises ``LockHeld`` when another process
    runs it. ``still_due``: a callable checked once the lease is held; when it answers False
    (another replica ran this night's sync meanwhile) nothing is done and None is returned."""
    label = new_correlation_id("nightly")
    with correlation(label), nightly_lock(sessions, label):
        if still_due is not None and not still_due():
            log.info("the scheduled sync has been run by another process meanwhile")
            return None
        started = datetime.now(UTC)
        log.info("nightly sync started")
        status, exit_code, run_id = "failed", 1, None
        try:
            report = sync_board(config_path, sessions)
        except LockHeld as exc:  # a bot's offboarding holds a target: not a failure
            log.warning(
                "the nightly sync could not start: run %s is working on %s; the next tick "
                "tries again",
                exc.run_id,
                exc.target,
            )
            metrics.observe_busy_run()
            status, exit_code = "busy", 4
        except Exception:
            log.exception("the nightly sync failed")
            metrics.observe_failed_run()
            run_id = _run_started_since(sessions, started)
        else:
            metrics.observe_run(report)
            status, exit_code, run_id = report.status, report.exit_code(), report.run_id
            log.info(
                "nightly sync finished: run %s %s, %d operations, %d failed",
                report.run_id,
                report.status,
                report.total,
                report.failed,
            )
        _retention(config_path, sessions)
        result = NightlyResult(run_id, status, exit_code)
        if send_report:
            try:
                config = load_config(config_path)
                morning = build_morning_report(gather(sessions, config, run_id=run_id))
                result.delivered = deliver(config, morning)
            except Exception:
                log.exception("the morning report could not be made")
        return result


def _retention(config_path: Path, sessions: sessionmaker[Session]) -> None:
    """After the sync: the registers' retention clocks, the tasks of the lines due today and
    the purge of the product's own store (docs/accountability.md, "Retention")."""
    from provisioner.accountability.retention_nightly import nightly_retention
    from provisioner.execution.reports import today_in_amsterdam

    try:
        night = nightly_retention(sessions, load_config(config_path), on=today_in_amsterdam())
    except Exception:
        log.exception("the retention work of the night could not be done")
        return
    log.info(
        "retention: %d clocks started, %d tasks opened, %d rows purged",
        night.clocks_started,
        len(night.tasks_opened),
        sum(night.purged.values()),
    )


def _run_started_since(sessions: sessionmaker[Session], since: datetime) -> str | None:
    with sessions() as session:
        return session.execute(
            select(SyncRun.id)
            .where(SyncRun.scope.is_(None), SyncRun.started_at >= since)
            .order_by(SyncRun.started_at.desc())
            .limit(1)
        ).scalar_one_or_none()
