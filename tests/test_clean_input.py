"""Clean input (issue 12, item 6): bad bytes, bidi tricks, zero-width characters, endless names
and keys that do not match the board's pattern are quarantined with file, line and field,
from a CSV export and from an API source alike; the rest of the board is synced."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.emulators.afas import AfasEmulator
from provisioner.app.config import load_config
from provisioner.app.wiring import build_sources, target_settings
from provisioner.domain.models import (
    ClassGroup,
    ConsentGiver,
    ConsentRecord,
    ConsentStatus,
    PersonName,
    Pupil,
    StaffMember,
)
from provisioner.errors import ConfigError
from provisioner.execution.engine import Engine, RunReport, SyncRequest
from provisioner.sources.clean import CleanRules, clean_batch, shown, text_problem
from provisioner.sources.models import SourceBatch, SourceKind
from tests.board import TODAY, Board, make_board

#: Each bad value, the field it goes in, and what the reason must say about it.
BAD_NAMES = [
    ("given_name", "Jan\x00", "U+0000 (NUL), a control character"),
    ("given_name", "Pi\x07et\x1b", "U+0007 (BEL), a control character; U+001B (ESC)"),
    ("family_name", "\u202eznaJ", "U+202E (RIGHT-TO-LEFT OVERRIDE), a bidirectional override"),
    ("given_name", "An\u200dna", "U+200D (ZERO WIDTH JOINER), a zero-width character"),
    ("family_name", "x" * 100_000, "is 100,000 characters long; at most 200 are accepted"),
]
BAD_NUMBERS = ["*", "1e5", "\u0661\u0662\u0663"]  # the last: Arabic-Indic 123
RAW = ("\x00", "\x07", "\x1b", "\u202e", "\u200d", "x" * 300, "\u0661")


@pytest.fixture
def board(tmp_path: Path) -> Board:
    return make_board(tmp_path, staff=60, pupils=60)


def corrupt(board: Board) -> dict[str, tuple[str, str]]:
    """Give one teacher each bad name and three others a bad number; returns, per number as it
    now is in the file, (field, what the reason says)."""
    teachers = board.ordinary_teachers()
    expected: dict[str, tuple[str, str]] = {}
    rows = board.hr_rows()
    by_number = {row["employee_number"]: row for row in rows}
    for number, (column, value, reason) in zip(teachers, BAD_NAMES, strict=False):
        by_number[number][column] = value
        expected[number] = (column, reason)
    for number, bad in zip(teachers[len(BAD_NAMES) :], BAD_NUMBERS, strict=False):
        by_number[number]["employee_number"] = bad
        expected[bad] = ("employee_number", "does not match the board's pattern ^[0-9]{1,12}$")
    board.write_hr(rows)
    assert len(expected) == len(BAD_NAMES) + len(BAD_NUMBERS)
    return expected


def line_of(board: Board, number: str) -> int:
    with board.hr_path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row["employee_number"] == number:
                return line
    raise AssertionError(number)


def assert_never_raw(report: RunReport) -> None:
    for problem in report.problems:
        assert not any(raw in problem for raw in RAW), problem[:200]


def test_a_clean_board_gets_no_new_problems(board: Board) -> None:
    config = board.config
    for source in build_sources(config, today=TODAY):
        batch = source.read()
        before = (list(batch.problems), len(batch.staff), len(batch.pupils), len(batch.groups))
        clean_batch(source, batch, CleanRules.of(config.sources))
        after = (batch.problems, len(batch.staff), len(batch.pupils), len(batch.groups))
        assert after == before


def test_bad_bytes_and_keys_in_an_hr_csv_are_quarantined_with_file_line_and_field(
    board: Board,
) -> None:
    teachers = board.ordinary_teachers()
    expected = corrupt(board)
    lines = {number: line_of(board, number) for number in expected}
    report = board.sync()
    assert report.status == "applied", report.as_json()
    assert_never_raw(report)
    for number, (column, reason) in expected.items():
        record = shown(number)
        [problem] = [p for p in report.problems if f", record {record}," in p]
        assert problem.startswith(f"HR CSV (hr), hr.csv line {lines[number]}, "), problem
        assert f"field {column}: " in problem and reason in problem, problem
    # the rest of the board is synced; nobody refused has an account, no bad byte was written
    accounts = {a.key: a for a in board.target().read().accounts if a.key}
    assert {f"staff:{n}" for n in teachers[len(expected) :]} <= set(accounts)
    assert len([key for key in accounts if key.startswith("pupil:")]) > 50
    assert not {f"staff:{n}" for n in expected} & set(accounts)
    written = board.directory.joinpath("directory.jsonl").read_text(encoding="utf-8")
    assert not any(raw in written for raw in RAW[:5])
    assert "\\u0000" not in written and "\\u202e" not in written


def test_a_refused_number_keeps_everyone_missing_as_they_were(board: Board) -> None:
    """'1e5' may be someone's number, mangled: until it is fixed nobody missing is a leaver."""
    board.sync()
    number = board.teacher_number()
    board.edit_hr(number, lambda row: {**row, "employee_number": "1e5"})
    report = board.sync()
    assert report.status == "applied"
    assert board.target().find_accounts(f"staff:{number}")[0].enabled
    assert "disable_account" not in report.counts
    board.edit_hr("1e5", lambda row: {**row, "employee_number": number})  # fixed: all clean
    fixed = board.sync()
    assert not [p for p in fixed.problems if "pattern" in p] and fixed.total == 0


def test_a_quarantined_name_leaves_the_existing_account_as_it_was(board: Board) -> None:
    board.sync()
    number = board.teacher_number()
    [before] = board.target().find_accounts(f"staff:{number}")
    board.edit_hr(number, lambda row: {**row, "family_name": row["family_name"] + "\x00"})
    report = board.sync()
    assert report.total == 0 and report.status == "applied"
    [after] = board.target().find_accounts(f"staff:{number}")
    assert (after.family_name, after.enabled) == (before.family_name, True)
    assert any(f"record {number}, field family_name" in p for p in report.problems)


@pytest.fixture
def afas(monkeypatch: pytest.MonkeyPatch) -> Iterator[AfasEmulator]:
    with AfasEmulator() as emulator:
        monkeypatch.setenv("PROVISIONER_AFAS_TOKEN", emulator.settings.token)
        yield emulator


def test_bad_bytes_and_keys_from_afas_are_quarantined_too(board: Board, afas: AfasEmulator) -> None:
    expected = corrupt(board)
    afas.load_hr_rows(board.hr_rows())
    config = board.config
    hr = afas.source_config()
    config = config.model_copy(update={"sources": config.sources.model_copy(update={"hr": hr})})
    target = board.target()
    try:
        engine = Engine(
            config,
            board.sessions(),
            build_sources(config, today=TODAY),
            [target],
            target_settings=target_settings(config),
        )
        report = engine.sync(SyncRequest(today=TODAY))
    finally:
        target.close()
    assert report.status == "applied", report.as_json()
    assert_never_raw(report)
    fields = {"given_name": "given name", "family_name": "family name"}
    for number, (column, reason) in expected.items():
        mine = [p for p in report.problems if f", record {shown(number)}," in p]
        assert mine, (number, report.problems)
        if column in fields:  # found by clean.py: the users connector and the field's name
            [problem] = mine
            assert problem.startswith(f"AFAS Profit (hr), {hr.users_connector}, "), problem
            assert f"field {fields[column]}: " in problem and reason in problem, problem
    accounts = {a.key for a in board.target().read().accounts if a.key}
    assert not {f"staff:{n}" for n in expected} & accounts
    assert len([k for k in accounts if k.startswith("staff:")]) >= 60 - 2 * len(expected)


def test_a_pupil_with_a_bidi_override_in_oneroster_is_quarantined_at_its_line(
    board: Board,
) -> None:
    users = board.folder / "sis" / "users.csv"
    with users.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    index, pupil = next((i, r) for i, r in enumerate(rows) if r["role"] == "student")
    rows[index] = {**pupil, "givenName": "\u202e" + pupil["givenName"]}
    with users.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = board.sync()
    assert report.status == "applied"
    [problem] = [p for p in report.problems if "U+202E" in p]
    assert problem.startswith(f"OneRoster CSV (sis), users.csv line {index + 2}, ")
    assert f"record {pupil['sourcedId']}, field givenName: the given name contains U+202E" in (
        problem
    )
    accounts = {a.key for a in board.target().read().accounts}
    assert f"pupil:{pupil['sourcedId']}" not in accounts


# -- the rules themselves ----------------------------------------------------------------------


class _Api:
    """A source without files: problems name its system and the field."""

    name = "sis"
    kind = SourceKind.SIS
    system = "Somtoday"

    def read(self) -> SourceBatch:  # pragma: no cover - clean_batch never reads
        raise AssertionError


def pupil(sis_id: str, given: str = "Sem", group: str | None = "g1") -> Pupil:
    return Pupil(sis_id, PersonName(given, "", "Jansen"), None, "07XY01", group, None, None)


def test_groups_teachers_pupils_and_consents_follow_the_same_rules() -> None:
    batch = SourceBatch("sis", SourceKind.SIS)
    batch.groups = [
        ClassGroup("g1", "Groep 5\u200b", "07XY01"),
        ClassGroup("g2", "Groep 6", "07XY01", frozenset({"1001", "1\u200b002"})),
    ]
    batch.pupils = [pupil("p1"), pupil("p2", group="g2"), pupil("p 3", group="g2")]
    decomposed = unicodedata.normalize("NFD", "Zoë")
    batch.pupils.append(pupil("p4", given=decomposed, group="g2"))
    batch.consents = [
        ConsentRecord("p*", "web", ConsentStatus.GRANTED, "2026-2027", TODAY, ConsentGiver.PARENT)
    ]
    clean_batch(_Api(), batch, CleanRules())
    assert [g.group_id for g in batch.groups] == ["g2"]
    assert batch.groups[0].teacher_numbers == {"1001"}  # only the bad link is gone
    assert [p.sis_id for p in batch.pupils] == ["p2", "p4"]
    assert batch.pupils[1].name.given == "Zoë" and len(batch.pupils[1].name.given) == 3
    assert batch.consents == []
    assert batch.quarantined_keys == {"pupil:p1", "pupil:p 3", "pupil:p*"}
    assert batch.unkeyed_rejects == 1  # 'p 3' may be someone's id, mangled ('p*' is a consent)
    described = [p.describe() for p in batch.problems]
    assert described[0] == (
        "Somtoday (sis), Somtoday, record g1, field group name: "
        "the group name contains U+200B (ZERO WIDTH SPACE), a zero-width character"
    )
    assert any(
        "field teacher: the teacher's employee number '1 U+200B 002'" in d for d in described
    )
    assert any("record p1, field group: the group 'g1' was refused" in d for d in described)


def test_keys_follow_the_configured_patterns() -> None:
    rules = CleanRules()
    for good in ("1", "100006", "123456789012"):
        assert rules.employee_number.fullmatch(good)
    for bad in ("*", "1e5", "\u0661\u0662\u0663", "１２３", "12\n", "", "1234567890123", "-1"):
        assert not rules.employee_number.fullmatch(bad), bad
    for good in ("4711", "L1", "c9b5e3f0-1d2e-4f5a-8b9c-0d1e2f3a4b5c", "{A1B2}", "st.123"):
        assert rules.pupil_id.fullmatch(good)
    for bad in ("", "p 1", "p/1", "x" * 101, "\u0661"):
        assert not rules.pupil_id.fullmatch(bad), bad
    batch = SourceBatch("hr", SourceKind.HR)
    batch.staff = [StaffMember("A12", PersonName("Jan", "", "Jansen"), ())]
    clean_batch(_Api(), batch, CleanRules())
    assert batch.staff == [] and batch.unkeyed_rejects == 1
    assert batch.quarantined_keys == {"staff:A12"}


def test_text_problems_name_code_points_never_the_value() -> None:
    assert text_problem("given name", "Anne-Fleur") is None
    assert text_problem("given name", "Tab\there") is None  # a tab is allowed
    assert text_problem("prefix", "van\u0085") == (
        "the prefix contains U+0085 (NEL), a control character"
    )
    assert text_problem("given name", "a" * 200) is None
    assert "201 characters long" in (text_problem("given name", "a" * 201) or "")
    assert shown("\u0661\u0662\u0663") == "U+0661 U+0662 U+0663"
    assert shown("x" * 100) == "x" * 24 + "..."


def test_an_invalid_pattern_is_a_configuration_error(board: Board) -> None:
    text = board.config_path.read_text(encoding="utf-8")
    board.config_path.write_text(
        text.replace(
            "[sources.hr]", "[sources]\nemployee_number_pattern = '([0-9'\n\n[sources.hr]"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="employee_number_pattern"):
        load_config(board.config_path)


def test_a_board_may_allow_letters_in_employee_numbers(board: Board) -> None:
    number = board.teacher_number()
    board.edit_hr(number, lambda row: {**row, "employee_number": f"E{number}"})
    text = board.config_path.read_text(encoding="utf-8")
    board.config_path.write_text(
        text.replace(
            "[sources.hr]", "[sources]\nemployee_number_pattern = '^E?[0-9]{1,12}$'\n\n[sources.hr]"
        ),
        encoding="utf-8",
    )
    report = board.sync()
    assert not [p for p in report.problems if "pattern" in p]
    assert board.target().find_accounts(f"staff:E{number}")
