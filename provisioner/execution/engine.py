"""The sync flow: the one code path for the nightly run and for one person's offboarding.

    sources -> source guard -> policy (desired state) -> naming -> per target:
    read -> plan -> safety gate -> journal -> executor -> outcomes -> audit

Everything between reading and executing is pure (policy, naming, planner, gate); this module
only joins the pieces and keeps the store in step.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.interns import InternsRun, end_internships
from provisioner.accountability.retention_purge import purge_directory
from provisioner.accountability.retention_watch import record_run_clocks
from provisioner.audit.anchors import publish, run_anchor
from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.directory import save_directory
from provisioner.errors import ConfigError
from provisioner.execution import gate, locks
from provisioner.execution.executor import Executor, journal_plan, load_links
from provisioner.execution.inputs import (
    SourcesRead,
    assign_names,
    desired_state,
    read_sources,
    save_names,
)
from provisioner.execution.reports import (
    Progress,
    RunReport,
    SyncRequest,
    TargetReport,
    fill,
    per_target,
    today_in_amsterdam,
)
from provisioner.execution.runs import (
    close_dead_runs,
    forget_refused,
    record_outcomes,
    resume_interrupted,
)
from provisioner.execution.scoping import hold_unapproved_deletions, scoped
from provisioner.planning.models import DesiredState, Plan
from provisioner.planning.planner import PlanOptions, plan_target
from provisioner.planning.safety import Base, check_sources, check_thresholds
from provisioner.policy.desired import for_target
from provisioner.privacy.consent import save_consent_history
from provisioner.sources.clean import CleanRules
from provisioner.sources.models import Source
from provisioner.store.tables import AuditHead, SyncRun
from provisioner.targets import (
    GroupTarget,
    LibraryTarget,
    LicenceTarget,
    SessionTarget,
    Target,
    TargetSnapshot,
)

# what callers import from here
__all__ = [
    "Engine",
    "Progress",
    "RunReport",
    "SyncRequest",
    "TargetReport",
    "close_dead_runs",
    "read_sources",
    "record_outcomes",
    "today_in_amsterdam",
]

log = logging.getLogger("provisioner.sync")


class Engine:
    """Runs syncs for one board configuration against its sources and targets."""

    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        sources: Sequence[Source],
        targets: Sequence[Target],
        *,
        target_settings: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.sources = sources
        self.targets = targets
        # per target: include_pupils, licences, sis_roles (from its configuration)
        self.target_settings = target_settings or {}

    # -- the run ---------------------------------------------------------------------------

    def sync(self, request: SyncRequest, progress: Progress | None = None) -> RunReport:
        today = request.today or today_in_amsterdam()
        run_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        actor = request.actor or f"sync:{run_id}"
        report = RunReport(run_id=run_id, status="planning")
        with self.sessions() as session:
            session.add(
                SyncRun(
                    id=run_id,
                    started_at=datetime.now(UTC),
                    status="planning",
                    actor=actor,
                    scope=request.scope,
                    dry_run=request.dry_run,
                    approves=request.approve,
                )
            )
            session.commit()
        leases: list[locks.Lease] = []
        try:
            self._sync(request, report, today, actor, leases, progress)
        except BaseException as exc:
            if isinstance(exc, locks.LockHeld) and forget_refused(self.sessions, run_id):
                raise  # refused before it journalled anything: not a failed run, no run at all
            report.status = "failed"
            report.problems.append(f"the run stopped with an error: {type(exc).__name__}: {exc}")
            self._finish_run(report, plans_fp=None)
            raise
        finally:
            for lease in leases:
                locks.release(self.sessions, lease)
        return report

    def _sync(
        self,
        request: SyncRequest,
        report: RunReport,
        today: date,
        actor: str,
        leases: list[locks.Lease],
        progress: Progress | None,
    ) -> None:
        """Read, guard the sources, take the targets, plan, gate, journal, execute."""
        approved = self._approved_fingerprint(request.approve) if request.approve else None
        read = read_sources(self.sources, CleanRules.of(self.config.sources))
        report.problems += read.problems
        report.source_counts = read.counts
        source_fp = "sources:" + _digest(read.counts)
        if self._sources_stop(request, report, read, source_fp):
            return
        desired = desired_state(self.sessions, self.config, read, today)
        report.issues += [issue.describe() for issue in desired.issues]
        self._take_targets(request, report, today, leases)
        snapshots = {target.name: target.read() for target in self.targets}
        desired = assign_names(self.sessions, self.config, desired, snapshots)
        plans, bases = self._plan_all(request, report, desired, snapshots, today)
        plans_fp = "plan:" + _digest([plan.fingerprint() for plan in plans])
        if self._gate_stops(request, report, plans, bases, approved, (source_fp, plans_fp)):
            return
        if request.dry_run:
            report.status = "dry_run"
            self._finish_run(report, plans_fp=plans_fp)
            return
        self._journal(request, report, read, desired, plans)
        self._execute(report, actor, today, leases, plans, desired, request.scope, progress)
        run = InternsRun(today, report.run_id, actor, request.scope)  # ended: tasks, clock
        end_internships(self.sessions, self.config, read.staff, read.internships, run,
                        frozen=read.frozen)  # fmt: skip
        report.status = (
            "partial" if report.failed or any(t.stopped for t in report.targets) else "applied"
        )
        self._finish_run(report, plans_fp=plans_fp)

    # -- the steps -------------------------------------------------------------------------

    def _sources_stop(
        self, request: SyncRequest, report: RunReport, read: SourcesRead, source_fp: str
    ) -> bool:
        """The source guard: an empty or shrunk source stops the run, unless approved."""
        # a source stop approved, then stopped by a threshold, is approved again for its plan
        chain = gate.approval_chain(self.sessions, request.approve) if request.approve else []
        safety = self.config.safety
        reasons = check_sources(
            read.counts,
            gate.source_baselines(self.sessions, safety.source_window_days),
            safety.source_max_shrink_percent,
            {s.name: str(getattr(s, "system", "")) for s in self.sources},
            window_days=safety.source_window_days,
        )
        if not reasons or source_fp in chain:
            return False
        report.status, report.stop_reasons = "stopped", reasons
        self._finish_run(report, plans_fp=source_fp)
        return True

    def _take_targets(
        self, request: SyncRequest, report: RunReport, today: date, leases: list[locks.Lease]
    ) -> None:
        """Take each target's lease (a dry run too: it must not preview a target mid-run)
        and finish what killed runs left on it."""
        for target in self.targets:
            lease, previous = locks.acquire(self.sessions, target.name, report.run_id)
            leases.append(lease)
            if previous and previous != report.run_id:  # its holder died: close it now, so
                # that a chain of killed runs never leaves one 'planning' without a lease
                report.problems += close_dead_runs(
                    self.sessions, current=report.run_id, dead_holders={previous}
                )
            if request.dry_run:
                report.problems += gate.unfinished_note(self.sessions, target.name)
            else:
                report.resumed += resume_interrupted(self.sessions, target, report, today)
        if not request.dry_run:
            report.problems += close_dead_runs(self.sessions, current=report.run_id)

    def _plan_all(
        self,
        request: SyncRequest,
        report: RunReport,
        desired: DesiredState,
        snapshots: dict[str, TargetSnapshot],
        today: date,
    ) -> tuple[list[Plan], dict[str, dict[str, Base]]]:
        """A plan per target (one person's part of it in a scoped run), and the bases the
        safety thresholds count against."""
        plans: list[Plan] = []
        bases: dict[str, dict[str, Base]] = {}
        for target in self.targets:
            plan = self._plan(target, desired, snapshots[target.name], today)
            bases[target.name] = gate.bases(self.sessions, target.name, snapshots[target.name])
            if request.scope:
                plan = scoped(plan, request.scope)
            plans.append(plan)
            report.targets.append(TargetReport(target.name, plan.operations, plan.counts()))
            report.issues += [f"{target.name}: {issue.describe()}" for issue in plan.issues]
        return plans, bases

    def _gate_stops(
        self,
        request: SyncRequest,
        report: RunReport,
        plans: list[Plan],
        bases: dict[str, dict[str, Base]],
        approved: str | None,
        fingerprints: tuple[str, str],
    ) -> bool:
        """The safety gate: thresholds stop the run unless this very plan was approved
        (``approved``: the fingerprint stored by the stopped run; ``fingerprints``: this
        run's sources and plans)."""
        source_fp, plans_fp = fingerprints
        if approved == plans_fp:
            return False
        reasons = [
            reason
            for plan in plans
            for reason in check_thresholds(plan, self.config.safety.thresholds, bases[plan.target])
        ]
        if not reasons:
            return False
        if request.approve and approved != source_fp:
            reasons.insert(0, f"the plan is no longer the one stopped in run {request.approve}")
        hint = f" Check the sources, then approve with: provisioner sync --approve {report.run_id}"
        report.status, report.stop_reasons = "stopped", [r + "." for r in reasons]
        report.stop_reasons[-1] += hint
        self._finish_run(report, plans_fp=plans_fp)
        return True

    def _journal(
        self,
        request: SyncRequest,
        report: RunReport,
        read: SourcesRead,
        desired: DesiredState,
        plans: list[Plan],
    ) -> None:
        """Names, consents, the directory and every plan's operations, in one transaction."""
        with self.sessions() as session:
            save_names(session, desired)
            save_consent_history(session, read.consents)
            today, by = request.today or today_in_amsterdam(), f"sync:{report.run_id}"
            # retention clocks of who is gone or back, before the snapshot says who was here
            record_run_clocks(session, read.staff, read.pupils, today=today,
                              origin=report.run_id, actor=request.actor or by,
                              frozen=read.frozen, orphans_may_leave=read.unkeyed == 0)  # fmt: skip
            save_directory(
                session,
                read.staff,
                read.pupils,
                read.groups,
                roles=self.config.roles,
                domain=self.config.board.domain,
                usernames={key: a.username for key, a in desired.accounts.items()},
                at=datetime.now(UTC),
            )
            purge_directory(session, self.config.retention.store, on=today, actor=by)
            for plan in plans:
                journal_plan(session, report.run_id, plan.target, plan.operations)
            if request.approve:
                record(
                    session,
                    actor=request.approver or f"admin:{getpass.getuser()}",
                    action="approve_run",
                    run_id=report.run_id,
                    reason=f"approved the plan stopped in run {request.approve}",
                )
            run = session.get(SyncRun, report.run_id)
            assert run is not None
            run.status = "running"
            session.commit()

    def _execute(
        self,
        report: RunReport,
        actor: str,
        today: date,
        leases: list[locks.Lease],
        plans: list[Plan],
        desired: DesiredState,
        scope: str | None,
        progress: Progress | None,
    ) -> None:
        """Each target's journal through its executor, then its outcomes."""
        for target, lease, plan, target_report in zip(
            self.targets, leases, plans, report.targets, strict=True
        ):
            executor = Executor(
                self.sessions,
                target,
                run_id=report.run_id,
                actor=actor,
                today=today,
                lease=lease,
                progress=per_target(progress, target.name),
            )
            fill(target_report, executor.run())
            issues = [i for i in (*desired.issues, *plan.issues) if not scope or i.key == scope]
            record_outcomes(self.sessions, report.run_id, target.name, issues)

    def _plan(
        self, target: Target, desired: DesiredState, snapshot: TargetSnapshot, today: date
    ) -> Plan:
        settings = self.target_settings.get(target.name, {})
        licences: dict[str, list[str]] = settings.get("licences", {})
        view = for_target(
            desired,
            include_pupils=settings.get("include_pupils", True),
            licences=licences,
            sis_roles=settings.get("sis_roles", {}),
        )
        with self.sessions() as session:
            links = load_links(session, target.name)
        options = PlanOptions(
            today=today,
            grace_days=self.config.lifecycle.grace_days,
            pupil_grace_days=self.config.lifecycle.pupil_grace_days,
            supports_groups=isinstance(target, GroupTarget),  # a SIS: access follows the role
            supports_licences=isinstance(target, LicenceTarget),
            supports_sessions=isinstance(target, SessionTarget),
            managed_licences=frozenset(sku for skus in licences.values() for sku in skus),
            rename_accounts=self.config.naming.rename_on_name_change,
            stored_attributes=target.stored_attributes,
            supports_libraries=isinstance(target, LibraryTarget),
        )
        plan = plan_target(target.name, view, snapshot, links.accounts, links.groups, options)
        return hold_unapproved_deletions(self.sessions, plan)

    def _approved_fingerprint(self, stopped_run_id: str) -> str | None:
        with self.sessions() as session:
            run = session.get(SyncRun, stopped_run_id)
        if run is None:
            raise ConfigError(f"there is no run {stopped_run_id} to approve")
        if run.status != "stopped":
            raise ConfigError(
                f"run {stopped_run_id} was not stopped (it is {run.status}); nothing to approve"
            )
        return run.plan_fingerprint

    def _finish_run(self, report: RunReport, plans_fp: str | None) -> None:
        with self.sessions() as session:
            run = session.get(SyncRun, report.run_id)
            assert run is not None
            run.status = report.status
            run.finished_at = datetime.now(UTC)
            run.plan_fingerprint = plans_fp
            run.counts = report.counts
            run.total = report.total
            run.failed = report.failed
            run.source_counts = report.source_counts
            run.stop_reasons = report.stop_reasons
            run.problems = report.problems + report.issues
            head = session.get(AuditHead, 1)
            run.audit_head = head.last_hash if head else None
            anchor = run_anchor(run, head)
            session.commit()
        report.problems += publish(self.sessions, self.config, anchor)  # off the box
        log.info("run %s finished: %s, %d operations", report.run_id, report.status, report.total)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
