"""Interns from the intern list: one row per internship (docs/accountability.md, "Interns").

A row that cannot be used names the file, the line, the record (the intern's number) and the
field, as every CSV source does, and freezes that intern for the run: nothing of theirs is
changed until the list is fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from connectors.csv_common import (
    CsvLocating,
    CsvTable,
    Issue,
    Rejections,
    cell,
    clean_text,
    not_a_date,
    parse_date,
)
from connectors.csv_common import read_table as read_csv
from connectors.interns.config import InternColumns, InternsCsvSourceConfig
from provisioner.accountability.interns_model import Internship
from provisioner.domain.models import PersonName, staff_key
from provisioner.sources.clean import text_problem
from provisioner.sources.models import SourceBatch, SourceKind


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    internship: Internship


class InternsCsvSource(CsvLocating):
    """Internships keyed by the intern's number, at the board's own schools (BRIN6)."""

    kind: SourceKind = SourceKind.INTERNS
    system: str = "Intern list"

    def __init__(
        self,
        name: str,
        config: InternsCsvSourceConfig,
        locations: Iterable[str],
        employee_number_pattern: str,
    ) -> None:
        self.name = name
        self.config = config
        self.locations = frozenset(locations)
        self.number_pattern = re.compile(employee_number_pattern, re.ASCII)

    def read(self) -> SourceBatch:
        """Read the list; an unusable row freezes its intern (every row of them).

        The source guard does not count this list (no ``counts``): an intern list is short and
        is empty between terms, so a shrink says nothing about a truncated export."""
        cols = self.config.columns
        table = read_csv(self.config.path, "intern list", self.config.delimiter)
        for header in (cols.employee_number, cols.given_name, cols.family_name, cols.school,
                       cols.start_date, cols.end_date):  # fmt: skip
            table.column(header)  # a required header missing: ConfigError naming it
        log = Rejections(self.name)
        good: dict[str, list[_Row]] = {}
        for line, row in table.rows:
            number = clean_text(cell(row, table.column(cols.employee_number)))
            internship, issues = self._row(table, row)
            key = staff_key(number) if number and self.number_pattern.fullmatch(number) else None
            if issues or internship is None:
                log.reject(table.file, line, number or None, key, issues)
                continue
            good.setdefault(number, []).append(_Row(line, internship))
        batch = SourceBatch(source=self.name, kind=self.kind)
        for number, rows in good.items():
            _check_intern(table.file, cols, number, rows, log)
            if staff_key(number) not in log.quarantined:
                batch.internships += [r.internship for r in rows]
        log.fill(batch)
        return batch.named(self.system)

    def _row(self, table: CsvTable, row: list[str]) -> tuple[Internship | None, list[Issue]]:
        """One row as an internship, or what is wrong with it (field, reason)."""
        cols = self.config.columns
        get = _Cells(table, row)
        number = get.text(cols.employee_number)
        given, prefix, family = (
            get.text(cols.given_name),
            get.text(cols.prefix),
            get.text(cols.family_name),
        )
        school, institute = get.text(cols.school), get.text(cols.institute)
        issues: list[Issue] = []
        if not number:
            issues.append((cols.employee_number, "no employee number"))
        elif not self.number_pattern.fullmatch(number):
            reason = (
                f"the employee number does not match the board's pattern "
                f"{self.number_pattern.pattern} ([sources] employee_number_pattern)"
            )
            issues.append((cols.employee_number, reason))
        for header, value, what in (
            (cols.given_name, given, "given name"),
            (cols.family_name, family, "family name"),
            (cols.school, school, "school"),
        ):
            if not value:
                issues.append((header, f"no {what}"))
        for header, value, what in (
            (cols.given_name, given, "given name"),
            (cols.prefix, prefix, "prefix"),
            (cols.family_name, family, "family name"),
            (cols.institute, institute, "institute"),
        ):
            if (problem := text_problem(what, value)) is not None:
                issues.append((header, problem))
        if school and school not in self.locations:
            issues.append((cols.school, f"school '{school}' is not one of the board's locations"))
        start, end, study_end = self._dates(get, issues)
        supervisors = self._supervisors(get, number, issues)
        if issues or start is None or end is None:
            return None, issues
        internship = Internship(
            number=number,
            name=PersonName(given, prefix, family),
            location=school,
            start=start,
            end=end,
            study_end=study_end,
            institute=institute,
            workplace_supervisor=supervisors[0],
            school_trainer=supervisors[1],
        )
        return internship, []

    def _dates(
        self, get: _Cells, issues: list[Issue]
    ) -> tuple[date | None, date | None, date | None]:
        """First day, last day (both required: an internship always ends) and study end."""
        cols, fmt = self.config.columns, self.config.date_format
        found: list[date | None] = []
        for header, what, required in (
            (cols.start_date, "start date", True),
            (cols.end_date, "end date", True),
            (cols.study_end_date, "study end date", False),
        ):
            raw = get.text(header)
            value = parse_date(raw, fmt) if raw else None
            if not raw and required:
                always = ": an internship always ends" if header == cols.end_date else ""
                issues.append((header, f"no {what}{always}"))
            elif raw and value is None:
                issues.append((header, not_a_date(raw, fmt)))
            found.append(value)
        start, end, study_end = found
        if start is not None and end is not None and end < start:
            issues.append((cols.end_date, "the end date is before the start date"))
        if end is not None and study_end is not None and study_end < end:
            issues.append(
                (cols.study_end_date, "the study ends before the internship: check both dates")
            )
        return start, end, study_end

    def _supervisors(
        self, get: _Cells, number: str, issues: list[Issue]
    ) -> tuple[str | None, str | None]:
        """The werkplekbegeleider's and the schoolopleider's employee numbers (each optional)."""
        cols = self.config.columns
        found: list[str | None] = []
        for header, what in (
            (cols.workplace_supervisor, "werkplekbegeleider"),
            (cols.school_trainer, "schoolopleider"),
        ):
            value = get.text(header)
            if value and not self.number_pattern.fullmatch(value):
                issues.append((header, f"the {what}'s employee number does not match the "
                               f"board's pattern {self.number_pattern.pattern}"))  # fmt: skip
            elif value and value == number:
                issues.append((header, f"the intern cannot be their own {what}"))
            found.append(value or None)
        return found[0], found[1]


class _Cells:
    """The cells of one row by header; an optional header that is absent reads ''."""

    def __init__(self, table: CsvTable, row: list[str]) -> None:
        self.table, self.row = table, row

    def text(self, header: str) -> str:
        return clean_text(cell(self.row, self.table.optional_column(header)))


def _check_intern(
    file: str, cols: InternColumns, number: str, rows: list[_Row], log: Rejections
) -> None:
    """Rows of one intern share one name and do not repeat an internship."""
    key = staff_key(number)
    names = {r.internship.name for r in rows}
    if len(names) > 1:
        for r in rows:
            other = next(o for o in rows if o.internship.name != r.internship.name)
            reason = f"the same employee number as line {other.line} with a different name"
            log.reject(file, r.line, number, key, [(cols.employee_number, reason)])
    seen: dict[tuple[str, date], int] = {}
    for r in rows:
        first = seen.setdefault((r.internship.location, r.internship.start), r.line)
        if first != r.line:
            reason = f"the same school and start date as line {first}"
            log.reject(file, r.line, number, key, [(cols.start_date, reason)])
