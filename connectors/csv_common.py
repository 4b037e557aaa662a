"""What the CSV sources share: reading a file into rows, cleaning values, logging rejects.

Lines are numbered as a spreadsheet shows them: the header is line 1, the first record line 2.
A record with a quoted line break still counts as one line; blank lines count but yield nothing.
"""

from __future__ import annotations

import csv
import gc
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, TextIO

from provisioner.errors import ConfigError
from provisioner.sources.models import RecordProblem, SourceBatch

#: (field, reason): one thing wrong with a record.
Issue = tuple[str | None, str]

ISO_DATE = "%Y-%m-%d"


class CsvRows:
    """The non-blank records of a CSV file after its header, each with its line number, read
    from the file every time they are iterated: a board's 4 million consent rows never sit in
    memory at once. Every row has at least ``width`` cells (short rows are padded with '').

    A file that turns out unreadable further on raises the same ConfigError as the header did.
    """

    __slots__ = ("_count", "_delimiter", "_label", "_path", "_width")

    def __init__(self, label: str, path: Path, delimiter: str, width: int) -> None:
        self._label, self._path, self._delimiter, self._width = label, path, delimiter, width
        self._count: int | None = None

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        width, count = self._width, 0
        with _reading(self._label, self._path) as handle:
            reader = csv.reader(handle, delimiter=self._delimiter)
            with _csv_errors(self._label, self._path, reader):
                next(reader, None)  # the header
                for line, row in enumerate(reader, start=2):
                    first = row[0] if row else ""
                    if (not first or first.isspace()) and not "".join(row).strip():
                        continue  # a blank line
                    if len(row) < width:
                        row.extend([""] * (width - len(row)))
                    count += 1
                    yield line, row
        self._count = count

    def __len__(self) -> int:
        if self._count is None:
            self._count = sum(1 for _ in self)
        return self._count


@contextmanager
def _reading(label: str, path: Path) -> Iterator[TextIO]:
    """The file opened as UTF-8 text (BOM allowed); decoding and OS errors as ConfigError."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            yield handle
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label} {path} is not UTF-8 text (bad byte at {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"{label} {path} cannot be read: {exc.strerror}") from exc


@contextmanager
def _csv_errors(label: str, path: Path, reader: Any) -> Iterator[None]:
    try:
        yield
    except csv.Error as exc:
        where = f"near line {reader.line_num}"
        raise ConfigError(f"{label} {path} is not valid CSV {where}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class CsvTable:
    """One CSV file: the header, and every non-blank record with its line number (read from
    the file as ``rows`` is iterated, see :class:`CsvRows`)."""

    label: str  # "HR export", "OneRoster file": used in ConfigError messages
    path: Path
    header: list[str]
    rows: CsvRows

    @property
    def file(self) -> str:
        return self.path.name

    def column(self, name: str) -> int:
        """The index of a required header; ConfigError names the file and the header."""
        index = self.optional_column(name)
        if index is None:
            raise ConfigError(f"{self.label} {self.path} has no '{name}' column in its header row")
        return index

    def getter(self, *names: str) -> Callable[[Sequence[str]], tuple[str, ...]]:
        """A fast reader of two or more required columns: ``getter(row)`` gives their raw cells."""
        if len(names) < 2:
            raise ValueError("getter() needs two or more columns; use column() for one")
        get: Callable[[Sequence[str]], tuple[str, ...]] = itemgetter(*map(self.column, names))
        return get

    def optional_column(self, name: str) -> int | None:
        """The index of a header that may be absent; a header given twice is a ConfigError."""
        found = [i for i, header in enumerate(self.header) if header == name]
        if len(found) > 1:
            raise ConfigError(f"{self.label} {self.path} has the '{name}' column twice")
        return found[0] if found else None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while reading: 100,000 rows make a million objects
    without cycles, and collecting them over and over would double the time of a read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_table(path: Path, label: str, delimiter: str | None = None) -> CsvTable:
    """Open a UTF-8 CSV file (BOM allowed); the delimiter is sniffed between ',' and ';'.
    The header is read now, the records as ``rows`` is iterated.

    Raises ConfigError when the file is missing, unreadable, not UTF-8 or has no header (and,
    while ``rows`` is iterated, when a record further on is not UTF-8 or not valid CSV).
    """
    if not path.exists():
        raise ConfigError(f"{label} {path} does not exist")
    if not path.is_file():
        raise ConfigError(f"{label} {path} is not a file")
    if delimiter is not None and len(delimiter) != 1:
        raise ConfigError(f"{label} {path}: delimiter must be one character, not '{delimiter}'")
    with _reading(label, path) as handle:
        if delimiter is None:
            first_line = handle.readline()
            delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
            handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        with _csv_errors(label, path, reader):
            first = next(reader, None)
    if not first or not "".join(first).strip():
        raise ConfigError(f"{label} {path} is empty (no header row)")
    header = [name.strip() for name in first]
    return CsvTable(label, path, header, CsvRows(label, path, delimiter, len(header)))


def cell(row: Sequence[str], index: int | None) -> str:
    """The whitespace-trimmed value at ``index``; '' for an absent column or a short row."""
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def clean_text(value: str) -> str:
    """Unicode NFC with runs of whitespace made one space: 'van  ’t' and 'van ’t' match."""
    if value.isascii():
        if value.isprintable() and "  " not in value:
            return value.strip()  # the usual name, quickly
    else:
        value = unicodedata.normalize("NFC", value)
    return " ".join(value.split())


@lru_cache(maxsize=16384)  # a million pupils' birth dates: some 5,000 days, each one object
def parse_date(value: str, date_format: str = ISO_DATE) -> date | None:
    """The date in ``value``, or None when it is not a date in ``date_format``.

    ISO and ``%Y%m%d`` dates take a fast path, and repeated values come from a cache: a SIS
    export has a date on every enrolment.
    """
    try:
        if date_format == ISO_DATE:
            if len(value) != 10 or value[4] != "-" or value[7] != "-":
                return None
            return date.fromisoformat(value)
        if date_format == "%Y%m%d":
            if len(value) != 8 or not value.isdigit():
                return None
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return datetime.strptime(value, date_format).date()
    except ValueError:
        return None


def not_a_date(value: str, date_format: str = ISO_DATE) -> str:
    """The reason for a bad date: "'2026-02-30' is not a date (expected YYYY-MM-DD)"."""
    shown = date_format
    for code, meaning in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD")):
        shown = shown.replace(code, meaning)
    return f"'{value}' is not a date (expected {shown})"


@dataclass(slots=True)
class Rejections:
    """The problems of one read, and the people they quarantine."""

    source: str
    problems: list[RecordProblem] = field(default_factory=list)
    quarantined: set[str] = field(default_factory=set)
    unkeyed: int = 0

    def note(
        self, file: str, line: int | None, record: str | None, field: str | None, reason: str
    ) -> None:
        """A problem that quarantines nobody (a school, a class, a teacher link)."""
        self.problems.append(RecordProblem(self.source, file, line, record, field, reason))

    def reject(
        self,
        file: str,
        line: int | None,
        record: str | None,
        key: str | None,
        issues: Iterable[Issue],
    ) -> None:
        """A person's record is unusable: report each issue, quarantine ``key``.

        Without a key the record cannot be tied to anyone: it counts as an unkeyed reject.
        """
        for field_name, reason in issues:
            self.note(file, line, record, field_name, reason)
        if key is None:
            self.unkeyed += 1
        else:
            self.quarantined.add(key)

    def fill(self, batch: SourceBatch) -> None:
        batch.problems.extend(self.problems)
        batch.quarantined_keys.update(self.quarantined)
        batch.unkeyed_rejects += self.unkeyed


#: a file's rows, the file, and the rows (by position) that hold each cell's value
_Indexed = tuple[list[tuple[int, list[str]]], CsvTable, dict[str, list[int]]]


class CsvLocating:
    """For a CSV source: where a refused record's value stands (file, line, column), so the
    cleaning pass (``provisioner/sources/clean.py``) can name the cell a person must fix.

    The source has ``config.path`` (a file, or a folder of ``*.csv``; ``users.csv`` first) and
    may have ``config.delimiter``. Each file is read once per source object and indexed by
    its cells."""

    def locate(self, record: str, value: str) -> tuple[str, int | None, str] | None:
        """(file, line, column) of the first row holding both the record's key and the value
        (as read, or as cleaned); None when no row does."""
        for rows, table, index in self._indexed_tables():
            for i in index.get(record, []):
                line, row = rows[i]
                for column, cell in enumerate(row):
                    if column < len(table.header) and (
                        cell.strip() == value or clean_text(cell) == value
                    ):
                        return table.file, line, table.header[column]
        return None

    def _indexed_tables(self) -> list[_Indexed]:
        cached: list[_Indexed] | None = getattr(self, "_located_tables", None)
        if cached is not None:
            return cached
        config = getattr(self, "config", None)
        path = getattr(config, "path", None)
        delimiter = getattr(config, "delimiter", None)
        files: list[Path] = []
        if isinstance(path, Path) and path.is_dir():
            files = sorted(path.glob("*.csv"), key=lambda p: (p.stem != "users", p.name))
        elif isinstance(path, Path) and path.is_file():
            files = [path]
        tables: list[_Indexed] = []
        for file in files:
            try:
                table = read_table(file, "source file", delimiter)
                rows = list(table.rows)
            except ConfigError:
                continue
            index: dict[str, list[int]] = {}
            for i, (_, row) in enumerate(rows):
                for cell in dict.fromkeys(c.strip() for c in row):
                    index.setdefault(cell, []).append(i)
            tables.append((rows, table, index))
        self._located_tables = tables
        return tables
