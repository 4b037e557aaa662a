"""Retention clocks and the destruction list (issue 15 part 1), through the command line: a
pupil deregistered in a real run is due on the right day for each category and not the day
before; archive holds keep it off; a board's own period is honoured; tasks are opened once and
their completion audited; a pupil who came back has nothing due."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import AuditEvent, ManualTaskRow
from tests.board import Board, make_board

runner = CliRunner()
PUPIL = "pupil:L000001"
LEFT_ON = date(2026, 11, 30)  # the pupil's last day of enrolment
#: Each category of a deregistered pupil and its day (002 §10.3, 004).
DUE = {
    "pupil_file": date(2028, 11, 30),  # 2 years
    "special_education_referral": date(2029, 11, 30),  # 3 years
    "pupil_administration": date(2031, 11, 30),  # 5 years
    "complaint_file": date(2031, 11, 30),  # 5 years after deregistration
}


def cli(board: Board, *args: str) -> tuple[int, str]:
    env = {"PROVISIONER_DATABASE_URL": "", "PROVISIONER_LANGUAGE": "en"}
    result = runner.invoke(app, [*args, "-c", str(board.config_path)], env=env)
    return result.exit_code, result.stdout


def cli_json(board: Board, *args: str) -> Any:
    code, out = cli(board, *args, "--json")
    assert code == 0, out
    return json.loads(out)


def sync(board: Board, day: date) -> None:
    body = cli_json(board, "sync", "--as-of", day.isoformat())
    assert body["status"] == "applied", body


def edit_sis(board: Board, sis_id: str, change: str | None) -> None:
    """Set the pupil's enrolment end date (``""``: enrolled again); ``None``: remove the
    pupil from every file of the SIS export."""
    for path in (board.folder / "sis").glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        kept = []
        for line in lines:
            if f",{sis_id}," in line or line.startswith(f"{sis_id},"):
                if change is None:
                    continue
                if path.name == "enrollments.csv":
                    line = line.rsplit(",", 1)[0] + f",{change}"
            kept.append(line)
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def lines_of(board: Board, on: date, person: str = PUPIL, *extra: str) -> dict[str, Any]:
    body = cli_json(board, "retention", "due", "--on", on.isoformat(), *extra)
    return {line["category"]: line for line in body["lines"] if line["person_key"] == person}


@pytest.fixture
def board(tmp_path: Path) -> Board:
    made = make_board(tmp_path / "board", staff=30, pupils=60)
    sync(made, date(2026, 11, 22))
    return made


def deregister(board: Board) -> None:
    edit_sis(board, "L000001", LEFT_ON.isoformat())
    sync(board, LEFT_ON + timedelta(days=1))


def test_a_deregistered_pupil_is_due_on_the_right_day_for_each_category(board: Board) -> None:
    code, out = cli(board, "retention", "event", "complaint_closed", "--person", PUPIL,
                    "--on", "2026-10-01")  # fmt: skip
    assert code == 0 and "Recorded" in out
    assert lines_of(board, date(2040, 1, 1)) == {}  # enrolled: no clock runs
    deregister(board)
    for category, day in DUE.items():
        before = lines_of(board, day - timedelta(days=1))
        assert category not in before
        line = lines_of(board, day)[category]
        assert (line["due_on"], line["action"], line["held"]) == (day.isoformat(), "destroy",
                                                                   False)  # fmt: skip
        assert (line["started_on"], line["location"], line["system"]) == (
            LEFT_ON.isoformat(), "07XY00", "klachtendossier" if category == "complaint_file"
            else "sis")  # fmt: skip


def test_an_archive_hold_keeps_it_off_and_lifting_it_brings_it_back(board: Board) -> None:
    deregister(board)
    on = DUE["pupil_administration"]
    hold = cli_json(board, "retention", "hold", "add", "--person", PUPIL,
                    "--reason", "Archiefwet: overgebracht naar het archief")  # fmt: skip
    held = lines_of(board, on)
    assert {line["action"] for line in held.values()} == {"held"}
    assert all(line["holds"] == [hold["id"]] for line in held.values())
    opened = cli_json(board, "retention", "tasks", "--on", on.isoformat())["opened"]
    assert [task for task in opened if task["person_key"] == PUPIL] == []
    listed = cli_json(board, "retention", "hold", "list")["holds"]
    assert [(h["scope"], h["value"]) for h in listed] == [("person", PUPIL)]
    assert cli(board, "retention", "hold", "lift", str(hold["id"]))[0] == 0
    assert {line["action"] for line in lines_of(board, on).values()} == {"destroy"}
    opened = cli_json(board, "retention", "tasks", "--on", on.isoformat())["opened"]
    assert {t["category"] for t in opened if t["person_key"] == PUPIL} == {
        "pupil_file", "special_education_referral", "pupil_administration"}  # fmt: skip
    assert cli(board, "retention", "hold", "lift", str(hold["id"]))[0] == 3  # already lifted


def test_a_hold_on_a_category_or_location_holds_every_line_of_it(board: Board) -> None:
    deregister(board)
    on = DUE["pupil_file"]
    opened = cli_json(board, "retention", "tasks", "--on", on.isoformat())["opened"]
    files = [t["id"] for t in opened if t["category"] == "pupil_file"]
    assert PUPIL in {t["person_key"] for t in opened if t["category"] == "pupil_file"}
    hold = cli_json(board, "retention", "hold", "add", "--category", "pupil_file",
                    "--reason", "rechtszaak")  # fmt: skip
    assert hold["cancelled_tasks"] == files  # held data is never destroyed
    assert lines_of(board, on)["pupil_file"]["action"] == "held"
    cli(board, "retention", "hold", "lift", str(hold["id"]))
    cli_json(board, "retention", "hold", "add", "--location", "07xy00", "--reason", "archief")
    assert lines_of(board, on)["pupil_file"]["action"] == "held"
    code, out = cli(board, "retention", "hold", "add", "--category", "nonsense", "--reason", "x",
                    "--json")  # fmt: skip
    assert code == 3 and "no retention category" in json.loads(out)["error"]
    code, out = cli(board, "retention", "hold", "add", "--person", "L000001", "--reason", "x",
                    "--json")  # fmt: skip
    assert code == 3 and "must be pupil:<id>" in json.loads(out)["error"]
    code, out = cli(board, "retention", "hold", "add", "--person", PUPIL, "--category",
                    "pupil_file", "--reason", "x", "--json")  # fmt: skip
    assert code == 3 and "exactly one of" in json.loads(out)["error"]


def test_a_pupil_who_came_back_has_nothing_due_until_deregistered_again(board: Board) -> None:
    deregister(board)
    edit_sis(board, "L000001", "")  # enrolled again
    sync(board, date(2027, 1, 10))
    assert lines_of(board, date(2040, 1, 1)) == {}
    edit_sis(board, "L000001", "2027-06-30")
    sync(board, date(2027, 7, 1))
    assert "pupil_file" not in lines_of(board, date(2029, 6, 29))
    assert lines_of(board, date(2029, 6, 30))["pupil_file"]["started_on"] == "2027-06-30"


def test_a_pupil_gone_from_the_sis_counts_from_the_day_the_product_saw_it(board: Board) -> None:
    edit_sis(board, "L000002", None)
    sync(board, date(2026, 12, 5))
    assert "pupil_file" not in lines_of(board, date(2028, 12, 4), "pupil:L000002")
    line = lines_of(board, date(2028, 12, 5), "pupil:L000002")["pupil_file"]
    assert line["started_on"] == "2026-12-05"
    sync(board, date(2026, 12, 9))  # seen gone again: the clock is not moved
    assert lines_of(board, date(2028, 12, 5), "pupil:L000002")["pupil_file"] == line


def test_a_staff_member_who_left_is_due_for_review(board: Board) -> None:
    number = board.teacher_number()
    board.edit_hr(number, lambda row: {**row, "end_date": "2026-12-31"})
    sync(board, date(2027, 1, 4))
    person = f"staff:{number}"
    assert "staff_file" not in lines_of(board, date(2028, 12, 30), person)
    line = lines_of(board, date(2028, 12, 31), person)["staff_file"]
    assert (line["action"], line["owner"], line["system"]) == ("review", "central_office", "hr")


def test_a_boards_own_period_and_system_are_honoured(tmp_path: Path) -> None:
    extra = '[retention.rules.pupil_file]\nperiod = "3y"\nsystem = "leerlingdossier (papier)"\n'
    made = make_board(tmp_path / "b", staff=30, pupils=60, extra_config=extra)
    sync(made, date(2026, 11, 22))
    deregister(made)
    assert "pupil_file" not in lines_of(made, date(2029, 11, 29))
    line = lines_of(made, date(2029, 11, 30))["pupil_file"]
    assert line["system"] == "leerlingdossier (papier)"
    rules = {r["category"]: r for r in cli_json(made, "retention", "rules")["rules"]}
    assert (rules["pupil_file"]["period"], rules["pupil_administration"]["period"]) == ("3y", "5y")


def test_an_unusable_period_is_a_configuration_error(tmp_path: Path) -> None:
    extra = '[retention.rules.pupil_file]\nperiod = "twee jaar"\n'
    made = make_board(tmp_path / "b", staff=30, pupils=60, extra_config=extra)
    code, out = cli(made, "retention", "rules", "--json")
    assert code == 3 and "is not a period" in json.loads(out)["error"]


def _tasks(board: Board) -> list[ManualTaskRow]:
    engine = make_engine(board.db_url)
    with session_factory(engine)() as session:
        rows = list(session.execute(select(ManualTaskRow).order_by(ManualTaskRow.id)).scalars())
    engine.dispose()
    return rows


def _audit_actions(board: Board) -> list[tuple[str, str]]:
    engine = make_engine(board.db_url)
    with session_factory(engine)() as session:
        rows = session.execute(select(AuditEvent.action, AuditEvent.change)).all()
    engine.dispose()
    return [(action, change) for action, change in rows]


def test_tasks_are_opened_once_per_line_and_their_completion_is_audited(board: Board) -> None:
    deregister(board)
    on = DUE["special_education_referral"].isoformat()
    opened = [t for t in cli_json(board, "retention", "tasks", "--on", on)["opened"]
              if t["person_key"] == PUPIL]  # fmt: skip
    assert {(t["category"], t["kind"], t["assignee"], t["due_on"]) for t in opened} == {
        ("pupil_file", "retention_destroy", "location_leader", "2028-11-30"),
        ("special_education_referral", "retention_destroy", "location_leader", "2029-11-30"),
    }  # two categories of one pupil in one system: two tasks
    assert len({t["id"] for t in opened}) == 2
    assert cli_json(board, "retention", "tasks", "--on", on)["opened"] == []
    rows = {row.id: row for row in _tasks(board)}
    first = rows[opened[0]["id"]]
    assert first.title.startswith("Vernietigen: ")  # the board's language (Dutch)
    assert "002 §10.3" in first.instructions
    task_id = str(opened[0]["id"])
    assert cli_json(board, "retention", "done", task_id, "--note", "vernietigd")["status"] == "done"
    done = json.dumps({"status": "done", "task": int(task_id)}, separators=(",", ":"),
                      sort_keys=True)  # fmt: skip
    assert ("task.done", done) in _audit_actions(board)
    assert cli(board, "retention", "done", task_id)[0] == 3  # already done
    body = cli_json(board, "retention", "due", "--on", on)
    assert opened[0]["category"] not in {
        line["category"] for line in body["lines"] if line["person_key"] == PUPIL}  # fmt: skip
    assert body["done"] == 1
    assert cli_json(board, "retention", "tasks", "--on", on)["opened"] == []  # not reopened


def test_only_retention_tasks_are_completed_here(board: Board) -> None:
    code, out = cli(board, "retention", "done", "99999", "--json")
    assert code == 3 and "no retention task 99999" in json.loads(out)["error"]


def test_the_json_line_shape(board: Board) -> None:
    deregister(board)
    body = cli_json(board, "retention", "due", "--on", "2028-11-01", "--ahead", "30")
    assert set(body) == {"on", "ahead_days", "counts", "done", "lines"}
    assert set(body["counts"]) == {"destroy", "review", "held"}
    line = next(line for line in body["lines"] if line["person_key"] == PUPIL)
    assert set(line) == {
        "key", "category", "what", "action", "rule_action", "held", "holds", "system",
        "location", "person_key", "subject", "event", "started_on", "due_on", "upcoming",
        "basis", "owner", "task",
    }  # fmt: skip
    assert (line["category"], line["upcoming"], line["event"]) == (
        "pupil_file", True, "pupil_deregistered")  # fmt: skip
    code, out = cli(board, "retention", "due", "--on", "2028-11-30")
    assert code == 0 and "pupil file (leerlingdossier)" in out and PUPIL in out


def test_events_by_hand(board: Board) -> None:
    args = ("retention", "event", "complaint_closed", "--person", PUPIL, "--on", "2026-10-01")
    assert cli_json(board, *args)["recorded"] is True
    assert cli_json(board, *args)["recorded"] is False  # once
    code, out = cli(board, "retention", "event", "breach_closed", "--person", PUPIL, "--json")
    assert code == 3 and "cannot be recorded by hand" in json.loads(out)["error"]
    code, out = cli(board, "retention", "event", "complaint_closed", "--person", "L1", "--json")
    assert code == 3 and "must be pupil:<id> or staff:<number>" in json.loads(out)["error"]
    assert "retention.clock_started" in {action for action, _ in _audit_actions(board)}


def test_nobody_is_gone_while_a_record_without_a_usable_key_was_rejected(board: Board) -> None:
    edit_sis(board, "L000002", None)
    users = board.folder / "sis" / "users.csv"
    row = next(line for line in users.read_text(encoding="utf-8").splitlines()
               if line.startswith("L000003,"))  # fmt: skip
    with users.open("a", encoding="utf-8") as handle:
        handle.write("," + row.split(",", 1)[1] + "\n")  # no sourcedId: it may be L000002
    code, out = cli(board, "sync", "--as-of", "2026-12-05", "--json")
    assert code in (0, 1) and json.loads(out)["status"] in ("applied", "partial"), out
    assert "pupil_file" not in lines_of(board, date(2040, 1, 1), "pupil:L000002")


def test_two_complaints_of_one_pupil_are_two_tasks(board: Board) -> None:
    for ref in ("K-2026-01", "K-2026-02"):
        cli_json(board, "retention", "event", "complaint_closed", "--person", PUPIL,
                 "--subject", ref, "--on", "2026-10-01")  # fmt: skip
    deregister(board)
    opened = cli_json(board, "retention", "tasks", "--on", "2031-11-30")["opened"]
    complaints = [t for t in opened if t["category"] == "complaint_file"]
    assert sorted(t["system"] for t in complaints) == [
        "klachtendossier [complaint_file] K-2026-01",
        "klachtendossier [complaint_file] K-2026-02",
    ]
    assert len({t["id"] for t in complaints}) == 2


def test_the_list_in_dutch(board: Board) -> None:
    deregister(board)
    env = {"PROVISIONER_DATABASE_URL": "", "PROVISIONER_LANGUAGE": "nl"}
    result = runner.invoke(app, ["retention", "due", "--on", "2028-11-30", "-c",
                                 str(board.config_path)], env=env)  # fmt: skip
    assert result.exit_code == 0
    assert "te vernietigen" in result.stdout and "leerlingdossier" in result.stdout
    assert "uitschrijving 2026-11-30" in result.stdout
