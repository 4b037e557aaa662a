"""Retention clocks recorded once (the record_event API other parts call), a closed breach's
clock taken from the register, and the calendar of a period (month ends, leap days)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from provisioner.accountability.retention_events import ClockEvent, record_event, record_return
from provisioner.accountability.retention_rules import Period
from provisioner.privacy.breaches import BreachRegister
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditEvent
from provisioner.store.tables_retention import RetentionEvent
from tests.board import Board, make_board
from tests.test_breach_register import NOW, USB
from tests.test_retention_cli import cli_json


@pytest.fixture
def board(tmp_path: Path) -> Board:
    return make_board(tmp_path / "board", staff=30, pupils=60)


def test_an_event_is_recorded_once_and_restarts_after_a_return(board: Board) -> None:
    sessions = board.sessions()

    def intern(day: date) -> bool:
        return record_event(session, event=ClockEvent.INTERNSHIP_ENDED, occurred_on=day,
                            person_key="staff:900001", subject="2026-2027", location="07XY00",
                            origin="interns", actor="sync:r1")  # fmt: skip

    def pupil(day: date, event: str = "pupil_deregistered") -> bool:
        return record_event(session, event=event, occurred_on=day, person_key="pupil:X1",
                            origin="o", actor="a")  # fmt: skip

    with sessions() as session:
        assert intern(date(2027, 1, 31)) is True
        assert intern(date(2027, 2, 1)) is False
        session.commit()
    with sessions() as session:
        assert pupil(date(2027, 1, 1)) is True
        assert record_return(session, event="pupil_deregistered", person_key="pupil:X1",
                             returned_on=date(2027, 3, 1), origin="o", actor="a")  # fmt: skip
        assert pupil(date(2027, 7, 1)) is True  # restarted
        with pytest.raises(ValueError, match="is unknown"):
            pupil(date(2027, 1, 1), event="left")
        session.commit()
        rows = session.execute(select(RetentionEvent).order_by(RetentionEvent.id)).scalars()
        stored = [(r.event, r.person_key, r.subject, r.occurred_on, r.returned_on) for r in rows]
        actions = session.execute(
            select(AuditEvent.action).where(AuditEvent.action.like("retention.%"))
        ).scalars().all()  # fmt: skip
    assert stored == [
        ("internship_ended", "staff:900001", "2026-2027", date(2027, 1, 31), None),
        ("pupil_deregistered", "pupil:X1", "", date(2027, 7, 1), None),
    ]
    assert actions == ["retention.clock_started", "retention.clock_started",
                       "retention.clock_stopped", "retention.clock_restarted"]  # fmt: skip


def test_a_closed_breach_is_due_for_review_from_the_day_it_was_closed(board: Board) -> None:
    register = BreachRegister(board.sessions())
    breach = register.report(USB, reporter="chat:U1", location="07XY00", now=NOW,
                             privacy_officer_told=True)  # fmt: skip
    register.confirm(breach.id, actor="chat:FG", now=NOW + timedelta(hours=1))
    closed = register.mark_notified(breach.id, party="authority",
                                    at=NOW + timedelta(hours=30), actor="chat:FG")  # fmt: skip
    assert closed.status == "closed"
    closed_on = (NOW + timedelta(hours=30)).date()
    due = date(closed_on.year + 5, closed_on.month, closed_on.day)
    before = cli_json(board, "retention", "due", "--on", (due - timedelta(days=1)).isoformat())
    assert breach.id not in {line["subject"] for line in before["lines"]}
    lines = cli_json(board, "retention", "due", "--on", due.isoformat())["lines"]
    [line] = [line for line in lines if line["subject"] == breach.id]
    assert (line["category"], line["action"], line["owner"], line["location"]) == (
        "breach_file", "review", "privacy_officer", "07XY00")  # fmt: skip
    assert line["started_on"] == closed_on.isoformat()
    opened = cli_json(board, "retention", "tasks", "--on", due.isoformat())["opened"]
    [task] = [t for t in opened if t["category"] == "breach_file"]
    assert breach.id in task["system"] and task["person_key"] is None
    engine = make_engine(board.db_url)
    with session_factory(engine)() as session:
        changes = session.execute(
            select(AuditEvent.change).where(AuditEvent.action == "retention.clock_started")
        ).scalars().all()  # fmt: skip
    engine.dispose()
    assert [json.loads(c)["subject"] for c in changes] == [breach.id]


@pytest.mark.parametrize(
    ("period", "start", "due"),
    [
        ("5y", date(2026, 11, 30), date(2031, 11, 30)),
        ("1y", date(2028, 2, 29), date(2029, 2, 28)),  # a leap day
        ("6m", date(2026, 8, 31), date(2027, 2, 28)),  # a short month
        ("4w", date(2026, 12, 20), date(2027, 1, 17)),
        ("1y6m2w3d", date(2026, 1, 1), date(2027, 7, 18)),
        ("0d", date(2026, 5, 5), date(2026, 5, 5)),
    ],
)
def test_a_period_after_a_day(period: str, start: date, due: date) -> None:
    assert Period.parse(period).after(start) == due
    assert Period.parse(period).text() == period


def test_a_period_that_is_none() -> None:
    for text in ("", "5", "5 jaar", "y5", "-1y"):
        with pytest.raises(ValueError, match="is not a period"):
            Period.parse(text)
