"""Clocks the product starts by itself, from what a run reads and from its own registers.

- A pupil whose enrolment ended (the SIS's end date, or the SIS says the pupil is no longer
  active: the run's day), or who is gone from the SIS since the last applied run (the day
  the product first saw it): ``pupil_deregistered``. A staff member whose every post ended
  (the last working day), or who is gone from HR: ``staff_left``. Someone who is enrolled or
  employed again stops that clock (:func:`~.retention_events.record_return`).
- A withdrawn photo consent in the consent history: ``consent_withdrawn`` (subject: the
  medium and school year); a closed breach of the register: ``breach_closed`` (subject: its
  number), dated the day it was closed.

Called by the engine in an applied run's transaction (people and consents) and by the
retention commands and the nightly job (the breach register).
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from provisioner.accountability.retention_events import record_event, record_return
from provisioner.accountability.retention_rules import ClockEvent
from provisioner.domain.models import Pupil, StaffMember, pupil_key
from provisioner.store.tables import Breach, Consent, DirectoryPerson
from provisioner.store.tables_retention import RetentionEvent

__all__ = ["record_register_clocks", "record_run_clocks"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_PUPIL, _STAFF = ClockEvent.PUPIL_DEREGISTERED, ClockEvent.STAFF_LEFT


def _running(session: Session) -> set[tuple[str, str]]:
    """(event, person) of the running deregistration and leaving clocks."""
    rows = session.execute(
        select(RetentionEvent.event, RetentionEvent.person_key).where(
            RetentionEvent.event.in_([_PUPIL.value, _STAFF.value]),
            RetentionEvent.subject == "",
            RetentionEvent.returned_on.is_(None),
        )
    )
    return {(event, person) for event, person in rows}


def _pupil_gone_on(pupil: Pupil, today: date) -> date | None:
    """The day the pupil was deregistered; None while enrolled or not yet started."""
    if pupil.enrolled_on(today):
        return None
    if pupil.enrolment_start is not None and today < pupil.enrolment_start:
        return None
    end = pupil.enrolment_end
    return end if end is not None and end < today else today


def _staff_left_on(member: StaffMember, today: date) -> tuple[date, str] | None:
    """(last working day, its location) once every post has ended; None otherwise."""
    jobs = member.employments
    if not jobs or any(job.end is None or job.end >= today for job in jobs):
        return None
    last = max(jobs, key=lambda job: job.end or today)
    assert last.end is not None
    return last.end, last.location


def record_run_clocks(
    session: Session,
    staff: Sequence[StaffMember],
    pupils: Sequence[Pupil],
    *,
    today: date,
    origin: str,
    actor: str,
    frozen: AbstractSet[str] = frozenset(),
    orphans_may_leave: bool = True,
) -> int:
    """Start, stop or restart the clocks of the people this read shows gone or back, before
    the directory snapshot is replaced (it says who was here); returns the clocks started.

    As for the accounts (``policy.desired``): a quarantined person (``frozen``: a record the
    run could not use) is left as they were, and nobody counts as gone from a source while a
    record without a usable key was rejected (``orphans_may_leave`` False): it may be them.
    """
    running = _running(session)
    started = 0

    def seen(event: ClockEvent, key: str, gone: date | None, location: str | None) -> None:
        nonlocal started
        if key in frozen:
            return
        if gone is None and (event.value, key) in running:
            record_return(session, event=event, person_key=key, returned_on=today,
                          origin=origin, actor=actor)  # fmt: skip
        elif gone is not None and (event.value, key) not in running:
            started += record_event(session, event=event, occurred_on=gone, person_key=key,
                                    location=location, origin=origin, actor=actor)  # fmt: skip

    for pupil in pupils:
        seen(_PUPIL, pupil.key, _pupil_gone_on(pupil, today), pupil.location)
    for member in staff:
        left = _staff_left_on(member, today)
        if left is None and any(job.active_on(today) for job in member.employments):
            seen(_STAFF, member.key, None, None)
        elif left is not None:
            seen(_STAFF, member.key, left[0], left[1])
    here = {pupil.key for pupil in pupils} | {member.key for member in staff}
    for key, kind, location, posts in session.execute(
        select(DirectoryPerson.key, DirectoryPerson.kind, DirectoryPerson.location,
               DirectoryPerson.posts)
    ):  # fmt: skip
        if key not in here and orphans_may_leave:  # gone from the source: seen gone today
            where = location if kind == "pupil" else (posts[-1]["location"] if posts else None)
            seen(_PUPIL if kind == "pupil" else _STAFF, key, today, where)
    read = {pupil.key: pupil.location for pupil in pupils}
    return started + _consent_clocks(session, origin=origin, actor=actor, read=read)


def _consent_clocks(
    session: Session, *, origin: str, actor: str, read: dict[str, str] | None = None
) -> int:
    known = {
        (person, subject)
        for person, subject in session.execute(
            select(RetentionEvent.person_key, RetentionEvent.subject).where(
                RetentionEvent.event == ClockEvent.CONSENT_WITHDRAWN.value
            )
        )
    }
    where = {
        key: location
        for key, location in session.execute(
            select(DirectoryPerson.key, DirectoryPerson.location).where(
                DirectoryPerson.kind == "pupil"
            )
        )
    } | (read or {})
    started = 0
    for pupil_id, medium, year, day in session.execute(
        select(Consent.pupil_id, Consent.medium, Consent.school_year, Consent.recorded_on)
        .where(Consent.status == "withdrawn")
        .order_by(Consent.recorded_on, Consent.id)
    ):
        key, subject = pupil_key(pupil_id), f"{medium} {year}"
        if (key, subject) in known:
            continue
        known.add((key, subject))
        started += record_event(session, event=ClockEvent.CONSENT_WITHDRAWN, occurred_on=day,
                                person_key=key, subject=subject, location=where.get(key),
                                origin=origin, actor=actor)  # fmt: skip
    return started


def record_register_clocks(session: Session, *, origin: str, actor: str) -> int:
    """Clocks of the closed breaches and withdrawn consents not yet recorded; the caller
    commits. Returns the clocks started."""
    known = set(
        session.execute(
            select(RetentionEvent.subject).where(
                RetentionEvent.event == ClockEvent.BREACH_CLOSED.value
            )
        ).scalars()
    )
    started = 0
    for breach_id, location, updated_at in session.execute(
        select(Breach.id, Breach.location, Breach.updated_at).where(Breach.status == "closed")
    ):
        if breach_id in known:
            continue
        moment = updated_at if updated_at.tzinfo else updated_at.replace(tzinfo=ZoneInfo("UTC"))
        started += record_event(session, event=ClockEvent.BREACH_CLOSED,
                                occurred_on=moment.astimezone(AMSTERDAM).date(), person_key=None,
                                subject=breach_id, location=location, origin=origin,
                                actor=actor)  # fmt: skip
    return started + _consent_clocks(session, origin=origin, actor=actor)
