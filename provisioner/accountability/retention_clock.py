"""The destruction list: which data falls due for destruction or review, by when (pure).

Each running clock (:class:`Clock`, from ``retention_events``) meets each rule that starts at
its event; the data is due on the clock's day plus the rule's period. A clock stopped by the
person's return gives nothing. A rule with ``after`` waits for that event of the same person
too and counts from the later day. Rules that start at the school year's end (31 July) give
one line per location and school year, listed from the day they fall due for a year. A line
covered by an archive hold (:class:`Hold`: one person, one category or one location) is
held: it is listed, never to be destroyed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from provisioner.accountability.retention_rules import ClockEvent, RetentionRule

__all__ = ["SCHOOL_YEAR_END", "Clock", "DueLine", "Hold", "due_lines", "waits_for"]

#: The last day of a Dutch school year (month, day).
SCHOOL_YEAR_END = (7, 31)
#: A school year's line stays on the list this long after it fell due.
_CALENDAR_WINDOW = timedelta(days=366)
#: Who can have the event a rule waits for (``after``): the key's prefix.
_WHO_HAS = {ClockEvent.PUPIL_DEREGISTERED.value: "pupil:", ClockEvent.STAFF_LEFT.value: "staff:"}


@dataclass(frozen=True)
class Clock:
    """A stored clock event; ``person_key`` and ``subject`` are ``""`` when there is none."""

    id: int
    event: str
    person_key: str
    subject: str
    location: str | None
    occurred_on: date
    returned_on: date | None = None

    @property
    def running(self) -> bool:
        return self.returned_on is None


@dataclass(frozen=True)
class Hold:
    """An archive hold that is not lifted: ``scope`` person, category or location."""

    id: int
    scope: str
    value: str
    reason: str

    def covers(self, line: DueLine) -> bool:
        if self.scope == "person":
            return line.person_key == self.value
        if self.scope == "category":
            return line.rule.category == self.value
        return line.location == self.value


@dataclass(frozen=True)
class DueLine:
    """Data that must be destroyed or reviewed by ``due_on``."""

    key: str  # stable: category, clock and its start (or school year and location)
    rule: RetentionRule
    event: str
    started_on: date
    due_on: date
    person_key: str | None
    subject: str | None
    location: str | None
    clock_id: int | None
    holds: tuple[int, ...] = ()

    @property
    def held(self) -> bool:
        return bool(self.holds)

    @property
    def action(self) -> str:
        """``destroy`` or ``review``; ``held`` under an archive hold (never destroyed)."""
        return "held" if self.held else self.rule.action


def waits_for(rule: RetentionRule, person_key: str) -> bool:
    """Whether the clock of ``rule`` for this person also waits for ``rule.after``."""
    if rule.after is None:
        return False
    prefix = _WHO_HAS.get(rule.after)
    return prefix is None or person_key.startswith(prefix)


def due_lines(
    clocks: Sequence[Clock],
    rules: Sequence[RetentionRule],
    holds: Sequence[Hold],
    *,
    on: date,
    ahead_days: int = 0,
    locations: Sequence[str] = (),
) -> list[DueLine]:
    """Every line due on or before ``on`` (and up to ``ahead_days`` later), holds applied,
    ordered by system, location, due day, category and person."""
    until = on + timedelta(days=ahead_days)
    lines: list[DueLine] = []
    for rule in rules:
        if rule.start == "school_year_end":
            lines += _calendar_lines(rule, on, until, locations)
        elif rule.start != "standing":
            lines += _clock_lines(rule, clocks, until)
    held = [_with_holds(line, [hold.id for hold in holds if hold.covers(line)]) for line in lines]
    return sorted(
        held,
        key=lambda line: (line.rule.system, line.location or "", line.due_on,
                          line.rule.category, line.person_key or "", line.subject or ""),
    )  # fmt: skip


def _with_holds(line: DueLine, ids: list[int]) -> DueLine:
    return dataclasses.replace(line, holds=tuple(ids)) if ids else line


def _clock_lines(rule: RetentionRule, clocks: Sequence[Clock], until: date) -> Iterable[DueLine]:
    after: dict[str, Clock] = {}
    if rule.after is not None:
        after = {c.person_key: c for c in clocks if c.event == rule.after and c.running}
    for clock in clocks:
        if clock.event != rule.start or not clock.running:
            continue
        start, location = clock.occurred_on, clock.location
        if waits_for(rule, clock.person_key):
            other = after.get(clock.person_key)
            if other is None:
                continue  # still enrolled (or back again): the clock has not started
            start = max(start, other.occurred_on)
            location = location or other.location
        due = rule.period.after(start)
        if due > until:
            continue
        yield DueLine(
            key=f"{rule.category}|{clock.id}|{start.isoformat()}",
            rule=rule,
            event=clock.event,
            started_on=start,
            due_on=due,
            person_key=clock.person_key or None,
            subject=clock.subject or None,
            location=location,
            clock_id=clock.id,
        )


def _calendar_lines(
    rule: RetentionRule, on: date, until: date, locations: Sequence[str]
) -> Iterable[DueLine]:
    month, day = SCHOOL_YEAR_END
    for end_year in range(until.year - rule.period.years - 2, until.year + 1):
        end = date(end_year, month, day)
        due = rule.period.after(end)
        if not (on - _CALENDAR_WINDOW < due <= until):
            continue
        school_year = f"{end_year - 1}-{end_year}"
        for location in locations or (None,):
            yield DueLine(
                key=f"{rule.category}|{school_year}|{location or ''}",
                rule=rule,
                event="school_year_end",
                started_on=end,
                due_on=due,
                person_key=None,
                subject=school_year,
                location=location,
                clock_id=None,
            )
