"""What starts a retention clock, recorded once (docs/accountability.md, "Retention").

A clock starts when something the product sees, or is told, has happened: a pupil was
deregistered, a staff member left, an internship ended, a breach or a complaint was closed, a
consent was withdrawn. :func:`record_event` stores it once per event, person and subject, in
the caller's transaction, with an audit event. A pupil or staff member who comes back stops
the clock (:func:`record_return`): nothing of theirs falls due while they are here again; when
they leave again the clock restarts from that day, so the data of both spells is kept for the
full period after the last one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.accountability.retention_rules import ClockEvent
from provisioner.audit.service import record
from provisioner.store.tables_retention import RetentionEvent

__all__ = ["RETURNING_EVENTS", "ClockEvent", "record_event", "record_return"]


#: The events a person undoes by coming back (re-enrolled, re-employed).
RETURNING_EVENTS = (ClockEvent.PUPIL_DEREGISTERED, ClockEvent.STAFF_LEFT)


def _clock_event(event: str) -> ClockEvent:
    try:
        return ClockEvent(event)
    except ValueError:
        known = ", ".join(item.value for item in ClockEvent)
        raise ValueError(f"retention event {event!r} is unknown: use one of {known}") from None


def _find(session: Session, event: ClockEvent, person: str, subject: str) -> RetentionEvent | None:
    return session.execute(
        select(RetentionEvent).where(
            RetentionEvent.event == event.value,
            RetentionEvent.person_key == person,
            RetentionEvent.subject == subject,
        )
    ).scalar_one_or_none()


def record_event(
    session: Session,
    *,
    event: str,
    occurred_on: date,
    person_key: str | None,
    subject: str | None = None,
    location: str | None = None,
    origin: str,
    actor: str,
) -> bool:
    """Record once (idempotent on event+person_key+subject) that something that starts a
    retention clock happened; audited; returns True when new.

    A clock stopped by the person's return (:func:`record_return`) restarts from
    ``occurred_on`` (True). The caller commits. An unknown ``event`` is a ``ValueError``.
    """
    kind = _clock_event(event)
    person, about = person_key or "", subject or ""
    row = _find(session, kind, person, about)
    if row is not None and row.returned_on is None:
        return False
    action = "retention.clock_started"
    if row is None:
        row = RetentionEvent(event=kind.value, person_key=person, subject=about)
        session.add(row)
    else:
        action = "retention.clock_restarted"
    row.location, row.occurred_on, row.returned_on = location, occurred_on, None
    row.origin, row.recorded_at, row.recorded_by = origin, datetime.now(UTC), actor
    session.flush()
    record(
        session,
        actor=actor,
        action=action,
        target="retention",
        object_key=person_key,
        reason=f"{kind.value} on {occurred_on.isoformat()} ({origin})",
        change={"event": kind.value, "subject": subject, "location": location,
                "occurred_on": occurred_on.isoformat(), "clock": row.id},
    )  # fmt: skip
    return True


def record_return(
    session: Session, *, event: str, person_key: str, returned_on: date, origin: str, actor: str
) -> bool:
    """The person is here again (re-enrolled, re-employed): stop the running clocks of
    ``event`` for them, audited; True when a clock was stopped. The caller commits."""
    kind = _clock_event(event)
    if kind not in RETURNING_EVENTS:
        raise ValueError(f"retention event {event!r} has no return")
    rows = (
        session.execute(
            select(RetentionEvent).where(
                RetentionEvent.event == kind.value,
                RetentionEvent.person_key == person_key,
                RetentionEvent.returned_on.is_(None),
            )
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.returned_on = returned_on
        record(
            session,
            actor=actor,
            action="retention.clock_stopped",
            target="retention",
            object_key=person_key,
            reason=f"{kind.value}: back on {returned_on.isoformat()} ({origin})",
            change={"event": kind.value, "returned_on": returned_on.isoformat(),
                    "clock": row.id},
        )  # fmt: skip
    return bool(rows)
