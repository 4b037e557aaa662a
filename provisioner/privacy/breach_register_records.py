"""The breach register's records: one entry as stored (:class:`BreachRecord`), its decision,
deadlines and reminders, and the conversions between them and the ``breaches`` table's row
(times in Europe/Amsterdam; the stored JSON of the assessment and the deadlines)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from provisioner.i18n import N_, pick, tr
from provisioner.privacy.breach import (
    AMSTERDAM,
    Assessment,
    BreachFacts,
    Language,
    assess,
    deadlines_for,
)
from provisioner.store.tables import Breach

Party = Literal["privacy_officer", "authority", "subjects"]
PARTIES: tuple[Party, ...] = ("privacy_officer", "authority", "subjects")
#: Reminders to the FG before a deadline that is not met yet; 0 is "the deadline passed".
REMINDER_LEADS: tuple[timedelta, ...] = (timedelta(hours=12), timedelta(hours=2), timedelta(0))
TEXT_FIELDS = frozenset({"narrative", "cause", "measures"})


class BreachNotFound(LookupError):
    """No breach with that number."""


@dataclass(frozen=True)
class Decision:
    """Whom to notify. ``confirmed`` is False while it is the assessment's proposal."""

    notify_authority: bool
    notify_subjects: bool
    confirmed: bool = False
    by: str | None = None
    at: datetime | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "notify_authority": self.notify_authority,
            "notify_subjects": self.notify_subjects,
            "confirmed": self.confirmed,
            "by": self.by,
            "at": iso_or_none(self.at),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            notify_authority=bool(data.get("notify_authority")),
            notify_subjects=bool(data.get("notify_subjects")),
            confirmed=bool(data.get("confirmed")),
            by=data.get("by"),
            at=parse_moment(data.get("at")),
            reason=str(data.get("reason") or ""),
        )


@dataclass(frozen=True)
class BreachDeadline:
    """One deadline of one breach, for the morning report and the reminders."""

    breach_id: str
    kind: Literal["privacy_officer", "authority"]
    due_at: datetime  # Europe/Amsterdam
    done: bool
    done_at: datetime | None = None

    @property
    def met(self) -> bool | None:
        """True: done in time; False: done late or overdue; None: still open and in time."""
        if self.done_at is not None:
            return self.done_at <= self.due_at
        return None


@dataclass(frozen=True)
class BreachReminder:
    """A reminder for the FG that a deadline is near (or passed). ``lead`` is how long before
    the deadline it is due: 12 hours, 2 hours, or zero for "the deadline passed"."""

    breach_id: str
    kind: Literal["privacy_officer", "authority"]
    due_at: datetime
    lead: timedelta

    @property
    def key(self) -> str:
        return f"{self.kind}:{int(self.lead.total_seconds() // 3600)}h"

    def text(self, language: Language, now: datetime) -> str:
        """One line for the FG; no personal data (the number is enough to look it up)."""
        due = self.due_at.astimezone(AMSTERDAM)
        left = self.due_at - now
        hours = max(0, round(left.total_seconds() / 3600))
        whom = (
            N_("the privacy officer")
            if self.kind == "privacy_officer"
            else N_("the Autoriteit Persoonsgegevens")
        )
        who = tr(language, whom)
        when = pick(language, f"{due:%d-%m-%Y %H:%M}", f"{due:%Y-%m-%d %H:%M}")
        if left <= timedelta(0):
            return tr(
                language,
                "Breach {id}: the deadline to notify {who} has passed ({when}).",
                id=self.breach_id,
                who=who,
                when=when,
            )
        return tr(
            language,
            "Breach {id}: notify {who} by {when} (about {hours} hours left).",
            id=self.breach_id,
            who=who,
            when=when,
            hours=hours,
        )


@dataclass(frozen=True)
class BreachRecord:
    """One register entry as stored."""

    id: str
    reported_at: datetime
    reported_by: str
    discovered_at: datetime | None
    aware_at: datetime | None
    location: str | None
    status: str  # open, decided, closed
    facts: BreachFacts
    assessment: dict[
        str, Any
    ]  # {"risk", "notify_*", "rules", "edpb_examples", "en": {...}, "nl": {...}}
    decision: Decision
    notified: dict[str, dict[str, Any]]  # party -> {"at", "by"}
    reminders: dict[str, str]  # reminder key -> when sent
    updated_at: datetime
    updated_by: str

    def assess(self, language: Language) -> Assessment:
        """The assessment of the current facts, in ``language``."""
        return assess(self.facts, language=language, reported_at=self.reported_at)

    @property
    def deadlines(self) -> tuple[BreachDeadline, ...]:
        discovered = self.discovered_at or self.reported_at
        officer, authority = deadlines_for(discovered, self.aware_at)
        out = [self._deadline("privacy_officer", officer)]
        if self.decision.notify_authority:
            out.append(self._deadline("authority", authority))
        return tuple(out)

    def _deadline(
        self, kind: Literal["privacy_officer", "authority"], due: datetime
    ) -> BreachDeadline:
        done = self.notified.get(kind)
        done_at = parse_moment(done.get("at")) if done else None
        return BreachDeadline(self.id, kind, due, done is not None, done_at)

    def notified_at(self, party: Party) -> datetime | None:
        entry = self.notified.get(party)
        return parse_moment(entry.get("at")) if entry else None


def to_record(row: Breach) -> BreachRecord:
    reported_at = amsterdam_or_none(row.reported_at)
    assert reported_at is not None
    updated_at = amsterdam_or_none(row.updated_at)
    assert updated_at is not None
    return BreachRecord(
        id=row.id,
        reported_at=reported_at,
        reported_by=row.reported_by,
        discovered_at=amsterdam_or_none(row.discovered_at),
        aware_at=amsterdam_or_none(row.aware_at),
        location=row.location,
        status=row.status,
        facts=BreachFacts.from_dict(row.facts or {}),
        assessment=dict(row.assessment or {}),
        decision=Decision.from_dict(row.decision or {}),
        notified=dict(row.notified or {}),
        reminders=dict(row.reminders or {}),
        updated_at=updated_at,
        updated_by=row.updated_by,
    )


def status_of(breach: BreachRecord) -> str:
    """open: the FG has not decided; decided: waiting for a notification; closed: done."""
    if not breach.decision.confirmed:
        return "open"
    needed: list[Party] = ["privacy_officer"]
    if breach.decision.notify_authority:
        needed.append("authority")
    if breach.decision.notify_subjects:
        needed.append("subjects")
    return "closed" if all(p in breach.notified for p in needed) else "decided"


def assessment_json(facts: BreachFacts, reported_at: datetime) -> dict[str, Any]:
    en = assess(facts, language="en", reported_at=reported_at)
    nl = assess(facts, language="nl", reported_at=reported_at)
    return {
        "risk": en.risk.value,
        "notify_authority": en.notify_authority,
        "notify_subjects": en.notify_subjects,
        "rules": list(en.rules),
        "edpb_examples": list(en.examples),
        "dimensions": en.dimensions,
        "closest_example": en.closest.to_dict() if en.closest else None,
        "en": {"reasons": list(en.reasons), "assumptions": list(en.assumptions)},
        "nl": {"reasons": list(nl.reasons), "assumptions": list(nl.assumptions)},
    }


def deadlines_json(breach: BreachRecord) -> dict[str, Any]:
    return {
        d.kind: {"due_at": iso_or_none(d.due_at), "done": d.done, "met": d.met}
        for d in breach.deadlines
    }


def audit_facts(facts: BreachFacts) -> dict[str, Any]:
    """The facts without free text (which may name people): safe for the append-only trail."""
    data = facts.to_dict()
    return {k: v for k, v in data.items() if k not in TEXT_FIELDS}


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=AMSTERDAM)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else aware(moment).astimezone(UTC)


def amsterdam_or_none(moment: datetime | None) -> datetime | None:
    """SQLite gives naive UTC back, PostgreSQL an aware time: both to Europe/Amsterdam."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(AMSTERDAM)


def iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else aware(moment).isoformat()


def parse_moment(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return aware(moment).astimezone(AMSTERDAM)
