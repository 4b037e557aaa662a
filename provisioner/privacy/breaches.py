"""The breach register (*datalekkenregister*, GDPR Art. 33(5)): every breach, notified or not.

Each entry holds the facts, the assessment (:func:`provisioner.privacy.breach.assess`, re-run
whenever the facts change), the decision (proposed by the assessment until the privacy
officer, FG, confirms or corrects it), the deadlines (FG within 24 hours of discovery; the
Autoriteit Persoonsgegevens within 72 hours of awareness), who was notified when, and which
reminders were sent. Numbers run per calendar year (Europe/Amsterdam): ``DL-2026-0001``.

Every change is in the audit trail with its actor. The audit trail is append-only, so it gets
no free text from the facts (the narrative, cause and measures may name people): it records
which fields changed and the yes/no facts and decisions, and the register row holds the text.

The entries, their decision, deadlines and reminders, and the conversions to and from the
table's rows are in :mod:`provisioner.privacy.breach_register_records`.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from provisioner.audit.service import record
from provisioner.privacy.breach import AMSTERDAM, BreachFacts, assess
from provisioner.privacy.breach_register_records import (
    PARTIES,
    REMINDER_LEADS,
    BreachDeadline,
    BreachNotFound,
    BreachRecord,
    BreachReminder,
    Decision,
    Party,
    assessment_json,
    audit_facts,
    aware,
    deadlines_json,
    iso_or_none,
    status_of,
    to_record,
    utc_or_none,
)
from provisioner.store.tables import Breach

__all__ = [
    "PARTIES",
    "REMINDER_LEADS",
    "BreachDeadline",
    "BreachNotFound",
    "BreachRecord",
    "BreachRegister",
    "BreachReminder",
    "Decision",
    "Party",
]

_ATTEMPTS = 5


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
        now = aware(now)
        for attempt in range(_ATTEMPTS):
            try:
                with self._sessions.begin() as session:
                    breach_id = _next_id(session, now)
                    result = assess(facts, language="en", reported_at=now)
                    decision = Decision(result.notify_authority, result.notify_subjects)
                    notified: dict[str, Any] = {}
                    if privacy_officer_told:
                        notified["privacy_officer"] = {"at": iso_or_none(now), "by": reporter}
                    row = Breach(
                        id=breach_id,
                        reported_at=now.astimezone(UTC),
                        reported_by=reporter,
                        discovered_at=utc_or_none(facts.discovered_at),
                        aware_at=utc_or_none(facts.aware_at),
                        location=location,
                        status="open",
                        facts=facts.to_dict(),
                        assessment=assessment_json(facts, now),
                        decision=decision.to_dict(),
                        deadlines={},
                        notified=notified,
                        reminders={},
                        updated_at=now.astimezone(UTC),
                        updated_by=reporter,
                    )
                    row.deadlines = deadlines_json(to_record(row))
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
                            "facts": audit_facts(facts),
                            "location": location,
                            "risk": result.risk.value,
                            "proposed": decision.to_dict(),
                            "privacy_officer_told": privacy_officer_told,
                        },
                        at=now,
                    )
                    return to_record(row)
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
        moment = aware(now or datetime.now(UTC))
        with self._sessions.begin() as session:
            row = _row(session, breach_id, lock=True)
            before = to_record(row)
            new_facts = before.facts.merged(facts) if facts else before.facts
            change: dict[str, Any] = {}
            if facts:
                changed = sorted(
                    k for k in facts if getattr(before.facts, k, None) != getattr(new_facts, k)
                )
                change["facts_changed"] = changed
                change["facts"] = {k: v for k, v in audit_facts(new_facts).items() if k in changed}
                row.facts = new_facts.to_dict()
                row.discovered_at = utc_or_none(new_facts.discovered_at)
                row.aware_at = utc_or_none(new_facts.aware_at)
                row.assessment = assessment_json(new_facts, before.reported_at)
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
            row.updated_at = aware(moment).astimezone(UTC)
            row.updated_by = actor
            current = to_record(row)
            row.status = status_of(current)
            row.deadlines = deadlines_json(current)
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
            return to_record(row)

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
        at = aware(at)
        with self._sessions.begin() as session:
            row = _row(session, breach_id, lock=True)
            notified = dict(row.notified or {})
            notified[party] = {"at": iso_or_none(at), "by": actor}
            row.notified = notified
            row.updated_at = at.astimezone(UTC)
            row.updated_by = actor
            current = to_record(row)
            row.status = status_of(current)
            row.deadlines = deadlines_json(current)
            late = next((d.met is False for d in current.deadlines if d.kind == party), False)
            record(
                session,
                actor=actor,
                action="breach.notified",
                target="breach_register",
                object_key=breach_id,
                reason=f"{party} notified" + (" after the deadline" if late else ""),
                change={"party": party, "at": iso_or_none(at), "late": late},
                at=at,
            )
            return to_record(row)

    # -- reading ---------------------------------------------------------------------------

    def get(self, breach_id: str) -> BreachRecord:
        with self._sessions() as session:
            return to_record(_row(session, breach_id))

    def list(self) -> builtins.list[BreachRecord]:
        """Every breach, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(select(Breach).order_by(Breach.reported_at, Breach.id))
            return [to_record(row) for row in rows]

    def upcoming_deadlines(self, now: datetime, within: timedelta) -> builtins.list[BreachDeadline]:
        """Deadlines due before ``now + within``: open ones (overdue included) and ones met
        that were still ahead. Soonest first."""
        now = aware(now)
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
        now = aware(now)
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
        moment = aware(now or datetime.now(UTC))
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
                    reminders.setdefault(key, iso_or_none(moment) or "")
            row.reminders = reminders
            record(
                session,
                actor="bot:reminders",
                action="breach.reminded",
                target="breach_register",
                object_key=reminder.breach_id,
                reason=f"reminder {reminder.key} sent to the privacy officer",
                change={"kind": reminder.kind, "due_at": iso_or_none(reminder.due_at)},
                at=moment,
            )
            return True

    def _open_breaches(self) -> builtins.list[BreachRecord]:
        with self._sessions() as session:
            rows = session.scalars(
                select(Breach).where(Breach.status != "closed").order_by(Breach.id)
            )
            return [to_record(row) for row in rows]


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
