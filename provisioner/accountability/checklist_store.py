"""The facts of the privacy checklist, read from the state store and the configuration in one
transaction, together with the audit chain head they were read at (so the report can say
which trail it summarises). Only keys, ids and counts leave here: no names.

- leavers: the journal's ``disable_account`` operations on staff accounts (HR's last working
  day is in their data; the time the journal recorded them applied is when the account was
  disabled), per target;
- manual tasks: the SIS's and the portals' steps without an API, and the retention tasks
  (kind ``retention_*``, with their category from ``retention_tasks``);
- drift: the full runs of the period, and the journal's repairs marked "(drift)";
- consent: the answers per medium and the yearly reminders per location;
- breaches: the register's deadlines (FG 24 hours, AP 72 hours) and when they were met;
- processor agreements: ``[processing.agreements]`` for every connected source and target.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.checklist_facts import (
    AccountDisable,
    AgreementFact,
    BreachFact,
    ChainHead,
    ChecklistFacts,
    ConsentFacts,
    DeadlineFact,
    DriftFact,
    MediumFact,
    Period,
    ReminderFact,
    TaskFact,
)
from provisioner.accountability.checklist_parts import PORTAL_TASKS, RETENTION_PREFIX, SIS_TASKS
from provisioner.config import Config
from provisioner.privacy.breach_register_records import to_record
from provisioner.privacy.consent_reminders import reads_consents, reminder_due, school_year_of
from provisioner.privacy.media import catalogue_for
from provisioner.store.tables import (
    AuditHead,
    Breach,
    Consent,
    ConsentReminder,
    DirectoryPerson,
    JournalEntry,
    ManualTaskRow,
    SyncRun,
)
from provisioner.store.tables_retention import RetentionTask

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DRIFT_MARK = "(drift)"
FULL_RUN_STATUSES = ("applied", "partial")


def period_of(config: Config, on: date, school_year: str | None = None) -> Period:
    """The school year ``school_year`` ("2025-2026"), or the one ``on`` falls in."""
    month, day = (int(p) for p in config.consent.school_year_start.split("-"))
    return Period.of(school_year or school_year_of(config, on), (month, day), on)


def gather(
    sessions: sessionmaker[Session], config: Config, period: Period, now: datetime
) -> ChecklistFacts:
    """Every fact of the checklist for ``period``, as the store holds them now."""
    with sessions() as session:
        head = session.get(AuditHead, 1)
        chain = (
            ChainHead(int(head.last_seq), str(head.last_hash)) if head else ChainHead(0, "0" * 64)
        )
        facts = ChecklistFacts(
            board=config.board.name,
            language=config.board.language,
            period=period,
            built_at=now,
            head=chain,
            targets=target_kinds(config),
            disables=tuple(_disables(session, period, target_kinds(config))),
            tasks=tuple(_tasks(session)),
            drift=tuple(_drift(session, config, period)),
            consent=_consent(session, config, period),
            breaches=tuple(_breaches(session)),
            agreements=tuple(_agreements(config)),
        )
    return facts


def target_kinds(config: Config) -> dict[str, str]:
    """Target name -> kind. A SIS without a write interface (ParnasSys) keeps its staff
    accounts through manual tasks: its "disabled" means a task was opened, so it is
    ``sis_staff_tasks`` and its evidence is the tasks being done."""
    return {
        t.name: "sis_staff_tasks"
        if t.kind == "sis_staff" and t.sis_system == "parnassys"
        else t.kind
        for t in config.targets
    }


def _start(day: date) -> datetime:
    """The first moment of ``day`` in Amsterdam, in UTC."""
    return datetime.combine(day, time.min, tzinfo=AMSTERDAM).astimezone(UTC)


def _local_day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(AMSTERDAM).date()


def _full_runs(period: Period) -> Any:
    return select(SyncRun.id).where(
        SyncRun.scope.is_(None),
        SyncRun.dry_run.is_(False),
        SyncRun.started_at >= _start(period.start),
        SyncRun.started_at < _start(period.last + timedelta(days=1)),
    )


# -- leavers ---------------------------------------------------------------------------------


def _disables(session: Session, period: Period, kinds: dict[str, str]) -> Iterable[AccountDisable]:
    """Per target, person and last working day: the first applied disable, else the runs
    whose disable failed. Runs scoped to one person (the bot's offboarding) count too."""
    rows = session.execute(
        select(JournalEntry, SyncRun.started_at)
        .join(SyncRun, SyncRun.id == JournalEntry.run_id)
        .where(
            JournalEntry.op_type == "disable_account",
            JournalEntry.object_key.like("staff:%"),
            SyncRun.dry_run.is_(False),
            SyncRun.started_at >= _start(period.start),
        )
        .order_by(JournalEntry.updated_at, JournalEntry.id)
    ).all()
    found: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for entry, started_at in rows:
        left_on = (entry.data or {}).get("left_on")
        slot = found.setdefault(
            (entry.target, entry.object_key, left_on), {"applied": None, "failed": []}
        )
        if entry.status == "applied" and slot["applied"] is None:
            slot["applied"] = (_local_day(entry.updated_at or started_at), entry.run_id)
        elif entry.status == "failed" and entry.run_id not in slot["failed"]:
            slot["failed"].append(entry.run_id)
    for (target, person, left_on), slot in found.items():
        applied = slot["applied"]
        yield AccountDisable(
            target=target,
            kind=kinds.get(target, ""),
            person=person,
            last_day=date.fromisoformat(left_on) if left_on else None,
            disabled_on=applied[0] if applied else None,
            run_id=applied[1] if applied else None,
            failed_runs=() if applied else tuple(slot["failed"]),
        )


# -- manual tasks ----------------------------------------------------------------------------


def _tasks(session: Session) -> Iterable[TaskFact]:
    kinds = sorted(SIS_TASKS | PORTAL_TASKS)
    rows = session.execute(
        select(ManualTaskRow, RetentionTask.category)
        .outerjoin(RetentionTask, RetentionTask.task_id == ManualTaskRow.id)
        .where(or_(ManualTaskRow.kind.in_(kinds), ManualTaskRow.kind.like(f"{RETENTION_PREFIX}%")))
        .order_by(ManualTaskRow.id)
    ).all()
    for row, category in rows:
        yield TaskFact(
            id=row.id,
            kind=row.kind,
            system=row.system,
            person=row.person_key,
            due_on=row.due_on,
            status=row.status,
            done_on=_local_day(row.done_at) if row.status == "done" else None,
            origin=row.origin,
            category=category or "",
        )


# -- the document hierarchy ------------------------------------------------------------------


def _drift(session: Session, config: Config, period: Period) -> Iterable[DriftFact]:
    runs = _full_runs(period).where(SyncRun.status.in_(FULL_RUN_STATUSES))
    run_count = int(session.scalar(select(func.count()).select_from(runs.subquery())) or 0)
    drift_rows = session.execute(
        select(JournalEntry.target, JournalEntry.status, JournalEntry.run_id)
        .where(
            JournalEntry.run_id.in_(_full_runs(period)),
            JournalEntry.reason.contains(DRIFT_MARK),
            JournalEntry.status.in_(("applied", "failed")),
        )
        .order_by(JournalEntry.run_id)
    ).all()
    repaired: dict[str, int] = defaultdict(int)
    failed: dict[str, list[str]] = defaultdict(list)
    for target, status, run_id in drift_rows:
        if status == "applied":
            repaired[target] += 1
        else:
            failed[target].append(run_id)
    for connected in config.targets:
        runs_failed = failed.get(connected.name, [])
        yield DriftFact(
            target=connected.name,
            runs=run_count,
            repaired=repaired.get(connected.name, 0),
            failed=len(runs_failed),
            failed_runs=tuple(dict.fromkeys(runs_failed)),
        )


# -- consent ---------------------------------------------------------------------------------


def _consent(session: Session, config: Config, period: Period) -> ConsentFacts:
    enrolled = {
        key.removeprefix("pupil:")
        for key in session.scalars(
            select(DirectoryPerson.key).where(
                DirectoryPerson.kind == "pupil", DirectoryPerson.active.is_(True)
            )
        )
    }
    latest: dict[tuple[str, str], tuple[date, int, str]] = {}
    for pupil, medium, status, recorded_on, row_id in session.execute(
        select(
            Consent.pupil_id, Consent.medium, Consent.status, Consent.recorded_on, Consent.id
        ).where(Consent.recorded_on <= period.last)
    ):
        key = (medium, pupil)
        if key not in latest or (recorded_on, row_id) > latest[key][:2]:
            latest[key] = (recorded_on, row_id, status)
    media = []
    for item in catalogue_for(config.consent, None).media:
        if not item.needs_consent:
            continue
        answers = {p: s for (m, p), (_, _, s) in latest.items() if m == item.name}
        counted = {p: s for p, s in answers.items() if p in enrolled} if enrolled else answers
        media.append(
            MediumFact(
                medium=item.name,
                label_nl=item.label_nl,
                label_en=item.label_en,
                answered=len(counted),
                granted=sum(1 for s in counted.values() if s == "granted"),
                enrolled_without=len(enrolled - set(answers)) if enrolled else None,
            )
        )
    sent: dict[str, date] = {}
    for location, sent_on in session.execute(
        select(ConsentReminder.location, ConsentReminder.sent_on).where(
            ConsentReminder.school_year == period.school_year,
            ConsentReminder.sent_on <= period.last,
        )
    ):
        sent[location] = min(sent_on, sent.get(location, sent_on))
    reminders = tuple(
        ReminderFact(loc.brin6, loc.name, sent.get(loc.brin6)) for loc in config.locations
    )
    return ConsentFacts(
        reads_consents=reads_consents(config),
        enrolled=len(enrolled),
        reminder_due=reminder_due(config, period.school_year),
        media=tuple(media),
        reminders=reminders,
    )


# -- breaches and agreements -----------------------------------------------------------------


def _breaches(session: Session) -> Iterable[BreachFact]:
    for row in session.scalars(select(Breach).order_by(Breach.id)):
        breach = to_record(row)
        discovered = breach.discovered_at or breach.reported_at
        yield BreachFact(
            id=breach.id,
            discovered_on=discovered.astimezone(AMSTERDAM).date(),
            deadlines=tuple(DeadlineFact(d.kind, d.due_at, d.done_at) for d in breach.deadlines),
        )


def _agreements(config: Config) -> Iterable[AgreementFact]:
    systems: list[tuple[str, str]] = [("hr", config.sources.hr.type)]
    if config.sources.sis is not None:
        systems.append(("sis", config.sources.sis.type))
    if config.sources.consent is not None:
        systems.append(("consent", config.sources.consent.type))
    systems += [(target.name, target.type) for target in config.targets]
    agreements = dict(config.processing.agreements)
    for target in config.targets:  # one supplier, one contract: the SIS source's covers it
        if target.kind == "sis_staff" and target.name not in agreements and "sis" in agreements:
            agreements[target.name] = agreements["sis"]
    for system, connector in systems:
        agreement = agreements.get(system)
        yield AgreementFact(
            system=system,
            connector=connector,
            processor=agreement.processor if agreement else None,
            signed_on=agreement.signed_on if agreement else None,
            dpia_on=agreement.dpia_on if agreement else None,
        )
