"""Interns and student teachers (issue 15, part 2): an account only from the internship's first
day to its last, never care (zorg) or management access, disabled the day after with the
school's destruction tasks opened once (seeds 000 and 003), through ``provisioner sync`` on
the reference directory."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.store.tables_interns import InternshipRow
from provisioner.targets import RemoteAccount, TargetSnapshot
from provisioner.tasks import ManualTasks, TaskStatus
from tests.board import Board, make_board

runner = CliRunner()

HEADER = (
    "employee_number,given_name,prefix,family_name,school,start_date,end_date,"
    "study_end_date,institute,workplace_supervisor,school_trainer"
)
SCHOOL = "07XY00"
#: Lotte: only on the intern list. Noor: on the list, and in HR as "Intern begeleider" at
#: the same school (a title that maps to care_coordinator). Fenna: on the list, and in HR as
#: support staff (Onderwijsassistent) at another school, open-ended.
LOTTE, NOOR, FENNA = "900001", "900002", "900003"
START, LAST_DAY, STUDY_END = date(2026, 12, 1), date(2027, 1, 29), date(2027, 5, 31)


def intern_rows(last_day: date = LAST_DAY) -> list[str]:
    period = f"{START.isoformat()},{last_day.isoformat()}"
    return [
        f"{LOTTE},Lotte,,Visser,{SCHOOL},{period},{STUDY_END.isoformat()},Hanzehogeschool,"
        "100004,100002",
        f"{NOOR},Noor,van,Dijk,{SCHOOL},{period},,Windesheim,100004,",
        f"{FENNA},Fenna,,Bakker,{SCHOOL},{period},2027-12-31,NHL Stenden,,100002",
    ]


def write_interns(board: Board, rows: list[str]) -> None:
    (board.folder / "interns.csv").write_text("\n".join([HEADER, *rows]) + "\n", "utf-8")


@pytest.fixture
def board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Board:
    monkeypatch.delenv("PROVISIONER_DATABASE_URL", raising=False)
    monkeypatch.setenv("PROVISIONER_LANGUAGE", "en")
    return intern_board(tmp_path, "en")


def intern_board(tmp_path: Path, language: str) -> Board:
    """The demo board with the intern list (Lotte, Noor, Fenna) and Noor's and Fenna's HR posts."""
    board = make_board(tmp_path, staff=24, pupils=60, language=language)
    text = board.config_path.read_text("utf-8")
    consent = 'path = "consents.csv"\n'
    assert consent in text
    interns = '\n[sources.interns]\ntype = "interns-csv"\npath = "interns.csv"\n'
    board.config_path.write_text(text.replace(consent, consent + interns, 1), "utf-8")
    rows = board.hr_rows()
    hr = dict(rows[0], given_name="Noor", prefix="van", family_name="Dijk", end_date="")
    rows.append(dict(hr, employee_number=NOOR, org_unit="1000",
                     function_title="Intern begeleider", start_date="2026-01-05"))  # fmt: skip
    rows.append(dict(hr, employee_number=FENNA, given_name="Fenna", prefix="",
                     family_name="Bakker", org_unit="1002", function_title="Onderwijsassistent",
                     start_date="2025-08-01"))  # fmt: skip
    board.write_hr(rows)
    write_interns(board, intern_rows())
    return board


def sync(board: Board, day: date) -> dict[str, Any]:
    result = runner.invoke(
        app, ["sync", "-c", str(board.config_path), "--as-of", day.isoformat(), "--json"]
    )
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    body: dict[str, Any] = json.loads(result.stdout)
    assert body["status"] == "applied", body
    return body


def snapshot(board: Board) -> TargetSnapshot:
    target = board.target()
    try:
        return target.read()
    finally:
        target.close()


def account(board: Board, number: str) -> RemoteAccount | None:
    found = [a for a in snapshot(board).accounts if a.key == f"staff:{number}"]
    assert len(found) <= 1
    return found[0] if found else None


def groups_of(board: Board, number: str) -> set[str]:
    state = snapshot(board)
    [remote] = [a for a in state.accounts if a.key == f"staff:{number}"]
    return {g.key for g in state.groups if g.key and remote.remote_id in g.members}


def tasks(board: Board, number: str, status: TaskStatus | None = None) -> dict[str, Any]:
    found = ManualTasks(board.sessions()).list(status=status, person_key=f"staff:{number}")
    return {task.kind: task for task in found}


def test_an_intern_account_lives_from_the_first_to_the_last_day(board: Board) -> None:
    sync(board, date(2026, 11, 30))  # the day before: [lifecycle] would give 7 days' lead
    assert account(board, LOTTE) is None

    for day in (START, LAST_DAY):
        sync(board, day)
        lotte = account(board, LOTTE)
        assert lotte is not None and lotte.enabled, day
        assert lotte.attributes["expires"] == LAST_DAY.isoformat()
        assert lotte.attributes["role"] == "intern"
        assert groups_of(board, LOTTE) == {f"loc:{SCHOOL}:staff"}
        assert tasks(board, LOTTE) == {}

    sync(board, date(2027, 1, 30))  # the day after
    lotte = account(board, LOTTE)
    assert lotte is not None and not lotte.enabled
    assert groups_of(board, LOTTE) == set()


def test_the_day_after_the_school_gets_the_destruction_tasks_once(board: Board) -> None:
    sync(board, START)
    sync(board, date(2027, 1, 30))

    opened = tasks(board, LOTTE)
    assert set(opened) == {"retention_destroy_reflection", "retention_destroy_recordings"}
    reflection = opened["retention_destroy_reflection"]
    recordings = opened["retention_destroy_recordings"]
    assert reflection.due_on == date(2027, 2, 26)  # four weeks after the last day
    assert recordings.due_on == STUDY_END  # before six months (2027-07-29): the study ends
    for task in (reflection, recordings):
        assert task.assignee == "location_leader" and task.location == SCHOOL
        assert "Lotte Visser" in task.title
        assert "werkplekbegeleider" in task.instructions
        assert "schoolopleider" in task.instructions
        assert "Sanne" not in task.instructions + task.title  # the supervisor: by role only
    assert "2027-02-26" in reflection.instructions
    # Fenna's study ends after six months: the recordings go six months after the last day
    assert tasks(board, FENNA)["retention_destroy_recordings"].due_on == date(2027, 7, 29)

    for task in (reflection, recordings):
        ManualTasks(board.sessions()).complete(task.id, actor="test", note="destroyed")
    sync(board, date(2027, 1, 31))
    sync(board, date(2027, 2, 1))
    every = ManualTasks(board.sessions()).list(status=None, person_key=f"staff:{LOTTE}")
    assert len(every) == 2  # opened once: a later run opens nothing, even after they are done


def test_a_back_dated_end_is_caught_up(board: Board) -> None:
    sync(board, START)
    write_interns(board, intern_rows(last_day=date(2026, 12, 10)))
    sync(board, date(2026, 12, 20))
    lotte = account(board, LOTTE)
    assert lotte is not None and not lotte.enabled
    assert tasks(board, LOTTE)["retention_destroy_reflection"].due_on == date(2027, 1, 7)


def test_a_moved_end_moves_the_expiry(board: Board) -> None:
    sync(board, START)
    write_interns(board, intern_rows(last_day=date(2027, 2, 26)))
    sync(board, date(2026, 12, 2))
    lotte = account(board, LOTTE)
    assert lotte is not None and lotte.attributes["expires"] == "2027-02-26"
    sync(board, date(2027, 1, 30))  # the old last day has passed: still here
    lotte = account(board, LOTTE)
    assert lotte is not None and lotte.enabled
    assert tasks(board, LOTTE) == {}


def test_an_intern_never_reaches_care_whatever_her_title_says(board: Board) -> None:
    sync(board, date(2026, 11, 22))  # before the internship: HR's IB-er reaches care
    assert f"loc:{SCHOOL}:care" in groups_of(board, NOOR)

    for day in (START, LAST_DAY):
        sync(board, day)
        groups = groups_of(board, NOOR)
        assert not {g for g in groups if g.endswith((":care", ":management"))}, day
        assert not {g for g in groups if g.startswith("class:")}  # teaches no group herself
        noor = account(board, NOOR)
        assert noor is not None and noor.attributes["role"] == "intern"
        assert noor.attributes["expires"] == ""  # she also works here: no expiry

    sync(board, date(2027, 1, 30))  # the internship is over: her HR post counts again
    assert f"loc:{SCHOOL}:care" in groups_of(board, NOOR)
    assert set(tasks(board, NOOR)) == {
        "retention_destroy_reflection",
        "retention_destroy_recordings",
    }


def test_an_intern_who_is_also_support_staff_keeps_that_job(board: Board) -> None:
    sync(board, START)
    assert groups_of(board, FENNA) == {f"loc:{SCHOOL}:staff", "loc:07XY01:staff"}
    fenna = account(board, FENNA)
    assert fenna is not None and fenna.attributes["expires"] == ""

    sync(board, date(2027, 1, 30))
    fenna = account(board, FENNA)
    assert fenna is not None and fenna.enabled
    assert groups_of(board, FENNA) == {"loc:07XY01:staff"}
    assert set(tasks(board, FENNA)) == {
        "retention_destroy_reflection",
        "retention_destroy_recordings",
    }


def test_bad_rows_name_the_file_line_record_and_field(board: Board) -> None:
    write_interns(
        board,
        [
            *intern_rows(),
            "900004,Bad,,End,07XY00,2026-12-01,,,,,",
            "900005,Far,,Away,99ZZ99,2026-12-01,2027-01-29,,,,",
            "900006,Back,,Wards,07XY00,2027-01-29,2026-12-01,,,,",
            "900007,Odd,,Date,07XY00,2026-12-01,29-01-2027,,,,",
            "900008,Self,,Super,07XY00,2026-12-01,2027-01-29,,,900008,",
            "900009,Short,,Study,07XY00,2026-12-01,2027-01-29,2027-01-01,,,",
        ],
    )
    body = sync(board, START)
    problems = body["problems"]
    prefix = "Intern list (interns), interns.csv line"
    expected = [
        f"{prefix} 5, record 900004, field end_date: no end date: an internship always ends",
        f"{prefix} 6, record 900005, field school: school '99ZZ99' is not one of the board's "
        "locations",
        f"{prefix} 7, record 900006, field end_date: the end date is before the start date",
        f"{prefix} 8, record 900007, field end_date: '29-01-2027' is not a date "
        "(expected YYYY-MM-DD)",
        f"{prefix} 9, record 900008, field workplace_supervisor: the intern cannot be their "
        "own werkplekbegeleider",
        f"{prefix} 10, record 900009, field study_end_date: the study ends before the "
        "internship: check both dates",
    ]
    for line in expected:
        assert line in problems, problems
    assert account(board, "900004") is None
    assert account(board, LOTTE) is not None


def test_a_missing_column_is_unusable_input(board: Board) -> None:
    (board.folder / "interns.csv").write_text("employee_number,given_name\n1,A\n", "utf-8")
    result = runner.invoke(
        app, ["sync", "-c", str(board.config_path), "--as-of", START.isoformat(), "--json"]
    )
    assert result.exit_code == 3
    assert "has no 'family_name' column" in result.stdout


def test_the_store_keeps_supervisors_and_institute_but_no_names(board: Board) -> None:
    sync(board, START)
    with board.sessions()() as session:
        rows = {r.person_key: r for r in session.execute(select(InternshipRow)).scalars()}
    lotte = rows[f"staff:{LOTTE}"]
    assert (lotte.location, lotte.start_on, lotte.last_day) == (SCHOOL, START, LAST_DAY)
    assert (lotte.workplace_supervisor, lotte.school_trainer) == ("staff:100004", "staff:100002")
    assert (lotte.institute, lotte.study_end) == ("Hanzehogeschool", STUDY_END)
    assert rows[f"staff:{FENNA}"].workplace_supervisor is None
    assert "Visser" not in repr(vars(lotte))


def test_the_tasks_are_in_the_boards_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROVISIONER_DATABASE_URL", raising=False)
    board = intern_board(tmp_path, "nl")
    sync(board, START)
    sync(board, date(2027, 1, 30))
    opened = tasks(board, LOTTE)
    assert opened["retention_destroy_reflection"].title == (
        "Vernietig de reflectiegegevens van stagiair Lotte Visser"
    )
    assert "uiterlijk 2027-05-31" in opened["retention_destroy_recordings"].instructions
