"""The sync flow: the one code path for the nightly run and for one person's offboarding.

    sources -> source guard -> policy (desired state) -> naming -> per target:
    read -> plan -> safety gate -> journal -> executor -> outcomes -> audit

Everything between reading and executing is pure (policy, naming, planner, gate); this module
only joins the pieces and keeps the store in step.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.anchors import publish, run_anchor
from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.directory import save_directory
from provisioner.domain.models import (
    ClassGroup,
    ConsentRecord,
    PersonKind,
    Pupil,
    StaffMember,
)
from provisioner.errors import ConfigError
from provisioner.execution import gate, locks
from provisioner.execution.executor import ExecutionResult, Executor, journal_plan, load_links
from provisioner.planning.models import (
    AccountState,
    DesiredState,
    IssueKind,
    Operation,
    OpType,
    Plan,
    PlanIssue,
)
from provisioner.planning.planner import PlanOptions, plan_target
from provisioner.planning.safety import Base, check_sources, check_thresholds
from provisioner.policy.desired import Offboarding, PolicySettings, build_desired_state, for_target
from provisioner.policy.naming import NameRequest, assign_usernames
from provisioner.privacy.consent import save_consent_history
from provisioner.sources.clean import CleanRules, clean_batch
from provisioner.sources.models import Source, SourceBatch, SourceKind
from provisioner.store.tables import (
    AccountName,
    AuditHead,
    JournalEntry,
    ManualTaskRow,
    Override,
    SyncOutcome,
    SyncRun,
    TargetLock,
)
from provisioner.targets import (
    GroupTarget,
    LibraryTarget,
    LicenceTarget,
    SessionTarget,
    Target,
    TargetSnapshot,
)

log = logging.getLogger("provisioner.sync")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
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

Progress = Callable[[str, int, int], None]


def today_in_amsterdam() -> date:
    return datetime.now(AMSTERDAM).date()


@dataclass
class SyncRequest:
    dry_run: bool = False
    approve: str | None = None  # id of a stopped run whose plan is approved
    scope: str | None = None  # one person's key: offboarding from chat
    actor: str = ""  # who the changes are attributed to: "chat:<user>"; default "sync:<run id>"
    approver: str = ""  # who approved a stopped run: default the operating-system user
    today: date | None = None


@dataclass
class TargetReport:
    name: str
    operations: tuple[Operation, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    applied: int = 0
    failed: int = 0
    skipped: int = 0
    stopped: str | None = None


@dataclass
class RunReport:
    run_id: str
    status: str  # dry_run | applied | partial | stopped | failed
    targets: list[TargetReport] = field(default_factory=list)
    stop_reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    source_counts: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for target in self.targets:
            for op, count in target.counts.items():
                total[op] = total.get(op, 0) + count
        return dict(sorted(total.items()))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.targets)

    def exit_code(self) -> int:
        return {"stopped": 2, "partial": 1, "failed": 1}.get(self.status, 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "counts": self.counts,
            "total": self.total,
            "failed": self.failed,
            "targets": {
                t.name: {
                    "counts": t.counts,
                    "applied": t.applied,
                    "failed": t.failed,
                    "skipped": t.skipped,
                    "stopped": t.stopped,
                }
                for t in self.targets
            },
            "stop_reasons": self.stop_reasons,
            "problems": self.problems,
            "issues": self.issues,
            "resumed": self.resumed,
            "source_counts": self.source_counts,
        }


@dataclass
class _Read:
    staff: list[StaffMember] = field(default_factory=list)
    pupils: list[Pupil] = field(default_factory=list)
    groups: list[ClassGroup] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    frozen: set[str] = field(default_factory=set)
    unkeyed: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def read_sources(sources: Sequence[Source], rules: CleanRules | None = None) -> _Read:
    read = _Read()
    for source in sources:
        batch: SourceBatch = clean_batch(source, source.read(), rules or CleanRules())
        read.staff += batch.staff
        read.pupils += batch.pupils
        read.groups += batch.groups
        read.consents += batch.consents
        read.problems += [p.describe() for p in batch.problems]
        read.frozen |= batch.quarantined_keys
        if batch.kind is not SourceKind.CONSENT:
            read.unkeyed += batch.unkeyed_rejects
        read.counts.update({f"{batch.source}.{kind}": n for kind, n in batch.counts.items()})
    return read


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
            if isinstance(exc, locks.LockHeld) and self._forget_refused(run_id):
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
        approved = self._approved_fingerprint(request.approve) if request.approve else None
        # a source stop approved, then stopped by a threshold, is approved again for its plan
        chain = gate.approval_chain(self.sessions, request.approve) if request.approve else []

        read = read_sources(self.sources, CleanRules.of(self.config.sources))
        report.problems += read.problems
        report.source_counts = read.counts
        source_fp = "sources:" + _digest(read.counts)
        safety = self.config.safety
        reasons = check_sources(
            read.counts,
            gate.source_baselines(self.sessions, safety.source_window_days),
            safety.source_max_shrink_percent,
            {s.name: str(getattr(s, "system", "")) for s in self.sources},
            window_days=safety.source_window_days,
        )
        if reasons and source_fp not in chain:
            report.status, report.stop_reasons = "stopped", reasons
            self._finish_run(report, plans_fp=source_fp)
            return

        desired = self._desired(read, today)
        report.issues += [issue.describe() for issue in desired.issues]

        for target in self.targets:  # a dry run too: it must not preview a target mid-run
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
                report.resumed += self._resume_interrupted(target, report, today)
        if not request.dry_run:
            report.problems += close_dead_runs(self.sessions, current=report.run_id)

        snapshots = {target.name: target.read() for target in self.targets}
        desired = self._assign_names(desired, snapshots)

        plans: list[Plan] = []
        bases: dict[str, dict[str, Base]] = {}
        for target in self.targets:
            plan = self._plan(target, desired, snapshots[target.name], today)
            bases[target.name] = gate.bases(self.sessions, target.name, snapshots[target.name])
            if request.scope:
                plan = _scoped(plan, request.scope)
            plans.append(plan)
            report.targets.append(TargetReport(target.name, plan.operations, plan.counts()))
            report.issues += [f"{target.name}: {issue.describe()}" for issue in plan.issues]
        plans_fp = "plan:" + _digest([plan.fingerprint() for plan in plans])

        reasons = []
        if approved != plans_fp:
            reasons = [
                reason
                for plan in plans
                for reason in check_thresholds(plan, safety.thresholds, bases[plan.target])
            ]
            if reasons and request.approve and approved != source_fp:
                reasons.insert(0, f"the plan is no longer the one stopped in run {request.approve}")
        if reasons:
            hint = (
                f" Check the sources, then approve with: provisioner sync --approve {report.run_id}"
            )
            report.status, report.stop_reasons = "stopped", [r + "." for r in reasons]
            report.stop_reasons[-1] += hint
            self._finish_run(report, plans_fp=plans_fp)
            return
        if request.dry_run:
            report.status = "dry_run"
            self._finish_run(report, plans_fp=plans_fp)
            return

        with self.sessions() as session:
            self._save_names(session, desired)
            save_consent_history(session, read.consents)
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
                progress=_per_target(progress, target.name),
            )
            _fill(target_report, executor.run())
            issues = [
                i
                for i in (*desired.issues, *plan.issues)
                if not request.scope or i.key == request.scope
            ]
            self._record_outcomes(report.run_id, target.name, issues)
        report.status = (
            "partial" if report.failed or any(t.stopped for t in report.targets) else "applied"
        )
        self._finish_run(report, plans_fp=plans_fp)

    # -- the pieces ------------------------------------------------------------------------

    def _desired(self, read: _Read, today: date) -> DesiredState:
        with self.sessions() as session:
            offboardings = [
                Offboarding(
                    o.person_key,
                    o.last_day,
                    o.requested_by,
                    frozenset(o.locations.split()) if o.locations else None,
                )
                for o in session.execute(
                    select(Override).where(Override.cancelled.is_(False)).order_by(Override.id)
                ).scalars()
            ]
        settings = PolicySettings(
            today=today,
            locations={loc.brin6: loc.name for loc in self.config.locations},
            roles=self.config.roles,
            director_scope=self.config.board.director_scope,
            days_before_start=self.config.lifecycle.days_before_start,
        )
        return build_desired_state(
            read.staff,
            read.pupils,
            read.groups,
            settings,
            offboardings=offboardings,
            frozen=read.frozen,
            orphans_may_leave=read.unkeyed == 0,
        )

    def _assign_names(
        self, desired: DesiredState, snapshots: dict[str, TargetSnapshot]
    ) -> DesiredState:
        with self.sessions() as session:
            existing = {
                row.key: row.username for row in session.execute(select(AccountName)).scalars()
            }
        taken: set[str] = set()
        for snapshot in snapshots.values():
            taken |= snapshot.taken_names
            for account in snapshot.accounts:  # adopt the names of accounts that exist already
                if (
                    account.key
                    and account.username  # a SIS staff record may have no user name
                    and account.key in desired.accounts
                    and account.key not in existing
                ):
                    existing[account.key] = account.username.lower()
        naming = self.config.naming
        requests = [
            NameRequest(
                key=a.key,
                name=a.name,
                template=naming.pupil_template
                if a.kind is PersonKind.PUPIL
                else naming.staff_template,
                ident=a.ident,
            )
            for a in desired.accounts.values()
        ]
        names = assign_usernames(
            requests, existing, taken, rename_on_name_change=naming.rename_on_name_change
        )
        accounts = {
            key: dataclasses.replace(a, username=names[key]) for key, a in desired.accounts.items()
        }
        return dataclasses.replace(desired, accounts=accounts)

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
        return self._hold_unapproved_deletions(plan)

    def _hold_unapproved_deletions(self, plan: Plan) -> Plan:
        """A deletion waits while its approval (a manual task of the central office, opened
        by an offboarding from chat) is open: the account stays disabled until approved."""
        deletions = {op.key for op in plan.operations if op.type is OpType.DELETE_ACCOUNT}
        if not deletions:
            return plan
        with self.sessions() as session:
            waiting: set[str] = set(
                key
                for key in session.execute(
                    select(ManualTaskRow.person_key).where(
                        ManualTaskRow.kind == "approve_deletion",
                        ManualTaskRow.status == "open",
                        ManualTaskRow.person_key.in_(sorted(deletions)),
                    )
                ).scalars()
                if key is not None
            )
        if not waiting:
            return plan
        return dataclasses.replace(
            plan,
            operations=tuple(
                op
                for op in plan.operations
                if not (op.type is OpType.DELETE_ACCOUNT and op.key in waiting)
            ),
            issues=(
                *plan.issues,
                *(
                    PlanIssue(IssueKind.AWAITING_APPROVAL, key, "deletion waits for its approval")
                    for key in sorted(waiting)
                ),
            ),
        )

    def _resume_interrupted(self, target: Target, report: RunReport, today: date) -> list[str]:
        """Finish what a killed run left in the journal for this target (we hold its lock).
        What it finishes is recorded under the killed run (outcomes, counts) and this run
        says so in its problems: "finished N operations of run R"."""
        run_id = report.run_id
        with self.sessions() as session:
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
            started = (
                run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
            )
            if datetime.now(UTC) - started > RESUME_WITHIN:
                self._abandon(run.id, target.name)
                self._record_outcomes(run.id, target.name, (), replace=True)
                self._close_if_done(run.id, resumed_by=None)
                continue
            log.info("resuming run %s on %s", run.id, target.name)
            open_count = _open_entries(self.sessions, run.id, target.name)
            Executor(
                self.sessions, target, run_id=run.id, actor=f"sync:{run.id}", today=today
            ).run()
            resumed.append(run.id)
            self._record_outcomes(run.id, target.name, (), replace=True)
            report.problems.append(
                f"{target.name}: finished {open_count} operations of run {run.id}"
                " (killed before it could; recorded under that run)"
            )
            self._close_if_done(run.id, resumed_by=run_id)
        return resumed

    def _forget_refused(self, run_id: str) -> bool:
        """A run refused because another holds a target changed nothing: it leaves no record."""
        with self.sessions() as session:
            gone = session.execute(
                delete(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "planning")
            )
            session.commit()
        return bool(getattr(gone, "rowcount", 0))

    def _abandon(self, run_id: str, target: str) -> None:
        with self.sessions() as session:
            for entry in session.execute(
                select(JournalEntry).where(
                    JournalEntry.run_id == run_id,
                    JournalEntry.target == target,
                    JournalEntry.status.in_(("pending", "sending")),
                )
            ).scalars():
                entry.status, entry.error = "skipped", "abandoned: too old to resume; planned again"
            session.commit()

    def _close_if_done(self, run_id: str, resumed_by: str | None) -> None:
        """A killed run whose journal is now complete gets its final status and counts."""
        with self.sessions() as session:
            open_count = session.execute(
                select(func.count())
                .select_from(JournalEntry)
                .where(
                    JournalEntry.run_id == run_id, JournalEntry.status.in_(("pending", "sending"))
                )
            ).scalar_one()
            if open_count:
                return
            failed = session.execute(
                select(func.count())
                .select_from(JournalEntry)
                .where(
                    JournalEntry.run_id == run_id, JournalEntry.status.in_(("failed", "skipped"))
                )
            ).scalar_one()
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.status = "partial" if failed else "applied"
            run.finished_at = datetime.now(UTC)
            _count_journal(session, run)
            if resumed_by:
                run.problems = [*run.problems, f"interrupted; finished by run {resumed_by}"]
            session.commit()

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

    def _save_names(self, session: Session, desired: DesiredState) -> None:
        existing = {row.key: row for row in session.execute(select(AccountName)).scalars()}
        now = datetime.now(UTC)
        for key, account in desired.accounts.items():
            if account.state is not AccountState.ACTIVE:
                continue
            row = existing.get(key)
            if row is None:
                session.add(AccountName(key=key, username=account.username, assigned_at=now))
            elif row.username != account.username:
                row.username, row.assigned_at = account.username, now
        session.flush()

    def _record_outcomes(
        self, run_id: str, target: str, issues: Sequence[PlanIssue], *, replace: bool = False
    ) -> None:
        record_outcomes(self.sessions, run_id, target, issues, replace=replace)

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


def _open_entries(sessions: sessionmaker[Session], run_id: str, target: str | None) -> int:
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


def _count_journal(session: Session, run: SyncRun) -> None:
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
        _aware(row.expires_at) > now and not locks._holder_is_dead(row.owner) for row in rows
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
        left = _open_entries(sessions, run_id, None)
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
            _count_journal(session, row)
            row.problems = [*row.problems, f"{why} (closed as interrupted by {by})"]
            session.commit()
        notes.append(f"closed run {run_id} as interrupted: its process died while {status}")
    return notes


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _per_target(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    report = progress
    return lambda done, total: report(name, done, total)


def _fill(target_report: TargetReport, result: ExecutionResult) -> None:
    target_report.applied = result.applied
    target_report.failed = result.failed
    target_report.skipped = result.skipped
    target_report.stopped = result.stopped


def _scoped(plan: Plan, key: str) -> Plan:
    """Only the operations about one person, plus the groups they are added to."""
    ops = [op for op in plan.operations if op.key == key]
    needed = {op.group for op in ops if op.type is OpType.ADD_MEMBER}
    ops += [
        op
        for op in plan.operations
        if op.type in (OpType.CREATE_GROUP, OpType.LINK_GROUP) and op.key in needed
    ]
    return dataclasses.replace(
        plan,
        operations=tuple(sorted(ops, key=Operation.sort_key)),
        issues=tuple(i for i in plan.issues if i.key == key),
    )


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()
