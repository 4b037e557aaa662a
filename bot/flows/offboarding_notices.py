"""After an offboarding is confirmed: record it once, open the manual tasks, run the sync for
the one person (at once, or from the scheduler once the last working day has passed), and
tell the requester -- also when it fails.

Once, whatever arrives twice: the confirmation is an INSERT into ``chat_actions`` under the
plan's nonce in the same transaction as the override and the tasks, so a double press, a
Slack retry or two replicas make one override, one task set and one set of notices; the
run is claimed in ``target_locks`` so one process runs it.

Never silent: a run that fails (anything but the nightly run's lock, which is waited for
quietly) is logged without personal data and audited as ``offboarding.failed`` with an
incident id and the error class, each time; it is retried with a growing pause; after
``bot.offboarding_max_attempts`` failures the requester and the central office are told,
with the incident id. A run stopped by the safety gate is reported as a stop.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import Audience, Language, Notice, Reply
from bot.dates import format_day
from bot.flows.offboarding_policy import Plan
from bot.flows.offboarding_text import (
    ORIGIN,
    location_names,
    run_text,
    sis_name,
    sis_staff_target,
    t,
)
from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.directory import Directory
from provisioner.execution.locks import LockHeld
from provisioner.store.tables import AuditEvent, ChatAction, Override, TargetLock
from provisioner.tasks import ManualTask, ManualTasks, open_task

log = logging.getLogger("provisioner.bot.offboarding")

#: A run for one person: (person key, actor, today) -> an object with ``run_id``, ``status``.
SyncService = Callable[[str, str, date], Any]
#: How long a claim on an offboarding holds when its holder neither finishes nor releases it
#: (a replica killed mid-run): then another replica may take it over.
CLAIM_FOR = timedelta(minutes=15)
#: The pause after the n-th failed run: 1, 2, 4, ... minutes, at most an hour.
MAX_PAUSE = timedelta(hours=1)


# -- recording, once ------------------------------------------------------------------------


def confirmed_before(sessions: sessionmaker[Session], nonce: str) -> dict[str, Any] | None:
    """What an earlier arrival of this confirmation recorded, if it was applied already."""
    with sessions() as session:
        row = session.get(ChatAction, f"offboarding-confirm:{nonce}")
        return dict(row.result) if row is not None else None


def record_once(
    sessions: sessionmaker[Session], nonce: str, actor: str,
    work: Callable[[Session], dict[str, Any]],
) -> tuple[dict[str, Any], bool]:
    """Do ``work`` (record the override, open the tasks) once for the confirmation
    ``nonce``: ``(result, True)`` for the arrival that did it, ``(the first arrival's
    result, False)`` for every other one. The database decides: the key is inserted in the
    same transaction as the work."""
    key = f"offboarding-confirm:{nonce}"
    with sessions() as session:
        try:
            row = ChatAction(key=key, actor=actor, result={}, created_at=datetime.now(UTC))
            session.add(row)
            session.flush()
            result = work(session)
            row.result = result
            session.commit()
            return result, True
        except IntegrityError:
            session.rollback()
    return confirmed_before(sessions, nonce) or {}, False


def record_offboarding(session: Session, plan: Plan, actor: str, requester: str,
                       language: Language) -> int:
    """Cancel earlier requests that the new one covers whole, add the override with its
    scope, audit; returns its id."""
    key, scope = plan.person.key, plan.scope
    for earlier in session.execute(
        select(Override).where(Override.person_key == key, Override.cancelled.is_(False))
    ).scalars():
        theirs = frozenset(earlier.locations.split()) if earlier.locations else None
        if scope.locations is None or (theirs is not None and theirs <= scope.locations):
            earlier.cancelled = True
            record(session, actor=actor, action="offboarding.replaced", target="bot",
                   object_key=key, reason=f"override {earlier.id} replaced by a new request",
                   change={"override_id": earlier.id})
    override = Override(person_key=key, last_day=plan.effective_day, requested_by=actor,
                        reason="offboarding confirmed in chat", created_at=datetime.now(UTC),
                        cancelled=False, locations=scope.stored())
    session.add(override)
    session.flush()
    record(session, actor=actor, action="offboarding.requested", target="bot", object_key=key,
           reason=f"last working day {plan.effective_day.isoformat()}",
           change={
               "override_id": override.id,
               "last_day": plan.effective_day.isoformat(),
               "access_ends": plan.access_ends.isoformat(),
               "delete_on": plan.delete_on.isoformat() if plan.delete_on else None,
               "scope": scope.stored() or "all",
               "keeps_posts": sorted(p.location for p in scope.staying),
               "requester": requester,
               "language": language,
           })
    return override.id


def open_offboarding_tasks(
    session: Session, config: Config, plan: Plan, override_id: int, actor: str,
    sis_assignee: str,
) -> list[ManualTask]:
    """The steps without an API, in Dutch (the register's language): the SIS step, one per
    portal, and approving the deletion (only when the account goes)."""
    person, scope = plan.person, plan.scope
    names = location_names(config)
    location = sorted(p.location for p in scope.ending)[0] if scope.ending else None
    place = " & ".join(sorted({names.get(p.location, p.location) for p in scope.ending}))
    name, number, sis = person.name.display, person.employee_number, sis_name(config)
    ends = format_day(plan.access_ends, "nl")
    common: dict[str, Any] = {"origin": f"{ORIGIN}{override_id}", "actor": actor,
                              "person_key": person.key, "location": location}
    tasks: list[ManualTask] = []
    if sis_staff_target(config) is None:  # else the sync does it
        if scope.partial:
            tasks.append(open_task(
                session, kind="sis_post", system=_slug(sis),
                title=f"{name}: aanstelling {place} beëindigen in {sis}",
                instructions=f"Haal de rechten van {name} ({number}) voor {place} weg in {sis} "
                f"per {ends}. Het account blijft: de andere aanstelling loopt door.",
                assignee=sis_assignee, due_on=plan.access_ends, **common))
        else:
            tasks.append(open_task(
                session, kind="sis_account", system=_slug(sis),
                title=f"{name}: niet-actief in {sis}",
                instructions=f"Zet {name} ({number}) op niet-actief in {sis} per {ends}. "
                "Basispoort volgt na de nachtelijke koppeling.",
                assignee=sis_assignee, due_on=plan.access_ends, **common))
    for portal in config.bot.manual_portals:
        suffix = f" voor {place}" if scope.partial else ""
        tasks.append(open_task(
            session, kind="portal_access", system=_slug(portal),
            title=f"{name}: toegang {portal} intrekken",
            instructions=f"Trek de toegang van {name} ({number}) tot {portal}{suffix} in "
            f"per {ends}.",
            assignee="central_office", due_on=plan.access_ends, **common))
    if plan.delete_on is not None:
        tasks.append(open_task(
            session, kind="approve_deletion", system="accounts",
            title=f"{name}: verwijderen goedkeuren",
            instructions=f"De accounts van {name} ({number}) worden op "
            f"{format_day(plan.delete_on, 'nl')} verwijderd. Keur goed als er niets meer "
            "bewaard hoeft te worden.",
            assignee="central_office", due_on=plan.delete_on, **common))
    return tasks


# -- the claim ------------------------------------------------------------------------------


@contextmanager
def claimed(sessions: sessionmaker[Session], name: str, *,
            wait: float = 0.0) -> Iterator[bool]:
    """Claim ``name`` for the block, so that of several ``serve`` replicas exactly one does
    the work: yields True for the one holder, False for everyone else.

    The claim is a row in ``target_locks`` (its key is unique): one INSERT, or one
    conditional UPDATE of an expired row checked by its row count. Each is a single
    statement, so the database decides on SQLite and PostgreSQL alike; nothing is read
    first. ``wait`` seconds: keep trying while someone else holds it (a short step)."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    deadline = time.monotonic() + wait
    while True:
        got = _claim(sessions, name, owner)
        if got or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    try:
        yield got
    finally:
        if got:
            with sessions() as session:
                session.execute(delete(TargetLock).where(TargetLock.target == name,
                                                         TargetLock.owner == owner))
                session.commit()


def _claim(sessions: sessionmaker[Session], name: str, owner: str) -> bool:
    now = datetime.now(UTC)
    values = {"run_id": "offboarding", "owner": owner, "expires_at": now + CLAIM_FOR}
    with sessions() as session:
        try:
            session.execute(insert(TargetLock).values(target=name, **values))
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
        taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(TargetLock)
            .where(TargetLock.target == name, TargetLock.expires_at < now)
            .values(**values)
        )
        session.commit()
        return taken.rowcount == 1


# -- the run --------------------------------------------------------------------------------


def run_offboarding(
    config: Config,
    sessions: sessionmaker[Session],
    services: Any,
    override_id: int,
    person_key: str,
    actor: str,
    today: date,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Run the core engine for one person now, once: claimed first, so a chat confirmation
    and the ticks of several ``serve`` replicas never run it twice. Audited. The outcome as
    plain data: ``applied``/``partial``/``stopped`` (with ``run_id``), ``retry`` (the lock
    of another run, or a failure below the limit), ``failed`` (the failure that reached
    ``bot.offboarding_max_attempts``: tell people), ``claimed`` (another process has it or
    it has already run), ``scheduled`` (no sync in this process)."""
    sync: SyncService | None = services.get("sync") if services else None
    if sync is None:
        return {"status": "scheduled", "reason": "no sync service in this process"}
    with claimed(sessions, f"(offboarding {override_id})") as mine:
        if not mine:
            return {"status": "claimed", "reason": "another process is running it"}
        with sessions() as session:
            override = session.get(Override, override_id)
            if override is None or has_event(session, "offboarding.run", override):
                return {"status": "claimed", "reason": "it has already run"}
        return _run(config, sessions, sync, override_id, person_key, actor, today,
                    now or datetime.now(UTC))


def _run(config: Config, sessions: sessionmaker[Session], sync: SyncService,
         override_id: int, person_key: str, actor: str, today: date,
         now: datetime) -> dict[str, Any]:
    try:
        report = sync(person_key, actor, today)
    except LockHeld:  # the nightly run holds a target: wait quietly, the next tick retries
        return {"status": "retry", "reason": "LockHeld"}
    except Exception as exc:
        return _failed(config, sessions, override_id, person_key, actor, exc, now)
    outcome = {"status": str(report.status), "run_id": str(report.run_id)}
    with sessions() as session:
        record(session, actor=actor, action="offboarding.run", target="bot",
               object_key=person_key, run_id=outcome["run_id"],
               reason=f"ran the sync for one person: {outcome['status']}",
               change={"override_id": override_id, **outcome})
        session.commit()
    return outcome


def _failed(config: Config, sessions: sessionmaker[Session], override_id: int,
            person_key: str, actor: str, exc: Exception, now: datetime) -> dict[str, Any]:
    incident = uuid.uuid4().hex[:8]
    error = type(exc).__name__
    with sessions() as session:
        attempts = len(failures(session, override_id)) + 1
        record(session, actor=actor, action="offboarding.failed", target="bot",
               object_key=person_key, reason=f"the sync for one person failed: {error}",
               change={"override_id": override_id, "incident": incident, "error": error,
                       "attempts": attempts, "at": now.astimezone(UTC).isoformat()})
        session.commit()
    # Ids and the error class only: the exception's message may name the person.
    log.error("offboarding %s: run failed (incident %s, attempt %d): %s", override_id,
              incident, attempts, error)
    limit = config.bot.offboarding_max_attempts
    status = "failed" if attempts == limit else "retry"
    return {"status": status, "reason": error, "incident": incident, "attempts": attempts}


def failures(session: Session, override_id: int) -> list[datetime]:
    """When the runs of this offboarding failed (by the scheduler's clock), oldest first."""
    moments = []
    for at, change_text in session.execute(
        select(AuditEvent.at, AuditEvent.change)
        .where(AuditEvent.action == "offboarding.failed").order_by(AuditEvent.seq)
    ):
        change = json.loads(change_text)
        if change.get("override_id") == override_id:
            moments.append(datetime.fromisoformat(change["at"]) if change.get("at") else at)
    return moments


def _pausing(session: Session, override_id: int, now: datetime) -> bool:
    """After n failures the next try waits 2**(n-1) minutes (at most an hour)."""
    failed = failures(session, override_id)
    if not failed:
        return False
    pause = min(timedelta(minutes=2 ** (len(failed) - 1)), MAX_PAUSE)
    last = failed[-1] if failed[-1].tzinfo else failed[-1].replace(tzinfo=UTC)
    return now.astimezone(UTC) < last + pause


def outcome_notices(config: Config, sessions: sessionmaker[Session], directory: Directory,
                    override_id: int, outcome: dict[str, Any], *,
                    tell_requester: bool = True) -> list[Notice]:
    """What to tell about a run: the requester (and, on a failure at the limit or a stop,
    the central office), then "everything done" when that is so."""
    status = outcome.get("status")
    if status in ("retry", "scheduled", "claimed"):
        return []
    with sessions() as session:
        request = request_of(session, override_id) or {}
        override = session.get(Override, override_id)
    if override is None:
        return []
    person = directory.staff(override.person_key)
    name = person.name.display if person else override.person_key
    lang: Language = "en" if request.get("language") == "en" else "nl"
    data = {"person_key": override.person_key, "run": outcome, "override_id": override_id}
    notices: list[Notice] = []
    if tell_requester and request.get("requester"):
        notices.append(Notice(Audience.PERSON, Reply(run_text(lang, name, outcome), data=data),
                              person_key=str(request["requester"])))
    if status in ("failed", "stopped"):
        notices.append(Notice(Audience.CENTRAL_OFFICE,
                              Reply(run_text(lang, name, outcome), data=data)))
    return notices + finished_notices(config, sessions, directory, override_id)


def run_due_offboardings(
    config: Config,
    sessions: sessionmaker[Session],
    services: Any,
    now: datetime,
) -> list[Notice]:
    """The scheduler's part: run every confirmed offboarding whose last day has passed and
    that has not run yet (a failed one after its pause); the notices tell the requesters."""
    today = now.date()
    directory = Directory(sessions)
    notices: list[Notice] = []
    with sessions() as session:
        due = list(session.execute(
            select(Override).where(
                Override.cancelled.is_(False),
                Override.last_day < today,
                Override.requested_by.startswith("chat:"),
            ).order_by(Override.id)
        ).scalars())
        pending = [o for o in due if request_of(session, o.id)
                   and not has_event(session, "offboarding.run", o)
                   and not _pausing(session, o.id, now)]
    for override in pending:
        outcome = run_offboarding(config, sessions, services, override.id, override.person_key,
                                  override.requested_by, today, now)
        notices += outcome_notices(config, sessions, directory, override.id, outcome)
    return notices


def finished_notices(
    config: Config, sessions: sessionmaker[Session], directory: Directory, override_id: int
) -> list[Notice]:
    """"Everything is done" for the requester, once the run has applied and every task but
    the (later) deletion approval is closed. Exactly once: the last task closed at the same
    moment as a tick on another replica (or two last tasks at once) both get here, and the
    claim lets one of them look and tell."""
    with claimed(sessions, f"(offboarding {override_id} done)", wait=10.0) as mine:
        if not mine:
            return []
        return _finished_notices(sessions, directory, override_id)


def _finished_notices(
    sessions: sessionmaker[Session], directory: Directory, override_id: int
) -> list[Notice]:
    with sessions() as session:
        override = session.get(Override, override_id)
        request = request_of(session, override_id)
        if (override is None or request is None
                or not has_event(session, "offboarding.run", override, "applied")):
            return []
        if has_event(session, "offboarding.finished", override):
            return []
        open_steps = [
            task for task in ManualTasks(sessions).list(person_key=override.person_key)
            if task.origin == f"{ORIGIN}{override_id}" and task.kind != "approve_deletion"
        ]
        if open_steps:
            return []
        record(session, actor=override.requested_by, action="offboarding.finished",
               target="bot", object_key=override.person_key,
               reason="automatic steps applied and manual steps done",
               change={"override_id": override_id})
        session.commit()
    person = directory.staff(override.person_key)
    lang: Language = "en" if request.get("language") == "en" else "nl"
    name = person.name.display if person else override.person_key
    return [Notice(
        Audience.PERSON,
        Reply(t(lang, f"Klaar: {name} is volledig uit dienst verwerkt (toegang geblokkeerd, "
                      "handmatige stappen gedaan).",
                f"Done: {name} is fully offboarded (access blocked, manual steps done)."),
              data={"finished": True, "person_key": override.person_key,
                    "override_id": override_id}),
        person_key=str(request["requester"]),
    )]


# -- queries --------------------------------------------------------------------------------


def request_of(session: Session, override_id: int) -> dict[str, Any] | None:
    for change_text in session.execute(
        select(AuditEvent.change).where(AuditEvent.action == "offboarding.requested")
        .order_by(AuditEvent.seq.desc())
    ).scalars():
        change = json.loads(change_text)
        if change.get("override_id") == override_id:
            return dict(change)
    return None


def has_event(session: Session, action: str, override: Override,
              status: str | None = None) -> bool:
    for change_text in session.execute(
        select(AuditEvent.change).where(
            AuditEvent.action == action, AuditEvent.object_key == override.person_key
        )
    ).scalars():
        change = json.loads(change_text)
        if change.get("override_id") == override.id and (
            status is None or change.get("status") == status
        ):
            return True
    return False


def override_days(
    sessions: sessionmaker[Session], key: str
) -> list[tuple[date, frozenset[str] | None]]:
    """The person's standing offboardings: (last day, the locations they end or None)."""
    with sessions() as session:
        return [
            (day, frozenset(where.split()) if where else None)
            for day, where in session.execute(
                select(Override.last_day, Override.locations).where(
                    Override.person_key == key, Override.cancelled.is_(False))
            )
        ]


def _slug(text: str) -> str:
    import re

    from provisioner.directory import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
