"""The breach register (*datalekkenregister*, GDPR Art. 33(5)): every breach, notified or not.

Each entry holds the facts, the assessment (:func:`provisioner.privacy.breach.assess`, re-run
whenever the facts change), the decision (proposed by the assessment until the privacy
officer, FG, confirms or corrects it), the deadlines (FG within 24 hours of discovery; the
Autoriteit Persoonsgegevens within 72 hours of awareness), who was notified when, and which
reminders were sent. Numbers run per calendar year (Europe/Amsterdam): ``DL-2026-0001``.

Every change is in the audit trail with its actor. The audit trail is append-only, so it gets
no free text from the facts (the narrative, cause and measures may name people): it records
which fields changed and the yes/no facts and decisions, and the register row holds the text.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.service import record
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
_TEXT_FIELDS = frozenset({"narrative", "cause", "measures"})
_ATTEMPTS = 5


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
            "at": _iso(self.at),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            notify_authority=bool(data.get("notify_authority")),
            notify_subjects=bool(data.get("notify_subjects")),
            confirmed=bool(data.get("confirmed")),
            by=data.get("by"),
            at=_moment(data.get("at")),
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
        if language == "nl":
            who = "de FG" if self.kind == "privacy_officer" else "de Autoriteit Persoonsgegevens"
            when = f"{due:%d-%m-%Y %H:%M}"
            if left <= timedelta(0):
                return (
                    f"Datalek {self.breach_id}: de termijn voor melden aan {who} is "
                    f"verstreken ({when})."
                )
            return (
                f"Datalek {self.breach_id}: melden aan {who} uiterlijk {when} "
                f"(nog ongeveer {hours} uur)."
            )
        who = (
            "the privacy officer"
            if self.kind == "privacy_officer"
            else "the Autoriteit Persoonsgegevens"
        )
        when = f"{due:%Y-%m-%d %H:%M}"
        if left <= timedelta(0):
            return f"Breach {self.breach_id}: the deadline to notify {who} has passed ({when})."
        return f"Breach {self.breach_id}: notify {who} by {when} (about {hours} hours left)."


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
        done_at = _moment(done.get("at")) if done else None
        return BreachDeadline(self.id, kind, due, done is not None, done_at)

    def notified_at(self, party: Party) -> datetime | None:
        entry = self.notified.get(party)
        return _moment(entry.get("at")) if entry else None


class BreachRegister:
    """The register over the ``breaches`` table. Each method is its own transaction."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # -- writing ---------------------------------------------------------------------------

    def report(
        self,
        facts: BreachFacts,
        *,
        reporter: str,
        location: str | None = None,
        now: datetime,
        privacy_officer_told: bool = False,
    ) -> BreachRecord:
        """Enter a new breach, numbered within the year of ``now`` (Europe/Amsterdam).

        ``privacy_officer_told``: the reporting channel tells the FG at once (the chat bot
        does), so the 24-hour deadline is met at ``now``.
        """
        now = _aware(now)
        for attempt in range(_ATTEMPTS):
            try:
                with self._sessions.begin() as session:
                    breach_id = _next_id(session, now)
                    result = assess(facts, language="en", reported_at=now)
                    decision = Decision(result.notify_authority, result.notify_subjects)
                    notified: dict[str, Any] = {}
                    if privacy_officer_told:
                        notified["privacy_officer"] = {"at": _iso(now), "by": reporter}
                    row = Breach(
                        id=breach_id,
                        reported_at=now.astimezone(UTC),
                        reported_by=reporter,
                        discovered_at=_utc(facts.discovered_at),
                        aware_at=_utc(facts.aware_at),
                        location=location,
                        status="open",
                        facts=facts.to_dict(),
                        assessment=_assessment_json(facts, now),
                        decision=decision.to_dict(),
                        deadlines={},
                        notified=notified,
                        reminders={},
                        updated_at=now.astimezone(UTC),
                        updated_by=reporter,
                    )
                    row.deadlines = _deadlines_json(_to_record(row))
                    session.add(row)
                    session.flush()
                    record(
                        session,
                        actor=reporter,
                        action="breach.report",
                        target="breach_register",
                        object_key=breach_id,
                        reason="breach reported",
                        change={
                            "facts": _audit_facts(facts),
                            "location": location,
                            "risk": result.risk.value,
                            "proposed": decision.to_dict(),
                            "privacy_officer_told": privacy_officer_told,
                        },
                        at=now,
                    )
                    return _to_record(row)
            except IntegrityError:
                # Another report took the same number at the same moment: take the next one.
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def correct(
        self,
        breach_id: str,
        *,
        actor: str,
        facts: Mapping[str, Any] | None = None,
        decision: Mapping[str, Any] | None = None,
        reason: str,
        now: datetime | None = None,
    ) -> BreachRecord:
        """The FG corrects facts (by field name) and/or the decision; the assessment is re-run.

        ``decision`` may hold ``notify_authority`` and ``notify_subjects`` (missing keys keep
        their value) and ``confirmed`` (default True: a decision the FG gives is confirmed).
        History lives in the audit trail.
        """
        if not reason.strip():
            raise ValueError("a correction needs a reason")
        moment = _aware(now or datetime.now(UTC))
        with self._sessions.begin() as session:
            row = _row(session, breach_id, lock=True)
            before = _to_record(row)
            new_facts = before.facts.merged(facts) if facts else before.facts
            change: dict[str, Any] = {}
            if facts:
                changed = sorted(
                    k for k in facts if getattr(before.facts, k, None) != getattr(new_facts, k)
                )
                change["facts_changed"] = changed
                change["facts"] = {k: v for k, v in _audit_facts(new_facts).items() if k in changed}
                row.facts = new_facts.to_dict()
                row.discovered_at = _utc(new_facts.discovered_at)
                row.aware_at = _utc(new_facts.aware_at)
                row.assessment = _assessment_json(new_facts, before.reported_at)
            if decision is not None:
                unknown = set(decision) - {"notify_authority", "notify_subjects", "confirmed"}
                if unknown:
                    raise ValueError(f"unknown decision field(s): {', '.join(sorted(unknown))}")
                old = before.decision
                new = Decision(
                    notify_authority=bool(decision.get("notify_authority", old.notify_authority)),
                    notify_subjects=bool(decision.get("notify_subjects", old.notify_subjects)),
                    confirmed=bool(decision.get("confirmed", True)),
                    by=actor,
                    at=moment,
                    reason=reason,
                )
                row.decision = new.to_dict()
                change["decision"] = {"before": old.to_dict(), "after": new.to_dict()}
            elif facts and not before.decision.confirmed:
                # Still a proposal: it follows the new assessment.
                result = assess(new_facts, reported_at=before.reported_at)
                row.decision = Decision(result.notify_authority, result.notify_subjects).to_dict()
                change["proposed"] = row.decision
            row.updated_at = _aware(moment).astimezone(UTC)
            row.updated_by = actor
            current = _to_record(row)
            row.status = _status(current)
            row.deadlines = _deadlines_json(current)
            record(
                session,
                actor=actor,
                action="breach.correct",
                target="breach_register",
                object_key=breach_id,
                reason=reason,
                change=change,
                at=moment,
            )
            return _to_record(row)

    def confirm(self, breach_id: str, *, actor: str, now: datetime | None = None) -> BreachRecord:
        """The FG confirms the proposed decision as it stands."""
        current = self.get(breach_id)
        return self.correct(
            breach_id,
            actor=actor,
            decision={
                "notify_authority": current.decision.notify_authority,
                "notify_subjects": current.decision.notify_subjects,
            },
            reason="decision confirmed",
            now=now,
        )

    def mark_notified(
        self, breach_id: str, *, party: Party, at: datetime, actor: str
    ) -> BreachRecord:
        """Record that ``party`` was told of the breach at ``at``."""
        if party not in PARTIES:
            raise ValueError(f"party must be one of {', '.join(PARTIES)}")
        at = _aware(at)
        with self._sessions.begin() as session:
            row = _row(session, breach_id, lock=True)
            notified = dict(row.notified or {})
            notified[party] = {"at": _iso(at), "by": actor}
            row.notified = notified
            row.updated_at = at.astimezone(UTC)
            row.updated_by = actor
            current = _to_record(row)
            row.status = _status(current)
            row.deadlines = _deadlines_json(current)
            late = next((d.met is False for d in current.deadlines if d.kind == party), False)
            record(
                session,
                actor=actor,
                action="breach.notified",
                target="breach_register",
                object_key=breach_id,
                reason=f"{party} notified" + (" after the deadline" if late else ""),
                change={"party": party, "at": _iso(at), "late": late},
                at=at,
            )
            return _to_record(row)

    # -- reading ---------------------------------------------------------------------------

    def get(self, breach_id: str) -> BreachRecord:
        with self._sessions() as session:
            return _to_record(_row(session, breach_id))

    def list(self) -> builtins.list[BreachRecord]:
        """Every breach, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(select(Breach).order_by(Breach.reported_at, Breach.id))
            return [_to_record(row) for row in rows]

    def upcoming_deadlines(self, now: datetime, within: timedelta) -> builtins.list[BreachDeadline]:
        """Deadlines due before ``now + within``: open ones (overdue included) and ones met
        that were still ahead. Soonest first."""
        now = _aware(now)
        horizon = now + within
        out = [
            deadline
            for breach in self._open_breaches()
            for deadline in breach.deadlines
            if deadline.due_at <= horizon and (not deadline.done or deadline.due_at >= now)
        ]
        return sorted(out, key=lambda d: (d.due_at, d.breach_id))

    def due_reminders(self, now: datetime) -> builtins.list[BreachReminder]:
        """Reminders to send now: per open deadline, the most urgent lead that has come and
        was not sent yet (a bot that was down sends one reminder, not three)."""
        now = _aware(now)
        out: builtins.list[BreachReminder] = []
        for breach in self._open_breaches():
            for deadline in breach.deadlines:
                if deadline.done:
                    continue
                come = [lead for lead in REMINDER_LEADS if now >= deadline.due_at - lead]
                if not come:
                    continue
                reminder = BreachReminder(breach.id, deadline.kind, deadline.due_at, min(come))
                if reminder.key not in breach.reminders:
                    out.append(reminder)
        return sorted(out, key=lambda r: (r.due_at, r.breach_id))

    def mark_reminded(self, reminder: BreachReminder, *, now: datetime | None = None) -> bool:
        """Record that ``reminder`` was sent (and every earlier lead of that deadline).

        Returns False when another process marked it first: call this *before* sending to
        send each reminder once, even with several bot replicas.
        """
        moment = _aware(now or datetime.now(UTC))
        with self._sessions.begin() as session:
            row = _row(session, reminder.breach_id, lock=True)
            reminders = dict(row.reminders or {})
            if reminder.key in reminders:
                return False
            for lead in REMINDER_LEADS:
                if lead >= reminder.lead:
                    key = BreachReminder(
                        reminder.breach_id, reminder.kind, reminder.due_at, lead
                    ).key
                    reminders.setdefault(key, _iso(moment) or "")
            row.reminders = reminders
            record(
                session,
                actor="bot:reminders",
                action="breach.reminded",
                target="breach_register",
                object_key=reminder.breach_id,
                reason=f"reminder {reminder.key} sent to the privacy officer",
                change={"kind": reminder.kind, "due_at": _iso(reminder.due_at)},
                at=moment,
            )
            return True

    def _open_breaches(self) -> builtins.list[BreachRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Breach).where(Breach.status != "closed").order_by(Breach.id)
            )
            return [_to_record(row) for row in rows]


# -- helpers ---------------------------------------------------------------------------------


def _next_id(session: Session, now: datetime) -> str:
    year = now.astimezone(AMSTERDAM).year
    prefix = f"DL-{year}-"
    last = session.scalar(
        select(Breach.id).where(Breach.id.like(f"{prefix}%")).order_by(Breach.id.desc()).limit(1)
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _row(session: Session, breach_id: str, *, lock: bool = False) -> Breach:
    query = select(Breach).where(Breach.id == breach_id)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise BreachNotFound(f"no breach {breach_id} in the register")
    return row


def _to_record(row: Breach) -> BreachRecord:
    reported_at = _local(row.reported_at)
    assert reported_at is not None
    updated_at = _local(row.updated_at)
    assert updated_at is not None
    return BreachRecord(
        id=row.id,
        reported_at=reported_at,
        reported_by=row.reported_by,
        discovered_at=_local(row.discovered_at),
        aware_at=_local(row.aware_at),
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


def _status(breach: BreachRecord) -> str:
    """open: the FG has not decided; decided: waiting for a notification; closed: done."""
    if not breach.decision.confirmed:
        return "open"
    needed: list[Party] = ["privacy_officer"]
    if breach.decision.notify_authority:
        needed.append("authority")
    if breach.decision.notify_subjects:
        needed.append("subjects")
    return "closed" if all(p in breach.notified for p in needed) else "decided"


def _assessment_json(facts: BreachFacts, reported_at: datetime) -> dict[str, Any]:
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


def _deadlines_json(breach: BreachRecord) -> dict[str, Any]:
    return {
        d.kind: {"due_at": _iso(d.due_at), "done": d.done, "met": d.met} for d in breach.deadlines
    }


def _audit_facts(facts: BreachFacts) -> dict[str, Any]:
    """The facts without free text (which may name people): safe for the append-only trail."""
    data = facts.to_dict()
    return {k: v for k, v in data.items() if k not in _TEXT_FIELDS}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=AMSTERDAM)


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment).astimezone(UTC)


def _local(moment: datetime | None) -> datetime | None:
    """SQLite gives naive UTC back, PostgreSQL an aware time: both to Europe/Amsterdam."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(AMSTERDAM)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _aware(moment).isoformat()


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return _aware(moment).astimezone(AMSTERDAM)
