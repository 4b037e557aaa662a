"""The yearly reminder (jaarlijkse herinnering) and what the board still has to settle about
photo consent, for ``provisioner consent reminder``, the morning report and ``config check``.

The guidance (seed 002 §7, DOMAIN.md) says parents, and pupils from 16, are told every school
year that they can change or withdraw their consent. :func:`record_reminder` keeps per
location and school year that this was done (from the command or a CSV of
``location,school_year,sent_on``); :func:`missing_reminders` says which locations have not
recorded it by ``[consent] reminder_due`` (default 1 October). The consent decision does not
depend on it: a school that forgot to remind still has the consents it has.

:func:`unconfirmed_locations` names the locations whose answers without a mechanism count as
no because neither the location nor the board set ``default_mechanism`` (docs/consent.md,
"Upgrading"). Everything here is counts and BRIN6 codes: no names.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.config import Config
from provisioner.domain.models import ConsentStatus
from provisioner.errors import ConfigError
from provisioner.i18n import N_
from provisioner.privacy.consent import default_mechanism, settings_for
from provisioner.store.tables import Consent, ConsentReminder

_SCHOOL_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")


@dataclass(frozen=True)
class Reminder:
    """One reminder sent: at ``location`` (BRIN6), for ``school_year``, on ``sent_on``."""

    location: str
    school_year: str
    sent_on: date


def school_year_of(config: Config, day: date) -> str:
    """The board's school year of ``day`` ("2026-2027")."""
    return settings_for(config.consent, None).school_year(day)


def reminder_due(config: Config, school_year: str) -> date:
    """The day by which ``school_year``'s reminder is to be recorded (``reminder_due`` of the
    first calendar year, or of the second when it falls before the school year starts)."""
    first = int(school_year[:4])
    start = tuple(int(p) for p in config.consent.school_year_start.split("-"))
    month, day = (int(p) for p in config.consent.reminder_due.split("-"))
    return date(first if (month, day) >= start else first + 1, month, day)


def check_reminder(config: Config, reminder: Reminder) -> str | None:
    """Why a reminder cannot be recorded, or None."""
    known = {location.brin6 for location in config.locations}
    if reminder.location not in known:
        return f"'{reminder.location}' is not a configured location ({', '.join(sorted(known))})"
    match = _SCHOOL_YEAR.match(reminder.school_year)
    if match is None or int(match[2]) != int(match[1]) + 1:
        return f"'{reminder.school_year}' is not a school year like 2026-2027"
    if school_year_of(config, reminder.sent_on) != reminder.school_year:
        return f"{reminder.sent_on.isoformat()} is not in school year {reminder.school_year}"
    return None


def record_reminder(session: Session, reminder: Reminder, *, actor: str, source: str) -> bool:
    """Store one reminder in the caller's transaction; False when it was already recorded."""
    exists = session.execute(
        select(ConsentReminder.id).where(
            ConsentReminder.location == reminder.location,
            ConsentReminder.school_year == reminder.school_year,
            ConsentReminder.sent_on == reminder.sent_on,
        )
    ).first()
    if exists is not None:
        return False
    session.add(
        ConsentReminder(
            location=reminder.location,
            school_year=reminder.school_year,
            sent_on=reminder.sent_on,
            recorded_at=datetime.now(UTC),
            recorded_by=actor,
            source=source,
        )
    )
    session.flush()
    return True


def read_reminder_csv(path: Path, config: Config) -> tuple[list[Reminder], list[str]]:
    """The reminders of a CSV with the columns ``location,school_year,sent_on``, and a problem
    per row that cannot be used ("line 3: ...")."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if rows and not {"location", "school_year", "sent_on"} <= set(rows[0]):
        raise ConfigError(f"{path} needs the columns location, school_year and sent_on")
    reminders: list[Reminder] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        try:
            sent_on = date.fromisoformat((row.get("sent_on") or "").strip())
        except ValueError:
            problems.append(f"line {line}: sent_on is not a date like 2026-09-15")
            continue
        reminder = Reminder(
            (row.get("location") or "").strip().upper(),
            (row.get("school_year") or "").strip(),
            sent_on,
        )
        problem = check_reminder(config, reminder)
        if problem is not None:
            problems.append(f"line {line}: {problem}")
        else:
            reminders.append(reminder)
    return reminders, problems


def missing_reminders(
    sessions: sessionmaker[Session], config: Config, today: date
) -> tuple[str, date, list[str]]:
    """(school year, due date, locations without a recorded reminder); the list is empty
    before the due date."""
    year = school_year_of(config, today)
    due = reminder_due(config, year)
    if today < due:
        return year, due, []
    with sessions() as session:
        done = set(
            session.execute(
                select(ConsentReminder.location).where(ConsentReminder.school_year == year)
            ).scalars()
        )
    return year, due, sorted(loc.brin6 for loc in config.locations if loc.brin6 not in done)


def unconfirmed_locations(config: Config) -> list[str]:
    """Locations where answers whose source does not say how they were obtained count as no
    because no ``default_mechanism`` is set for them (nor for the board)."""
    return sorted(
        loc.brin6
        for loc in config.locations
        if default_mechanism(config.consent, loc.brin6) is None
    )


def reads_consents(config: Config) -> bool:
    """Whether the board reads consents (a consent file, or a SIS that holds them)."""
    sis = config.sources.sis
    return config.sources.consent is not None or (sis is not None and sis.type == "somtoday")


def answers_without_mechanism(sessions: sessionmaker[Session]) -> int:
    """Stored "yes" answers whose source did not say how they were obtained."""
    with sessions() as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(Consent)
                .where(
                    Consent.status == ConsentStatus.GRANTED.value,
                    Consent.mechanism.is_(None),
                )
            ).scalar_one()
        )


#: What the morning report and ``config check`` say when answers count as no this way.
HOW_TO_CONFIRM = N_(
    "if the consent form was opt-in (parents, or pupils from 16, ticked 'yes' themselves;"
    " nothing pre-ticked; not a condition of enrolment), set default_mechanism = "
    '"opt_in" in [consent] (or per location in [consent.locations.<BRIN6>]); see '
    "docs/consent.md"
)
