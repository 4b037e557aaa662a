"""A record a source could not use is reported with the system it came from, the file or
endpoint, the record, the field and the reason: in the run's report as in the batch."""

from __future__ import annotations

from pathlib import Path

from provisioner.sources.models import RecordProblem, SourceBatch, SourceKind
from tests.board import make_board


def test_a_problem_names_its_system_and_source() -> None:
    problem = RecordProblem("hr", "/iam/v1.0/employments", None, "1005", "hireDate", "not a date")
    [named] = SourceBatch("hr", SourceKind.HR, problems=[problem]).named("Youforce").problems
    assert named.describe() == (
        "Youforce (hr), /iam/v1.0/employments, record 1005, field hireDate: not a date"
    )
    assert problem.describe() == (  # built by hand, without a system: the source at least
        "source hr, /iam/v1.0/employments, record 1005, field hireDate: not a date"
    )
    line = RecordProblem("sis", "users.csv", 7, None, None, "no sourcedId", system="OneRoster CSV")
    assert line.describe() == "OneRoster CSV (sis), users.csv line 7: no sourcedId"


def test_the_run_report_names_the_system_of_a_bad_record(tmp_path: Path) -> None:
    board = make_board(tmp_path, pupils=60)
    number = board.teacher_number()
    board.edit_hr(number, lambda row: {**row, "start_date": "2020-02-30"})
    report = board.sync()
    [problem] = [p for p in report.problems if f"record {number}" in p]
    assert problem.startswith("HR CSV (hr), hr.csv line "), problem
    assert ", field start_date: " in problem
