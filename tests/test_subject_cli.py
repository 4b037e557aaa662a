"""``provisioner subject request/list/extend/close``: the register of requests of the people
concerned, its deadlines (GDPR Art. 12(3); objection 4 weeks, seed 002 §5), the under-16 rule,
and the open requests in the morning report (numbers, kinds and dates, never who)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.report.morning import gather
from provisioner.store.tables import AuditEvent, DirectoryPerson
from tests.board import Board, make_board

runner = CliRunner()
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Board:
    """One synced demo board (English) for the whole module: its directory has the people."""
    board = make_board(tmp_path_factory.mktemp("subjects"), staff=24, pupils=60, language="en")
    assert board.sync().status == "applied"
    return board


@pytest.fixture
def board(synced: Board, tmp_path: Path) -> Board:
    """A copy of the synced board's store per test, so registrations do not leak."""
    copy = tmp_path / "provisioner.db"
    with sqlite3.connect(synced.folder / "provisioner.db") as source, sqlite3.connect(copy) as to:
        source.backup(to)
    config = tmp_path / "provisioner.toml"
    text = synced.config_path.read_text(encoding="utf-8")
    config.write_text(text, encoding="utf-8")
    (tmp_path / "hr.csv").write_bytes(synced.hr_path.read_bytes())
    return Board(tmp_path, config, f"sqlite:///{copy}")


def cli(board: Board, *args: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["subject", *args, "-c", str(board.config_path)], env={"PROVISIONER_LANGUAGE": "en"}
    )
    return result.exit_code, result.output


def register(
    board: Board, person: str, kind: str, received: str, by: str = "self", on: str | None = None
) -> Any:
    """Register through the command, on the day of receipt unless ``on`` says otherwise."""
    code, output = cli(
        board, "request", "--person", person, "--kind", kind, "--received", received,
        "--by", by, "--on", on or received, "--json",
    )  # fmt: skip
    assert code == 0, output
    return json.loads(output)


def a_staff_member(board: Board) -> str:
    return f"staff:{board.teacher_number()}"


def a_pupil(board: Board) -> tuple[str, date]:
    with board.sessions()() as session:
        row = session.scalars(
            select(DirectoryPerson)
            .where(DirectoryPerson.kind == "pupil", DirectoryPerson.birth_date.is_not(None))
            .order_by(DirectoryPerson.key)
        ).first()
        assert row is not None and row.birth_date is not None
        return row.key, row.birth_date


@pytest.mark.parametrize(
    ("kind", "received", "due"),
    [
        ("access", "2026-03-09", "2026-04-09"),  # the same date next month (EDPB 01/2022)
        ("rectification", "2027-01-31", "2027-02-28"),  # no 31 February: the month's last day
        ("erasure", "2028-01-31", "2028-02-29"),  # a leap year
        ("access", "2026-12-15", "2027-01-15"),  # over the turn of the year
        ("objection", "2026-11-01", "2026-11-29"),  # four weeks (seed 002 §5)
        ("objection", "2027-02-15", "2027-03-15"),
    ],
)
def test_each_kind_is_registered_with_its_deadline(
    board: Board, kind: str, received: str, due: str
) -> None:
    person = a_staff_member(board)
    item = register(board, person, kind, received)
    assert item["id"].startswith("SR-") and item["status"] == "open"
    assert (item["kind"], item["received_on"], item["due_on"]) == (kind, received, due)
    assert item["deadline"] == due and item["extended_to"] is None


def test_the_human_output_names_the_deadline_and_its_ground(board: Board) -> None:
    code, output = cli(board, "request", "--person", a_staff_member(board), "--kind", "objection",
                       "--received", "2026-11-01", "--on", "2026-11-02")  # fmt: skip
    assert code == 0, output
    assert "Registered SR-" in output
    assert "2026-11-29" in output and "seed 002" in output


def test_registering_is_audited_without_the_note(board: Board) -> None:
    person = a_staff_member(board)
    code, output = cli(board, "request", "--person", person, "--kind", "access", "--received",
                       "2026-11-20", "--note", "belde over Pietje Puk", "--json",
                       "--on", "2026-11-20")  # fmt: skip
    assert code == 0, output
    with board.sessions()() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.request")
        ).all()
    assert event.object_key == person
    assert event.actor.startswith("admin:")
    change = json.loads(event.change)
    assert change["due_on"] == "2026-12-20" and change["note_given"] is True
    assert "Pietje" not in event.change + event.reason


def test_an_extension_adds_two_months_once_and_only_within_the_first_month(board: Board) -> None:
    first = register(board, a_staff_member(board), "access", "2026-01-31")
    assert first["due_on"] == "2026-02-28"
    code, output = cli(board, "extend", first["id"], "--reason", "", "--on", "2026-02-10")
    assert code == 3 and "reason" in output
    code, output = cli(board, "extend", first["id"], "--reason", "complex", "--on", "2026-02-10",
                       "--json")  # fmt: skip
    assert code == 0, output
    extended = json.loads(output)
    assert extended["extended_to"] == "2026-04-28" and extended["deadline"] == "2026-04-28"
    assert extended["due_on"] == "2026-02-28" and extended["extension_reason"] == "complex"
    code, output = cli(board, "extend", first["id"], "--reason", "again", "--on", "2026-02-11")
    assert code == 3 and "once" in output

    late = register(board, a_staff_member(board), "erasure", "2026-05-10")
    code, output = cli(board, "extend", late["id"], "--reason", "busy", "--on", "2026-06-11")
    assert code == 3 and "first month" in output and "2026-06-10" in output


def test_an_objection_is_not_extended(board: Board) -> None:
    item = register(board, a_staff_member(board), "objection", "2026-11-01")
    code, output = cli(board, "extend", item["id"], "--reason", "busy", "--on", "2026-11-02")
    assert code == 3 and "4 weeks" in output


def test_a_pupil_under_16_does_not_ask_in_person_the_parents_do(board: Board) -> None:
    pupil, born = a_pupil(board)
    day = date(born.year + 15, 12, 31).isoformat()
    code, output = cli(board, "request", "--person", pupil, "--kind", "access",
                       "--received", day, "--by", "self", "--on", day)  # fmt: skip
    assert code == 3
    assert "under 16" in output and "--by parent" in output
    item = register(board, pupil, "access", day, by="parent")
    assert item["by"] == "parent" and item["flags"] == []
    item = register(board, pupil, "access", day, by="guardian")
    assert item["flags"] == []


def test_from_16_the_pupil_asks_and_a_parent_is_flagged(board: Board) -> None:
    pupil, born = a_pupil(board)
    sixteenth = date(born.year + 16, born.month, born.day).isoformat()
    the_day_before = date.fromordinal(date.fromisoformat(sixteenth).toordinal() - 1).isoformat()
    code, output = cli(board, "request", "--person", pupil, "--kind", "erasure",
                       "--received", the_day_before, "--on", sixteenth)  # fmt: skip
    assert code == 3 and "under 16" in output
    assert register(board, pupil, "erasure", sixteenth)["flags"] == []
    flagged = register(board, pupil, "access", sixteenth, by="parent")
    assert flagged["flags"] == ["parent_for_16_plus"]
    code, output = cli(board, "list", "--open")
    assert code == 0 and flagged["id"] in output


def test_a_pupil_without_a_birth_date_is_registered_and_flagged(board: Board) -> None:
    pupil, _ = a_pupil(board)
    with board.sessions().begin() as session:
        session.execute(
            update(DirectoryPerson).where(DirectoryPerson.key == pupil).values(birth_date=None)
        )
    assert register(board, pupil, "access", "2026-11-20")["flags"] == ["age_unknown"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--person", "staff:999999", "--kind", "access", "--received", "2026-11-20"],
         "staff:999999"),
        (["--person", "STAFF", "--kind", "inzage", "--received", "2026-11-20"], "--kind"),
        (["--person", "STAFF", "--kind", "access", "--received", "20-11-2026"], "20-11-2026"),
        (["--person", "STAFF", "--kind", "access", "--received", "2026-11-20", "--by", "parent"],
         "representative"),
        (["--person", "STAFF", "--kind", "access", "--received", "2026-11-20", "--by", "aunt"],
         "--by"),
    ],
)  # fmt: skip
def test_unusable_requests_are_refused_naming_the_field(
    board: Board, args: list[str], says: str
) -> None:
    args = [a_staff_member(board) if a == "STAFF" else a for a in args]
    code, output = cli(board, "request", *args, "--on", "2026-12-01")
    assert code == 3, output
    assert says in output
    code, output = cli(board, "list", "--json")
    assert json.loads(output) == []


def test_a_day_of_receipt_after_today_is_refused(board: Board) -> None:
    code, output = cli(board, "request", "--person", a_staff_member(board), "--kind", "access",
                       "--received", "2026-12-02", "--on", "2026-12-01")  # fmt: skip
    assert code == 3 and "--received 2026-12-02" in output
    assert register(board, a_staff_member(board), "access", "2026-12-01")["due_on"] == "2027-01-01"


def test_closing_records_the_outcome_and_whether_it_was_in_time(board: Board) -> None:
    person = a_staff_member(board)
    item = register(board, person, "access", "2026-11-01")
    code, output = cli(board, "close", item["id"], "--outcome", "bundle sent to Jan", "--on",
                       "2026-12-02")  # fmt: skip
    assert code == 0 and "after its deadline 2026-12-01" in output
    code, output = cli(board, "close", item["id"], "--outcome", "again")
    assert code == 3 and "closed" in output
    code, output = cli(board, "list", "--json")
    [closed] = json.loads(output)
    assert closed["status"] == "closed" and closed["outcome"] == "bundle sent to Jan"
    assert closed["closed_on"] == "2026-12-02"
    code, output = cli(board, "list", "--open", "--json")
    assert json.loads(output) == []
    with board.sessions()() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "subject.close")
        ).all()
    assert json.loads(event.change)["in_time"] is False and "Jan" not in event.change


def test_the_list_marks_overdue_requests_on_the_day_given(board: Board) -> None:
    item = register(board, a_staff_member(board), "objection", "2026-11-01")
    for day, overdue in (("2026-11-29", False), ("2026-11-30", True)):
        code, output = cli(board, "list", "--open", "--on", day, "--json")
        assert code == 0
        [listed] = json.loads(output)
        assert listed["id"] == item["id"] and listed["overdue"] is overdue


def test_the_morning_report_shows_open_requests_and_their_deadlines_never_who(
    board: Board,
) -> None:
    staff = a_staff_member(board)
    pupil, _ = a_pupil(board)
    late = register(board, staff, "access", "2020-01-31")  # overdue whatever the clock says
    yesterday = (datetime.now(AMSTERDAM).date() - timedelta(days=1)).isoformat()
    coming = register(board, pupil, "objection", yesterday, by="parent", on=yesterday)
    closed = register(board, staff, "erasure", "2026-11-01")
    assert cli(board, "close", closed["id"], "--outcome", "erased")[0] == 0

    result = runner.invoke(app, ["report", "morning", "-c", str(board.config_path)])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Requests of the people concerned" in text
    assert "2 open, 1 overdue" in text
    assert f"{late['id']} access request: OVERDUE, was due 2020-02-29" in text
    assert f"{coming['id']} objection: due {coming['deadline']}" in text
    assert closed["id"] not in text
    with board.sessions()() as session:
        people = [session.get(DirectoryPerson, key) for key in (staff, pupil)]
    for key, person in zip((staff, pupil), people, strict=True):
        assert person is not None
        assert key not in text and person.family not in text and person.given not in text


def test_the_report_counts_a_deadline_as_met_until_the_end_of_its_day(board: Board) -> None:
    item = register(board, a_staff_member(board), "objection", "2026-11-01")
    config = board.config
    on_the_day = gather(
        board.sessions(), config, now=datetime(2026, 11, 29, 23, 0, tzinfo=AMSTERDAM)
    )
    after = datetime(2026, 11, 30, 0, 30, tzinfo=AMSTERDAM)
    the_day_after = gather(board.sessions(), config, now=after)
    assert f"{item['id']} objection: due 2026-11-29" in on_the_day.subjects
    assert f"{item['id']} objection: OVERDUE, was due 2026-11-29" in the_day_after.subjects


def test_a_dutch_board_reads_the_requests_in_dutch(board: Board) -> None:
    text = board.config_path.read_text(encoding="utf-8").replace(
        'language = "en"', 'language = "nl"'
    )
    board.config_path.write_text(text, encoding="utf-8")
    item = register(board, a_staff_member(board), "access", "2020-01-31")
    result = runner.invoke(app, ["report", "morning", "-c", str(board.config_path)])
    assert "Verzoeken van betrokkenen" in result.output
    assert f"{item['id']} inzageverzoek: TE LAAT, termijn was 2020-02-29" in result.output
