"""The HR CSV source: grouping employments, names, dates, and every rejection rule."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from connectors.hr.config import CsvColumns, HrCsvSourceConfig
from connectors.hr.csv_source import HrCsvSource
from provisioner.domain.models import Employment, PersonName, StaffMember
from provisioner.errors import ConfigError
from provisioner.sources.models import RecordProblem, SourceBatch, SourceKind

HEADER = "employee_number,given_name,prefix,family_name,org_unit,function_title,start_date,end_date"
ORG_UNITS = {"OU-A": "12AB00", "OU-B": "12AB01"}


def read(tmp_path: Path, *rows: str, text: str | None = None, **settings: Any) -> SourceBatch:
    path = tmp_path / "hr.csv"
    content = text if text is not None else "\n".join((HEADER, *rows)) + "\n"
    path.write_text(content, encoding="utf-8")
    config = HrCsvSourceConfig(type="hr-csv", path=path, **settings)
    return HrCsvSource("hr", config, ORG_UNITS).read()


def by_number(batch: SourceBatch) -> dict[str, StaffMember]:
    return {member.employee_number: member for member in batch.staff}


def test_rows_of_one_employee_become_one_staff_member_with_each_employment(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        "1001,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,",
        "1001,Jan,,Jansen,OU-B,Intern begeleider,2024-08-01,2026-07-31",
        "1002,Piet,de,Vries,OU-B,Directeur,2019-01-01,9999-12-31",
        "1003,Kees,,Bakker,OU-A,Invaller,2026-03-02,2026-03-02",  # one day is a valid employment
    )

    assert batch.kind is SourceKind.HR and batch.source == "hr"
    assert batch.problems == []
    assert by_number(batch) == {
        "1001": StaffMember(
            "1001",
            PersonName("Jan", "", "Jansen"),
            (
                Employment("12AB00", "Leerkracht", date(2020, 8, 1), None),
                Employment("12AB01", "Intern begeleider", date(2024, 8, 1), date(2026, 7, 31)),
            ),
        ),
        "1002": StaffMember(
            "1002",
            PersonName("Piet", "de", "Vries"),
            (Employment("12AB01", "Directeur", date(2019, 1, 1), None),),
        ),
        "1003": StaffMember(
            "1003",
            PersonName("Kees", "", "Bakker"),
            (Employment("12AB00", "Invaller", date(2026, 3, 2), date(2026, 3, 2)),),
        ),
    }
    assert batch.counts == {"staff": 3}
    assert batch.quarantined_keys == set() and batch.unkeyed_rejects == 0


def test_names_are_trimmed_and_nfc(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Ömer")  # O + combining diaeresis, as some exports
    batch = read(
        tmp_path,
        f"1001, {decomposed} ,,Çelik ,OU-A,Leerkracht,2020-08-01,",
        "1002,  Anne-Fleur,van 't ,  Hek,OU-A,Leerkracht,2020-08-01,",
    )

    omer, anne = by_number(batch)["1001"].name, by_number(batch)["1002"].name
    assert omer == PersonName("Ömer", "", "Çelik")
    assert omer.given == unicodedata.normalize("NFC", "Ömer") and len(omer.given) == 4
    assert anne == PersonName("Anne-Fleur", "van 't", "Hek")
    assert anne.display == "Anne-Fleur van 't Hek"


def test_hr_core_education_brackets_semicolons_and_compact_dates(tmp_path: Path) -> None:
    text = (
        "\ufeff[Personeelsnummer];[Roepnaam];[Tussenvoegsel];[Eigen naam];[Afdelingscode];"
        "[Functienaam];[Begindatum];[Einddatum]\n"
        "88123;Anne-Fleur;van 't;Hek;OU-A;Leerkracht;20210801;99991231\n"
        "88124;Ömer;;Çelik;OU-B;Conciërge;20230115;20260731\n"
    )
    columns = CsvColumns(
        employee_number="[Personeelsnummer]",
        given_name="[Roepnaam]",
        prefix="[Tussenvoegsel]",
        family_name="[Eigen naam]",
        org_unit="[Afdelingscode]",
        function_title="[Functienaam]",
        start_date="[Begindatum]",
        end_date="[Einddatum]",
    )

    batch = read(tmp_path, text=text, columns=columns, date_format="%Y%m%d")

    assert batch.problems == []
    staff = by_number(batch)
    assert staff["88123"].name.display == "Anne-Fleur van 't Hek"
    assert staff["88123"].employments == (
        Employment("12AB00", "Leerkracht", date(2021, 8, 1), None),
    )
    assert staff["88124"].employments == (
        Employment("12AB01", "Conciërge", date(2023, 1, 15), date(2026, 7, 31)),
    )


def test_configured_delimiter_wins_over_sniffing(tmp_path: Path) -> None:
    # six commas against five semicolons in the header: sniffing alone would pick ','
    names = ["nr, pers", "naam, roep", "naam, eigen", "eenheid, code", "functie, titel", "begin, x"]
    text = ";".join(names) + "\n1001;Jan;Jansen;OU-A;Leerkracht, groep 5;2020-08-01\n"
    columns = CsvColumns(
        employee_number=names[0], given_name=names[1], family_name=names[2],
        org_unit=names[3], function_title=names[4], start_date=names[5],
    )  # fmt: skip

    batch = read(tmp_path, text=text, delimiter=";", columns=columns)

    assert batch.problems == []
    assert by_number(batch)["1001"].employments[0].function_title == "Leerkracht, groep 5"
    with pytest.raises(ConfigError, match="has no 'nr, pers' column"):
        read(tmp_path, text=text, columns=columns)  # sniffed ',' splits the headers


BAD_ROWS = [
    pytest.param(",Jan,,Jansen,OU-A,Leerkracht,2020-08-01,", None, "employee_number",
                 "no employee number", id="no-employee-number"),
    pytest.param("1003,,,Jansen,OU-A,Leerkracht,2020-08-01,", "1003", "given_name",
                 "no given name", id="no-given-name"),
    pytest.param("1003,Jan,,,OU-A,Leerkracht,2020-08-01,", "1003", "family_name",
                 "no family name", id="no-family-name"),
    pytest.param("1003,Jan,,Jansen,,Leerkracht,2020-08-01,", "1003", "org_unit",
                 "no org unit", id="no-org-unit"),
    pytest.param("1003,Jan,,Jansen,OU-A,,2020-08-01,", "1003", "function_title",
                 "no function title", id="no-function-title"),
    pytest.param("1003,Jan,,Jansen,OU-A,Leerkracht,,", "1003", "start_date",
                 "no start date", id="no-start-date"),
    pytest.param("1003,Jan,,Jansen,OU-A,Leerkracht,2026-02-30,", "1003", "start_date",
                 "'2026-02-30' is not a date (expected YYYY-MM-DD)", id="bad-start-date"),
    pytest.param("1003,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,31-07-2026", "1003", "end_date",
                 "'31-07-2026' is not a date (expected YYYY-MM-DD)", id="bad-end-date"),
    pytest.param("1003,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,2020-07-31", "1003", "end_date",
                 "end date '2020-07-31' is before start date '2020-08-01'", id="end-before-start"),
    pytest.param("1003,Jan,,Jansen,OU-Z,Leerkracht,2020-08-01,", "1003", "org_unit",
                 "org unit 'OU-Z' is not listed by any location (hr_org_units)", id="unknown-unit"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "record", "field", "reason"), BAD_ROWS)
def test_each_rejection_rule_reports_and_quarantines(
    tmp_path: Path, row: str, record: str | None, field: str, reason: str
) -> None:
    batch = read(tmp_path, "1001,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,", row)

    assert batch.problems == [RecordProblem("hr", "hr.csv", 3, record, field, reason)]
    assert list(by_number(batch)) == ["1001"]  # the rest of the file proceeds
    if record is None:
        assert batch.unkeyed_rejects == 1 and batch.quarantined_keys == set()
        assert batch.counts == {"staff": 1}
    else:
        assert batch.unkeyed_rejects == 0 and batch.quarantined_keys == {f"staff:{record}"}
        assert batch.counts == {"staff": 2}


def test_one_bad_row_quarantines_the_whole_person(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        "1001,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,",
        "1002,Piet,de,Vries,OU-A,Leerkracht,2020-08-01,",
        "1001,Jan,,Jansen,OU-B,Leerkracht,2026-02-30,",
    )

    assert [m.employee_number for m in batch.staff] == ["1002"]
    assert batch.quarantined_keys == {"staff:1001"}
    assert [(p.line, p.record, p.field) for p in batch.problems] == [(4, "1001", "start_date")]
    assert batch.counts == {"staff": 2}


def test_a_row_with_several_faults_is_one_unkeyed_reject(tmp_path: Path) -> None:
    batch = read(tmp_path, ",,,,OU-A,Leerkracht,2020-08-01,", ",Jan,,Jansen,OU-A,,,")

    assert batch.unkeyed_rejects == 2
    assert [(p.line, p.field) for p in batch.problems] == [
        (2, "employee_number"), (2, "given_name"), (2, "family_name"),
        (3, "employee_number"), (3, "function_title"), (3, "start_date"),
    ]  # fmt: skip
    assert all(p.record is None for p in batch.problems)
    assert batch.staff == [] and batch.counts == {"staff": 0}


def test_same_employee_number_with_another_name_quarantines_all_rows(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        "1001,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,",
        "1002,Piet,de,Vries,OU-A,Leerkracht,2020-08-01,",
        "1001,Janna,,Jansen,OU-B,Leerkracht,2021-08-01,",
        "1001,Jan,,Jansen,OU-B,Directeur,2022-08-01,",
    )

    assert [m.employee_number for m in batch.staff] == ["1002"]
    assert batch.quarantined_keys == {"staff:1001"}
    assert batch.problems == [
        RecordProblem("hr", "hr.csv", 2, "1001", "employee_number",
                      "duplicate employee number: line 4 has a different name"),
        RecordProblem("hr", "hr.csv", 4, "1001", "employee_number",
                      "duplicate employee number: line 2 has a different name"),
        RecordProblem("hr", "hr.csv", 5, "1001", "employee_number",
                      "duplicate employee number: line 4 has a different name"),
    ]  # fmt: skip
    assert all("Janna" not in p.reason for p in batch.problems)


def test_the_same_employment_twice_is_rejected(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        "1001,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,",
        "1001,Jan,,Jansen,OU-B,Leerkracht,2020-08-01,",
        "1001,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,",
    )

    assert batch.staff == []
    assert batch.quarantined_keys == {"staff:1001"}
    assert batch.problems == [
        RecordProblem("hr", "hr.csv", 4, "1001", None, "the same employment as line 2")
    ]


def test_open_end_dates_blank_lines_and_line_numbers(tmp_path: Path) -> None:
    text = (
        f"{HEADER}\n"
        "1001,Jan,,Jansen,OU-A,Leerkracht,2020-08-01,  \n"
        "\n"
        "1002,Piet,,Vries,OU-A,Leerkracht,2020-08-01,2099-01-01\n"
        '1003,Kees,,Bakker,OU-A,"Leerkracht\ngroep 8",2020-08-01,2020-01-01\n'
    )

    batch = read(tmp_path, text=text, open_end_dates=["2099-01-01"])

    staff = by_number(batch)
    assert staff["1001"].employments[0].end is None
    assert staff["1002"].employments[0].end is None
    # the blank line counts (line 3); a quoted line break does not start a new line
    assert [(p.line, p.record) for p in batch.problems] == [(5, "1003")]


def test_missing_file_or_header_makes_the_source_unusable(tmp_path: Path) -> None:
    config = HrCsvSourceConfig(type="hr-csv", path=tmp_path / "hr.csv")
    with pytest.raises(ConfigError, match=r"^HR export .*hr\.csv does not exist$"):
        HrCsvSource("hr", config, ORG_UNITS).read()

    text = "employee_number,given_name,family_name,org_unit,start_date\n1,a,b,OU-A,2020-01-01\n"
    with pytest.raises(ConfigError, match=r"hr\.csv has no 'function_title' column"):
        read(tmp_path, text=text)


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    text = "employee_number;given_name;family_name;org_unit;function_title;start_date\n"
    text += "1001;Jan;Jansen;OU-A;Leerkracht;2020-08-01\n"

    batch = read(tmp_path, text=text)

    assert batch.staff == [
        StaffMember("1001", PersonName("Jan", "", "Jansen"),
                    (Employment("12AB00", "Leerkracht", date(2020, 8, 1), None),))
    ]  # fmt: skip
