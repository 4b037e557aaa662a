"""Staff from an HR CSV export: one row per employment (aanstelling), see docs/formats.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from connectors.csv_common import (
    CsvLocating,
    Issue,
    Rejections,
    cell,
    clean_text,
    gc_paused,
    not_a_date,
    parse_date,
    read_table,
)
from connectors.hr.config import HrCsvSourceConfig
from provisioner.domain.models import Employment, PersonName, StaffMember, staff_key
from provisioner.sources.models import SourceBatch, SourceKind


@dataclass(frozen=True, slots=True)
class _Row:
    """A usable employment row, before the rows of one employee number are compared."""

    line: int
    name: PersonName
    org_unit: str
    employment: Employment


class HrCsvSource(CsvLocating):
    """Staff (medewerkers) keyed by employee number (personeelsnummer).

    ``org_units`` maps HR org unit codes to the BRIN6 of their location.
    """

    kind: SourceKind = SourceKind.HR
    system: str = "HR CSV"

    def __init__(self, name: str, config: HrCsvSourceConfig, org_units: Mapping[str, str]) -> None:
        self.name = name
        self.config = config
        self.org_units = dict(org_units)

    def read(self) -> SourceBatch:
        """Read the export; unusable rows quarantine their person (every row of them)."""
        with gc_paused():
            return self._read()

    def _read(self) -> SourceBatch:
        config, cols = self.config, self.config.columns
        table = read_table(config.path, "HR export", config.delimiter)
        i_number = table.column(cols.employee_number)
        i_given = table.column(cols.given_name)
        i_prefix = table.optional_column(cols.prefix)
        i_family = table.column(cols.family_name)
        i_unit = table.column(cols.org_unit)
        i_title = table.column(cols.function_title)
        i_start = table.column(cols.start_date)
        i_end = table.optional_column(cols.end_date)
        open_ends = {value.strip() for value in config.open_end_dates}

        log = Rejections(self.name)
        numbers: set[str] = set()
        good: dict[str, list[_Row]] = {}
        for line, row in table.rows:
            number = cell(row, i_number)
            given = clean_text(cell(row, i_given))
            family = clean_text(cell(row, i_family))
            unit = cell(row, i_unit)
            title = clean_text(cell(row, i_title))
            raw_start, raw_end = cell(row, i_start), cell(row, i_end)
            issues: list[Issue] = []
            if not number:
                issues.append((cols.employee_number, "no employee number"))
            for header, value, what in (
                (cols.given_name, given, "given name"),
                (cols.family_name, family, "family name"),
                (cols.org_unit, unit, "org unit"),
                (cols.function_title, title, "function title"),
                (cols.start_date, raw_start, "start date"),
            ):
                if not value:
                    issues.append((header, f"no {what}"))
            if unit and unit not in self.org_units:
                reason = f"org unit '{unit}' is not listed by any location (hr_org_units)"
                issues.append((cols.org_unit, reason))
            start = parse_date(raw_start, config.date_format) if raw_start else None
            if raw_start and start is None:
                issues.append((cols.start_date, not_a_date(raw_start, config.date_format)))
            end: date | None = None
            if raw_end and raw_end not in open_ends:
                end = parse_date(raw_end, config.date_format)
                if end is None:
                    issues.append((cols.end_date, not_a_date(raw_end, config.date_format)))
            if start is not None and end is not None and end < start:
                issues.append(
                    (cols.end_date, f"end date '{raw_end}' is before start date '{raw_start}'")
                )
            if number:
                numbers.add(number)
            if issues or start is None:
                log.reject(
                    table.file, line, number or None, staff_key(number) if number else None, issues
                )
                continue
            name = PersonName(given, clean_text(cell(row, i_prefix)), family)
            employment = Employment(self.org_units[unit], title, start, end)
            good.setdefault(number, []).append(_Row(line, name, unit, employment))

        batch = SourceBatch(source=self.name, kind=self.kind)
        for number, rows in good.items():
            self._check_person(table.file, number, rows, log)
            if staff_key(number) in log.quarantined:
                continue
            employments = tuple(dict.fromkeys(r.employment for r in rows))
            batch.staff.append(StaffMember(number, rows[0].name, employments))
        log.fill(batch)
        batch.counts = {"staff": len(numbers)}
        return batch.named(self.system)

    def _check_person(self, file: str, number: str, rows: list[_Row], log: Rejections) -> None:
        """Rows of one employee number must share one name and not repeat an employment."""
        key = staff_key(number)
        header = self.config.columns.employee_number
        if any(r.name != rows[0].name for r in rows):
            for r in rows:
                other = next(o for o in rows if o.name != r.name)
                reason = f"duplicate employee number: line {other.line} has a different name"
                log.reject(file, r.line, number, key, [(header, reason)])
        seen: dict[tuple[str, str, date, date | None], int] = {}
        for r in rows:
            e = r.employment
            first = seen.setdefault((r.org_unit, e.function_title, e.start, e.end), r.line)
            if first != r.line:
                reason = f"the same employment as line {first}"
                log.reject(file, r.line, number, key, [(None, reason)])
