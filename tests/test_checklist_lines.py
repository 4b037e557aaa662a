"""The checklist builder (pure): the lines of seed 002 annex c in both languages, the school
year, and the leaver figures per kind of target (the SIS line, the Office 365 line)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from provisioner.accountability.checklist import build_checklist
from provisioner.accountability.checklist_facts import (
    AccountDisable,
    ChainHead,
    ChecklistFacts,
    Period,
    TaskFact,
)
from provisioner.accountability.checklist_lines import LINES, Evidence
from provisioner.errors import ConfigError

ON = date(2026, 3, 2)
PERIOD = Period.of("2025-2026", (8, 1), ON)
HEAD = ChainHead(41, "ab" * 32)


def _facts(language: str = "en", **changes: object) -> ChecklistFacts:
    base: dict[str, object] = {
        "board": "Stichting Test",
        "language": language,
        "period": PERIOD,
        "built_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "head": HEAD,
    }
    return ChecklistFacts(**(base | changes))  # type: ignore[arg-type]


def _leaver(target: str, person: str, last: date, gap: int | None, run: str) -> AccountDisable:
    disabled = last + timedelta(days=gap) if gap is not None else None
    failed = (run,) if gap is None else ()
    return AccountDisable(
        target, "", person, last, disabled, run if gap is not None else None, failed
    )


def test_the_school_year_runs_from_its_first_day_to_the_day_before_the_next() -> None:
    assert (PERIOD.start, PERIOD.end, PERIOD.last) == (date(2025, 8, 1), date(2026, 7, 31), ON)
    assert not PERIOD.complete and PERIOD.holds(date(2026, 7, 31))
    assert not PERIOD.holds(date(2025, 7, 31))
    done = Period.of("2024-2025", (8, 1), ON)
    assert done.complete and done.last == date(2025, 7, 31)
    with pytest.raises(ConfigError, match="not a school year"):
        Period.of("2025/2026", (8, 1), ON)
    with pytest.raises(ConfigError, match="has not started"):
        Period.of("2026-2027", (8, 1), ON)


def test_every_line_of_annex_c_is_there_in_both_languages_with_its_paragraph() -> None:
    assert [line.number for line in LINES] == list(range(1, 28))
    nl, en = build_checklist(_facts("nl")), build_checklist(_facts("en"))
    for dutch, english in zip(nl.lines, en.lines, strict=True):
        assert dutch.text != english.text and dutch.paragraph
        assert (dutch.verdict == "school") == (dutch.evidence is Evidence.SCHOOL)
    assert nl.lines[7].text.startswith("Vertrekkende leerkrachten worden direct in ParnasSys")
    assert nl.lines[18].paragraph == "§10.2" and nl.lines[23].paragraph == "§11.3, §11.4"
    assert nl.lines[13].paragraph == "Protocol sociale media (bijlage)"
    assert en.lines[13].paragraph == "Social media protocol (annex)"
    assert nl.counts()["school"] == 18
    assert nl.texts["title"] == "Checklist privacy 2025-2026"
    assert f"seq {HEAD.seq}, sha256 {HEAD.sha256}" in nl.texts["footer"]


def test_leaver_figures_per_kind_of_target() -> None:
    last = date(2026, 1, 9)
    facts = _facts(
        "nl",
        targets={"m365": "m365", "somtoday": "sis_staff", "parnassys": "sis_staff_tasks"},
        disables=(
            _leaver("m365", "staff:1", last, 0, "R1"),
            _leaver("m365", "staff:2", last, 1, "R1"),
            _leaver("m365", "staff:3", last, 2, "R2"),
            _leaver("m365", "staff:4", last, 5, "R3"),
            _leaver("m365", "staff:5", last, None, "R3"),
            _leaver("m365", "staff:6", date(2025, 7, 20), 20, "R0"),  # last year's leaver
            _leaver("somtoday", "staff:2", last, 1, "R1"),
        ),
        tasks=(
            TaskFact(
                7,
                "sis_account_deactivate",
                "parnassys",
                "staff:3",
                last,
                "done",
                last + timedelta(days=2),
                "R2",
            ),
        ),
    )
    report = build_checklist(facts)
    office = report.lines[9]
    [part] = office.parts
    assert part.numbers["leavers"] == 5 and part.numbers["disabled"] == 4
    assert part.numbers["median_days"] == 1.5 and part.numbers["worst_days"] == 5
    assert "mediaan 1,5 dagen, langste 5 dagen" in part.figures[1]
    assert part.exceptions == (
        "staff:4: geblokkeerd 5 dagen na de laatste werkdag (run R3).",
        "staff:3: geblokkeerd 2 dagen na de laatste werkdag (run R2).",
        "staff:5: niet geblokkeerd; mislukt in run R3.",
    )
    assert office.verdict == "not_ok"
    sis = report.lines[7]
    assert [p.verdict for p in sis.parts] == ["ok", "not_ok"]
    assert sis.parts[1].numbers["done_late"] == [7]
    assert sis.verdict == "not_ok"
    english = build_checklist(_facts("en", targets=facts.targets, disables=facts.disables))
    assert "median 1.5 days, worst 5 days" in english.lines[9].parts[0].figures[1]
