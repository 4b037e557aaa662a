"""The yearly reminder (issue 13 item 6): `provisioner consent reminder` records per location
and school year that parents (and pupils from 16) were told they can change or withdraw
their consent, from the command or a CSV; the consent decision does not depend on it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditEvent, ConsentReminder
from tests.test_consent_cli import board, consent  # noqa: F401  (the fixture and the runner)


def _stored(board: Path) -> list[tuple[str, str, str, str]]:  # noqa: F811
    engine = make_engine(f"sqlite:///{board.parent / 'provisioner.db'}")
    with session_factory(engine)() as session:
        rows = session.execute(
            select(ConsentReminder.location, ConsentReminder.school_year,
                   ConsentReminder.sent_on, ConsentReminder.source).order_by(ConsentReminder.id)
        ).all()  # fmt: skip
        actions = session.execute(select(AuditEvent.action)).scalars().all()
    engine.dispose()
    assert actions.count("consent.reminder_recorded") >= (1 if rows else 0)
    return [(loc, year, day.isoformat(), source) for loc, year, day, source in rows]


def test_a_location_records_its_reminder_once(board: Path) -> None:  # noqa: F811
    code, out = consent(board, "reminder", "--location", "07xy00", "--sent-on", "2026-09-15",
                        "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["recorded"] == [
        {"location": "07XY00", "school_year": "2026-2027", "sent_on": "2026-09-15"}
    ]
    code, out = consent(board, "reminder", "--location", "07XY00", "--sent-on", "2026-09-15",
                        "--json")  # fmt: skip
    assert code == 0 and json.loads(out) == {"recorded": [], "already_recorded": 1,
                                             "problems": []}  # fmt: skip
    assert _stored(board) == [("07XY00", "2026-2027", "2026-09-15", "command")]


def test_a_reminder_for_an_unknown_location_or_another_year_is_refused(
    board: Path,  # noqa: F811
) -> None:
    code, out = consent(board, "reminder", "--location", "99ZZ00", "--json")
    assert code == 3 and "not a configured location" in json.loads(out)["error"]
    code, out = consent(board, "reminder", "--location", "07XY00", "--sent-on", "2026-07-15",
                        "--school-year", "2026-2027", "--json")  # fmt: skip
    assert code == 3 and "is not in school year 2026-2027" in json.loads(out)["error"]
    assert _stored(board) == []


def test_reminders_from_a_file(board: Path, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "herinneringen.csv"
    path.write_text(
        "location,school_year,sent_on\n"
        "07XY00,2026-2027,2026-09-20\n"
        "07XY01,2026-2027,2026-09-22\n"
        "07XY01,2026-2027,15-09-2026\n",
        encoding="utf-8",
    )
    code, out = consent(board, "reminder", "--file", str(path), "--json")
    body = json.loads(out)
    assert code == 1  # one row could not be used; the others are recorded
    assert [r["location"] for r in body["recorded"]] == ["07XY00", "07XY01"]
    assert body["problems"] == ["line 4: sent_on is not a date like 2026-09-15"]
    assert [s[3] for s in _stored(board)] == ["herinneringen.csv", "herinneringen.csv"]


def test_the_decision_does_not_depend_on_the_reminder(board: Path) -> None:  # noqa: F811
    args = ("check", "--pupil", "L1", "--medium", "website", "--on", "2026-11-23", "--json")
    before = consent(board, *args)
    consent(board, "reminder", "--location", "07XY00", "--sent-on", "2026-09-15")
    assert consent(board, *args) == before and before[0] == 0
