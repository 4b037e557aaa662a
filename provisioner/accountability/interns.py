"""The end of an internship, and what the store keeps of each one (docs/accountability.md,
"Interns"; seeds 000 and 003).

After every applied run the internships the sources name are kept in ``internships`` (school,
period, study end, institute, supervisors as staff keys; no names), each change audited. An
internship whose last day has passed (the day after, or later for a back-dated end) is then
handled once: its account was disabled by the run's ordinary leaver path (unless she holds
another post), and the school's location leader gets two tasks,

- ``retention_destroy_reflection``: destroy the intern's reflection data (lesson
  observations, questionnaires, intervision reports): the school keeps it only for the
  internship (seed 000 §1.2, §2.4), due ``[interns] reflection_days`` after the last day;
- ``retention_destroy_recordings``: classroom recordings are kept at most six months and
  never after the study ends (seed 003), due at the earlier of the two;

and the retention clock ``internship_ended`` starts (the institute keeps assessment data
seven years, seed 000 §2.4). The supervisors are named by role only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.interns_model import Internship
from provisioner.accountability.retention_events import record_event
from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.domain.models import Role, StaffMember
from provisioner.i18n import tr
from provisioner.policy.interns import internships_of, recordings_due, reflection_due
from provisioner.store.tables_interns import InternshipRow
from provisioner.tasks import open_task

__all__ = ["InternsRun", "end_internships", "known_interns"]

REFLECTION = "retention_destroy_reflection"
RECORDINGS = "retention_destroy_recordings"


def known_interns(session: Session) -> frozenset[str]:
    """The keys of everyone the store knows as an intern, past or present."""
    return frozenset(session.execute(select(InternshipRow.person_key).distinct()).scalars())


@dataclass(frozen=True, slots=True)
class InternsRun:
    """The run that handles the internships: its day, id and actor, and its scope (one
    person's run handles only that person's internships)."""

    today: date
    run_id: str
    actor: str
    scope: str | None = None


def end_internships(
    sessions: sessionmaker[Session],
    config: Config,
    staff: Iterable[StaffMember],
    listed: Iterable[Internship],
    run: InternsRun,
    *,
    frozen: Iterable[str] = (),
) -> list[int]:
    """Keep every internship of the sources, and handle each one that has ended (see the
    module), in one transaction; returns the ids of the tasks opened."""
    skip = set(frozen)
    roles: dict[str, Role] = dict(config.roles)
    found = [
        i
        for i in internships_of(staff, listed, roles)
        if i.key not in skip and (run.scope is None or i.key == run.scope)
    ]
    opened: list[int] = []
    with sessions() as session:
        for internship in found:
            row = _keep(session, internship, run)
            end = internship.end
            if end is None or end >= run.today:
                continue
            if row.closed_on is not None and end <= row.closed_on:
                continue  # handled already: a second run opens nothing
            opened += _close(session, config, internship, row, run)
        session.commit()
    return opened


def _keep(session: Session, internship: Internship, run: InternsRun) -> InternshipRow:
    """The internship's row, made or brought up to date, each change audited."""
    row = session.execute(
        select(InternshipRow).where(
            InternshipRow.person_key == internship.key,
            InternshipRow.location == internship.location,
            InternshipRow.start_on == internship.start,
        )
    ).scalar_one_or_none()
    values = {
        "last_day": internship.end,
        "study_end": internship.study_end,
        "institute": internship.institute,
        "workplace_supervisor": _staff(internship.workplace_supervisor),
        "school_trainer": _staff(internship.school_trainer),
        "origin": internship.origin.value,
    }
    if row is None:
        row = InternshipRow(
            person_key=internship.key,
            location=internship.location,
            start_on=internship.start,
            updated_at=datetime.now(UTC),
            **values,
        )
        session.add(row)
        changed = dict(values)
        action = "internship.recorded"
    else:
        changed = {name: value for name, value in values.items() if getattr(row, name) != value}
        if not changed:
            return row
        for name, value in changed.items():
            setattr(row, name, value)
        row.updated_at = datetime.now(UTC)
        action = "internship.changed"
    session.flush()
    record(
        session,
        actor=run.actor,
        action=action,
        target="interns",
        object_key=internship.key,
        run_id=run.run_id,
        reason=f"{internship.subject} ({internship.origin.value})",
        change={name: _json(value) for name, value in changed.items()},
    )
    return row


def _close(
    session: Session, config: Config, internship: Internship, row: InternshipRow, run: InternsRun
) -> list[int]:
    """The end of one internship: the two destruction tasks and the retention clock."""
    end = internship.end
    assert end is not None
    language = config.board.language
    school = next(
        (loc.name for loc in config.locations if loc.brin6 == internship.location),
        internship.location,
    )
    facts = {
        "name": internship.name.display,
        "school": school,
        "end": end.isoformat(),
    }
    due_reflection = reflection_due(end, config.interns.reflection_days)
    due_recordings = recordings_due(end, internship.study_end, config.interns.recordings_months)
    tasks = _task_texts(language, facts, due_reflection, due_recordings)
    opened = []
    for kind, due, title, instructions in tasks:
        task = open_task(
            session,
            kind=kind,
            system=internship.subject,
            title=title,
            instructions=instructions,
            assignee="location_leader",
            origin=run.run_id,
            actor=run.actor,
            person_key=internship.key,
            location=internship.location,
            due_on=due,
        )
        opened.append(task.id)
    row.reflection_task, row.recordings_task = opened
    row.closed_on, row.closed_by_run = end, run.run_id
    record_event(
        session,
        event="internship_ended",
        occurred_on=end,
        person_key=internship.key,
        subject=internship.subject,
        location=internship.location,
        origin=run.run_id,
        actor=run.actor,
    )
    record(
        session,
        actor=run.actor,
        action="internship.ended",
        target="interns",
        object_key=internship.key,
        run_id=run.run_id,
        reason=f"{internship.subject} ended on {end.isoformat()}: destruction tasks opened",
        change={"tasks": opened, "closed_on": end.isoformat()},
    )
    return opened


def _task_texts(
    language: str, facts: dict[str, str], due_reflection: date, due_recordings: date
) -> list[tuple[str, date, str, str]]:
    """(kind, due, title, instructions) of the two tasks, in the board's language; the
    supervisors by role only."""
    return [
        (
            REFLECTION,
            due_reflection,
            tr(language, "Destroy the reflection data of intern {name}", **facts),
            tr(
                language,
                "The internship of {name} at {school} ended on {end}. Destroy the reflection "
                "data the school holds about the intern (lesson observations, pupil "
                "questionnaires, intervision reports, notes) by {due}: the school keeps it only "
                "for the internship (seed 000 §1.2 and §2.4). Ask the intern's "
                "werkplekbegeleider and schoolopleider to destroy their copies too. Assessment "
                "data stays with the teacher-training institute (seven years). Then mark this "
                "task done.",
                due=due_reflection.isoformat(),
                **facts,
            ),
        ),
        (
            RECORDINGS,
            due_recordings,
            tr(language, "Delete the classroom recordings of intern {name}", **facts),
            tr(
                language,
                "Classroom recordings made during the internship of {name} at {school} (ended "
                "{end}) are kept at most six months and never after the intern's study ends "
                "(seed 003). By {due}, make sure every recording the school, the intern, the "
                "werkplekbegeleider and the schoolopleider hold is deleted (camera, phone, "
                "laptop, USB stick, shared folders). Then mark this task done.",
                due=due_recordings.isoformat(),
                **facts,
            ),
        ),
    ]


def _staff(number: str | None) -> str | None:
    return f"staff:{number}" if number else None


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
