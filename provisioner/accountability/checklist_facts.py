"""The facts the privacy checklist is judged on, as read from the store and the configuration
(:mod:`provisioner.accountability.checklist_store`): plain values, no sessions, no names.
People appear only by their key (``staff:<n>``), runs by their id, breaches by their number."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from provisioner.errors import ConfigError

_SCHOOL_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")


def parse_school_year(text: str) -> int | None:
    """The first calendar year of a school year like "2025-2026", or None."""
    match = _SCHOOL_YEAR.match(text.strip())
    if match is None or int(match[2]) != int(match[1]) + 1:
        return None
    return int(match[1])


@dataclass(frozen=True)
class Period:
    """One school year (``2025-2026``: from its first day to the day before the next one
    starts), looked at on ``on``: a year still running is judged up to that day."""

    school_year: str
    start: date
    end: date  # the last day of the school year (inclusive)
    on: date

    @classmethod
    def of(cls, school_year: str, start_month_day: tuple[int, int], on: date) -> Period:
        """The period of ``school_year`` ("2025-2026"); ConfigError when it is not one, or
        when it starts after ``on``."""
        first = parse_school_year(school_year)
        if first is None:
            raise ConfigError(f"'{school_year}' is not a school year like 2025-2026")
        month, day = start_month_day
        start = date(first, month, day)
        end = date(first + 1, month, day) - timedelta(days=1)
        if start > on:
            raise ConfigError(
                f"school year {school_year} has not started on {on.isoformat()}: "
                "choose a year that has"
            )
        return cls(school_year, start, end, on)

    @property
    def complete(self) -> bool:
        return self.on > self.end

    @property
    def last(self) -> date:
        """The last day looked at: the end of the year, or ``on`` while it runs."""
        return min(self.end, self.on)

    def holds(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class AccountDisable:
    """One leaver's account in one target: HR's last working day, and the day the account was
    disabled (Europe/Amsterdam; the time the journal recorded it applied) by which run, or the
    runs whose disabling failed."""

    target: str
    kind: str  # the target's kind: directory, ad, m365, sis_staff
    person: str  # staff:<n>
    last_day: date | None  # None: disabled because no source listed them any more
    disabled_on: date | None
    run_id: str | None  # the run that disabled it
    failed_runs: tuple[str, ...] = ()

    @property
    def days(self) -> int | None:
        """Days from the last working day to the day it was disabled."""
        if self.disabled_on is None or self.last_day is None:
            return None
        return (self.disabled_on - self.last_day).days


@dataclass(frozen=True)
class TaskFact:
    """A manual task (a step without an API) with its due day and when it was done."""

    id: int
    kind: str
    system: str
    person: str | None
    due_on: date | None
    status: str  # open | done | cancelled
    done_on: date | None
    origin: str  # the run id or the chat request that opened it
    category: str = ""  # retention tasks: the retention category


@dataclass(frozen=True)
class DriftFact:
    """One target over the period: full runs that reached it, changes made by hand that
    were put back ("(drift)"), and repairs that failed (with their runs)."""

    target: str
    runs: int
    repaired: int
    failed: int = 0
    failed_runs: tuple[str, ...] = ()


@dataclass(frozen=True)
class MediumFact:
    """Photo consent for one medium: pupils with an answer (and how many said yes) among
    the pupils enrolled at the last full read; ``enrolled_without`` None: nobody is known to
    be enrolled."""

    def label(self, language: str) -> str:
        return self.label_en if language == "en" else self.label_nl

    medium: str
    label_nl: str
    label_en: str
    answered: int
    granted: int
    enrolled_without: int | None


@dataclass(frozen=True)
class ReminderFact:
    """The yearly reminder at one location (BRIN6): the first day it was sent, or None."""

    location: str
    name: str
    sent_on: date | None


@dataclass(frozen=True)
class ConsentFacts:
    reads_consents: bool
    enrolled: int
    reminder_due: date
    media: tuple[MediumFact, ...] = ()
    reminders: tuple[ReminderFact, ...] = ()


@dataclass(frozen=True)
class DeadlineFact:
    """One notification deadline of a breach: the FG (24 hours) or the AP (72 hours)."""

    party: Literal["privacy_officer", "authority"]
    due_at: datetime
    done_at: datetime | None


@dataclass(frozen=True)
class BreachFact:
    id: str
    discovered_on: date
    deadlines: tuple[DeadlineFact, ...]


@dataclass(frozen=True)
class AgreementFact:
    """A connected system (a source slot or a target's name) and its processor agreement."""

    system: str
    connector: str  # its type: afas, somtoday, m365, reference ...
    processor: str | None  # None: no agreement recorded
    signed_on: date | None = None
    dpia_on: date | None = None


@dataclass(frozen=True)
class ChainHead:
    """The audit trail's head the report was built from."""

    seq: int
    sha256: str

    @property
    def line(self) -> str:
        """The anchor line ``provisioner audit verify --anchors`` reads in any text."""
        return f"Audit anchor: seq {self.seq}, sha256 {self.sha256}"


@dataclass(frozen=True)
class ChecklistFacts:
    board: str
    language: Literal["nl", "en"]
    period: Period
    built_at: datetime
    head: ChainHead
    #: target name -> kind, for every connected target (also those without leavers)
    targets: dict[str, str] = field(default_factory=dict)
    disables: tuple[AccountDisable, ...] = ()
    tasks: tuple[TaskFact, ...] = ()
    drift: tuple[DriftFact, ...] = ()
    consent: ConsentFacts | None = None
    breaches: tuple[BreachFact, ...] = ()
    agreements: tuple[AgreementFact, ...] = ()
