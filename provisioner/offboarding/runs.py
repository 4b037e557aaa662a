"""Running a confirmed offboarding: the sync for the one person, once, and never silently.

Once: the run is claimed (:func:`provisioner.execution.locks.claimed`) so of a chat
confirmation and the ticks of several ``serve`` replicas exactly one runs it, and an
offboarding that has run (``offboarding.run`` in the audit trail) is not run again.

Never silent: a run that fails (anything but the nightly run's lock, which is waited for
quietly) is logged without personal data and audited as ``offboarding.failed`` with an
incident id and the error class, each time; it is retried with a growing pause; after
``bot.offboarding_max_attempts`` failures the outcome says ``failed`` so the front end tells
the requester and the central office. "Everything done" is decided here once
(:func:`finish_once`); what the people are told is the front end's.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.execution.locks import LockHeld, claimed
from provisioner.offboarding.policy import ORIGIN
from provisioner.store.tables import AuditEvent, Override
from provisioner.tasks import ManualTasks

log = logging.getLogger("provisioner.bot.offboarding")

#: A run for one person: (person key, actor, today) -> an object with ``run_id``, ``status``.
SyncService = Callable[[str, str, date], Any]
#: How long a claim on an offboarding holds when its holder neither finishes nor releases it
#: (a replica killed mid-run): then another replica may take it over.
CLAIM_FOR = timedelta(minutes=15)
#: The pause after the n-th failed run: 1, 2, 4, ... minutes, at most an hour.
MAX_PAUSE = timedelta(hours=1)


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
    with claimed(
        sessions, f"(offboarding {override_id})", hold_for=CLAIM_FOR, label="offboarding"
    ) as mine:
        if not mine:
            return {"status": "claimed", "reason": "another process is running it"}
        with sessions() as session:
            override = session.get(Override, override_id)
            if override is None or has_event(session, "offboarding.run", override):
                return {"status": "claimed", "reason": "it has already run"}
        return _run(
            config, sessions, sync, override_id, person_key, actor, today, now or datetime.now(UTC)
        )


def _run(
    config: Config,
    sessions: sessionmaker[Session],
    sync: SyncService,
    override_id: int,
    person_key: str,
    actor: str,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    try:
        report = sync(person_key, actor, today)
    except LockHeld:  # the nightly run holds a target: wait quietly, the next tick retries
        return {"status": "retry", "reason": "LockHeld"}
    except Exception as exc:
        return _failed(config, sessions, override_id, person_key, actor, exc, now)
    outcome = {"status": str(report.status), "run_id": str(report.run_id)}
    with sessions() as session:
        record(
            session,
            actor=actor,
            action="offboarding.run",
            target="bot",
            object_key=person_key,
            run_id=outcome["run_id"],
            reason=f"ran the sync for one person: {outcome['status']}",
            change={"override_id": override_id, **outcome},
        )
        session.commit()
    return outcome


def _failed(
    config: Config,
    sessions: sessionmaker[Session],
    override_id: int,
    person_key: str,
    actor: str,
    exc: Exception,
    now: datetime,
) -> dict[str, Any]:
    incident = uuid.uuid4().hex[:8]
    error = type(exc).__name__
    with sessions() as session:
        attempts = len(failures(session, override_id)) + 1
        record(
            session,
            actor=actor,
            action="offboarding.failed",
            target="bot",
            object_key=person_key,
            reason=f"the sync for one person failed: {error}",
            change={
                "override_id": override_id,
                "incident": incident,
                "error": error,
                "attempts": attempts,
                "at": now.astimezone(UTC).isoformat(),
            },
        )
        session.commit()
    # Ids and the error class only: the exception's message may name the person.
    log.error(
        "offboarding %s: run failed (incident %s, attempt %d): %s",
        override_id,
        incident,
        attempts,
        error,
    )
    limit = config.bot.offboarding_max_attempts
    status = "failed" if attempts == limit else "retry"
    return {"status": status, "reason": error, "incident": incident, "attempts": attempts}


def failures(session: Session, override_id: int) -> list[datetime]:
    """When the runs of this offboarding failed (by the scheduler's clock), oldest first."""
    moments = []
    for at, change_text in session.execute(
        select(AuditEvent.at, AuditEvent.change)
        .where(AuditEvent.action == "offboarding.failed")
        .order_by(AuditEvent.seq)
    ):
        change = json.loads(change_text)
        if change.get("override_id") == override_id:
            moments.append(datetime.fromisoformat(change["at"]) if change.get("at") else at)
    return moments


def pausing(session: Session, override_id: int, now: datetime) -> bool:
    """After n failures the next try waits 2**(n-1) minutes (at most an hour)."""
    failed = failures(session, override_id)
    if not failed:
        return False
    pause = min(timedelta(minutes=2 ** (len(failed) - 1)), MAX_PAUSE)
    last = failed[-1] if failed[-1].tzinfo else failed[-1].replace(tzinfo=UTC)
    return now.astimezone(UTC) < last + pause


def due_offboardings(sessions: sessionmaker[Session], now: datetime) -> list[Override]:
    """Every offboarding confirmed in chat whose last day has passed and that has not run
    yet (a failed one only after its pause), oldest first."""
    today = now.date()
    with sessions() as session:
        due = list(
            session.execute(
                select(Override)
                .where(
                    Override.cancelled.is_(False),
                    Override.last_day < today,
                    Override.requested_by.startswith("chat:"),
                )
                .order_by(Override.id)
            ).scalars()
        )
        return [
            o
            for o in due
            if request_of(session, o.id)
            and not has_event(session, "offboarding.run", o)
            and not pausing(session, o.id, now)
        ]


def finish_once(sessions: sessionmaker[Session], override_id: int) -> dict[str, Any] | None:
    """The request (requester, language) when this call is the one that finds the
    offboarding done: the run applied and every task but the (later) deletion approval
    closed. Audited ``offboarding.finished``; exactly once: the last task closed at the same
    moment as a tick on another replica (or two last tasks at once) both get here, and the
    claim lets one of them look."""
    name = f"(offboarding {override_id} done)"
    with claimed(sessions, name, hold_for=CLAIM_FOR, label="offboarding", wait=10.0) as mine:
        if not mine:
            return None
        with sessions() as session:
            override = session.get(Override, override_id)
            request = request_of(session, override_id)
            if (
                override is None
                or request is None
                or not has_event(session, "offboarding.run", override, "applied")
                or has_event(session, "offboarding.finished", override)
            ):
                return None
            open_steps = [
                task
                for task in ManualTasks(sessions).list(person_key=override.person_key)
                if task.origin == f"{ORIGIN}{override_id}" and task.kind != "approve_deletion"
            ]
            if open_steps:
                return None
            record(
                session,
                actor=override.requested_by,
                action="offboarding.finished",
                target="bot",
                object_key=override.person_key,
                reason="automatic steps applied and manual steps done",
                change={"override_id": override_id},
            )
            session.commit()
            return {**request, "person_key": override.person_key}


# -- queries --------------------------------------------------------------------------------


def request_of(session: Session, override_id: int) -> dict[str, Any] | None:
    for change_text in session.execute(
        select(AuditEvent.change)
        .where(AuditEvent.action == "offboarding.requested")
        .order_by(AuditEvent.seq.desc())
    ).scalars():
        change = json.loads(change_text)
        if change.get("override_id") == override_id:
            return dict(change)
    return None


def has_event(session: Session, action: str, override: Override, status: str | None = None) -> bool:
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
                    Override.person_key == key, Override.cancelled.is_(False)
                )
            )
        ]
