"""The breach register on SQLite and PostgreSQL: numbering, corrections with history,
notifications, deadlines for the morning report, and reminders that are sent once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from provisioner.audit.service import verify
from provisioner.privacy.breach import AMSTERDAM, BreachFacts
from provisioner.privacy.breaches import BreachNotFound, BreachRegister
from provisioner.store.db import session_factory
from provisioner.store.tables import AuditEvent

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=AMSTERDAM)
USB = BreachFacts(
    narrative="USB-stick met cijferlijsten van groep 7 kwijt",
    kind="lost_device",
    data_categories=("learning_results", "contact"),
    subjects_count=28,
    subjects_are_children=True,
    encrypted=False,
    malicious=False,
    discovered_at=datetime(2026, 11, 20, 8, 30, tzinfo=AMSTERDAM),
)


@pytest.fixture
def register(engine: Engine) -> BreachRegister:
    return BreachRegister(session_factory(engine))


def test_report_numbers_per_year_and_proposes_a_decision(
    register: BreachRegister, engine: Engine
) -> None:
    first = register.report(USB, reporter="chat:U1", location="12AB00", now=NOW)
    second = register.report(BreachFacts(), reporter="chat:U2", now=NOW + timedelta(hours=1))
    new_year = register.report(
        BreachFacts(), reporter="chat:U3", now=datetime(2027, 1, 1, 0, 30, tzinfo=AMSTERDAM)
    )
    assert (first.id, second.id, new_year.id) == ("DL-2026-0001", "DL-2026-0002", "DL-2027-0001")
    assert first.status == "open"
    assert first.decision.notify_authority is True and first.decision.confirmed is False
    assert first.facts == USB
    assert first.location == "12AB00"
    assert first.assessment["nl"]["reasons"] and first.assessment["en"]["reasons"]
    assert first.assessment["closest_example"]["source"] in ("EDPB 01/2021", "WP250 rev.01", "AP")
    stored = register.get("DL-2026-0001")
    assert stored.discovered_at == USB.discovered_at
    assert [b.id for b in register.list()] == ["DL-2026-0001", "DL-2026-0002", "DL-2027-0001"]
    with session_factory(engine)() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_key == "DL-2026-0001")
        ).all()
        assert [e.action for e in events] == ["breach.report"]
        assert events[0].actor == "chat:U1"
        # The free text (which may name people) stays out of the append-only trail.
        assert "cijferlijsten" not in events[0].change
        assert verify(session).ok


def test_deadlines_follow_discovery_and_awareness(register: BreachRegister) -> None:
    breach = register.report(USB, reporter="chat:U1", now=NOW)
    kinds = {d.kind: d for d in breach.deadlines}
    assert kinds["privacy_officer"].due_at == datetime(2026, 11, 21, 8, 30, tzinfo=AMSTERDAM)
    assert kinds["authority"].due_at == datetime(2026, 11, 23, 8, 30, tzinfo=AMSTERDAM)
    later = register.correct(
        breach.id,
        actor="chat:FG",
        facts={"aware_at": "2026-11-20T14:00:00+01:00"},
        reason="the school knew for sure after the search in the afternoon",
    )
    kinds = {d.kind: d for d in later.deadlines}
    assert kinds["authority"].due_at == datetime(2026, 11, 23, 14, 0, tzinfo=AMSTERDAM)
    assert kinds["privacy_officer"].due_at == datetime(2026, 11, 21, 8, 30, tzinfo=AMSTERDAM)


def test_correct_reassesses_and_keeps_history(register: BreachRegister, engine: Engine) -> None:
    breach = register.report(USB, reporter="chat:U1", now=NOW)
    # New facts: the stick was encrypted with a safe key and the data are on the server.
    corrected = register.correct(
        breach.id,
        actor="chat:FG",
        facts={
            "encrypted": True,
            "key_compromised": False,
            "backup_available": True,
            "recovered_quickly": True,
        },
        reason="IT checked: BitLocker To Go, the key is in the vault",
        now=NOW + timedelta(hours=2),
    )
    assert corrected.assessment["risk"] == "none"
    assert corrected.decision.notify_authority is False  # a proposal follows the assessment
    assert [d.kind for d in corrected.deadlines] == ["privacy_officer"]
    # The FG decides otherwise and confirms.
    decided = register.correct(
        breach.id,
        actor="chat:FG",
        decision={"notify_authority": True},
        reason="the key's safety is not yet proven",
        now=NOW + timedelta(hours=3),
    )
    assert decided.decision.notify_authority is True
    assert decided.decision.confirmed is True
    assert decided.decision.by == "chat:FG"
    assert decided.status == "decided"
    # A confirmed decision stays when the facts change again.
    again = register.correct(
        breach.id, actor="chat:FG", facts={"subjects_count": 30}, reason="recount"
    )
    assert again.decision.notify_authority is True
    with session_factory(engine)() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_key == breach.id).order_by(AuditEvent.seq)
        ).all()
    assert [e.action for e in events] == [
        "breach.report",
        "breach.correct",
        "breach.correct",
        "breach.correct",
    ]
    first_correction = json.loads(events[1].change)
    assert first_correction["facts_changed"] == [
        "backup_available",
        "encrypted",
        "key_compromised",
        "recovered_quickly",
    ]
    assert json.loads(events[2].change)["decision"]["before"]["confirmed"] is False
    assert events[2].reason == "the key's safety is not yet proven"


def test_correct_refuses_nonsense(register: BreachRegister) -> None:
    breach = register.report(USB, reporter="chat:U1", now=NOW)
    with pytest.raises(ValueError, match="reason"):
        register.correct(breach.id, actor="chat:FG", decision={}, reason=" ")
    with pytest.raises(ValueError, match="unknown"):
        register.correct(breach.id, actor="chat:FG", decision={"notify": True}, reason="x")
    with pytest.raises(ValueError, match="unknown field"):
        register.correct(breach.id, actor="chat:FG", facts={"encrypte": True}, reason="x")
    with pytest.raises(BreachNotFound):
        register.get("DL-2026-0999")


def test_notifications_close_the_breach(register: BreachRegister) -> None:
    breach = register.report(USB, reporter="chat:U1", now=NOW, privacy_officer_told=True)
    assert breach.notified_at("privacy_officer") == NOW
    register.confirm(breach.id, actor="chat:FG", now=NOW + timedelta(hours=1))
    done = register.mark_notified(
        breach.id, party="authority", at=NOW + timedelta(hours=30), actor="chat:FG"
    )
    assert done.status == "closed"
    authority = next(d for d in done.deadlines if d.kind == "authority")
    assert authority.done and authority.met is True
    late = register.report(USB, reporter="chat:U1", now=NOW)
    register.confirm(late.id, actor="chat:FG")
    after = register.mark_notified(
        late.id, party="authority", at=NOW + timedelta(hours=80), actor="chat:FG"
    )
    assert next(d for d in after.deadlines if d.kind == "authority").met is False
    with pytest.raises(ValueError):
        register.mark_notified(late.id, party="press", at=NOW, actor="x")  # type: ignore[arg-type]


def test_upcoming_deadlines_for_the_morning_report(register: BreachRegister) -> None:
    told = register.report(USB, reporter="chat:U1", now=NOW, privacy_officer_told=True)
    untold = register.report(USB, reporter="cli:admin", now=NOW)
    morning = datetime(2026, 11, 21, 7, 0, tzinfo=AMSTERDAM)
    soon = register.upcoming_deadlines(morning, timedelta(hours=24))
    assert [(d.breach_id, d.kind, d.done) for d in soon] == [
        (told.id, "privacy_officer", True),
        (untold.id, "privacy_officer", False),
    ]
    later = register.upcoming_deadlines(morning, timedelta(days=3))
    assert {(d.breach_id, d.kind) for d in later} >= {
        (told.id, "authority"),
        (untold.id, "authority"),
    }
    # Overdue and not done: still listed; done and past: not.
    after = datetime(2026, 11, 22, 9, 0, tzinfo=AMSTERDAM)
    overdue = register.upcoming_deadlines(after, timedelta(hours=1))
    assert [(d.breach_id, d.kind, d.done) for d in overdue] == [
        (untold.id, "privacy_officer", False)
    ]


def test_reminders_are_sent_once(register: BreachRegister) -> None:
    breach = register.report(USB, reporter="chat:U1", now=NOW, privacy_officer_told=True)
    due = datetime(2026, 11, 23, 8, 30, tzinfo=AMSTERDAM)  # authority, 72 h after discovery
    assert register.due_reminders(due - timedelta(hours=13)) == []
    first = register.due_reminders(due - timedelta(hours=11))
    assert [(r.breach_id, r.kind, r.lead) for r in first] == [
        (breach.id, "authority", timedelta(hours=12))
    ]
    assert "DL-2026-0001" in first[0].text("nl", due - timedelta(hours=11))
    assert register.mark_reminded(first[0]) is True
    assert register.mark_reminded(first[0]) is False  # a second replica: not again
    assert register.due_reminders(due - timedelta(hours=10)) == []
    second = register.due_reminders(due - timedelta(hours=1))
    assert [r.lead for r in second] == [timedelta(hours=2)]
    register.mark_reminded(second[0])
    assert register.due_reminders(due - timedelta(minutes=30)) == []
    # Once notified, no more reminders.
    register.mark_notified(breach.id, party="authority", at=due, actor="chat:FG")
    assert register.due_reminders(due + timedelta(hours=1)) == []


def test_a_bot_that_was_down_sends_one_reminder_not_three(register: BreachRegister) -> None:
    register.report(USB, reporter="chat:U1", now=NOW, privacy_officer_told=True)
    past = datetime(2026, 11, 23, 9, 0, tzinfo=AMSTERDAM)  # the 72 hours are over
    reminders = register.due_reminders(past)
    assert [r.lead for r in reminders] == [timedelta(0)]
    assert "verstreken" in reminders[0].text("nl", past)
    register.mark_reminded(reminders[0])
    assert register.due_reminders(past + timedelta(hours=5)) == []


def test_a_recall_recorded_later_lowers_the_proposal(register: BreachRegister) -> None:
    facts = BreachFacts(
        narrative="cijferlijst naar alle ouders van groep 6 gemaild",
        kind="misdirected",
        recipient="several",
        data_categories=("learning_results",),
        subjects_count=27,
        subjects_are_children=True,
        confidentiality_breach=True,
        integrity_breach=False,
        availability_breach=False,
        malicious=False,
        discovered_at=NOW,
    )
    breach = register.report(facts, reporter="chat:U1", now=NOW)
    assert breach.decision.notify_authority is True
    later = register.correct(
        breach.id, actor="chat:FG", facts={"recalled": True}, reason="mail recalled, confirmed"
    )
    assert later.facts.recalled is True
    assert later.decision.notify_authority is False and later.decision.confirmed is False
    assert "contained" in later.assessment["rules"]
