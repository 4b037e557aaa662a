"""The result of reading one source, including the records it had to quarantine."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol, runtime_checkable

from provisioner.accountability.interns_model import Internship
from provisioner.domain.models import ClassGroup, ConsentRecord, Pupil, StaffMember


class SourceKind(StrEnum):
    HR = "hr"
    SIS = "sis"
    CONSENT = "consent"
    INTERNS = "interns"  # the intern list (docs/accountability.md, "Interns")


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record a source could not use: where it is, which field, and why.

    ``source`` is the configured source (``hr``, ``sis``, ``consent``); ``system`` the system
    it was read from (``Youforce``, ``ParnasSys``, ``HR CSV``), set by the source's ``read``
    through :meth:`SourceBatch.named`; it is descriptive, so not part of equality. ``file`` is
    the file or API endpoint, ``record`` the record's key (employee number, SIS id) when it
    could be read, never a name. ``reason`` explains in plain words and never contains other
    people's data.
    """

    source: str
    file: str
    line: int | None
    record: str | None
    field: str | None
    reason: str
    system: str | None = dataclasses.field(default=None, compare=False)

    def describe(self) -> str:
        """One line for the report: ``Youforce (hr), /iam/v1.0/employments, record 1005,
        field startDate: not a date``."""
        system = f"{self.system} ({self.source})" if self.system else f"source {self.source}"
        where = self.file if self.line is None else f"{self.file} line {self.line}"
        who = f", record {self.record}" if self.record else ""
        what = f", field {self.field}" if self.field else ""
        return f"{system}, {where}{who}{what}: {self.reason}"


@dataclass(slots=True)
class SourceBatch:
    """Everything one source delivered in one read.

    ``quarantined_keys`` are the person keys (``staff:…``/``pupil:…``) whose records failed:
    the engine leaves everything of theirs exactly as it is this run. ``unkeyed_rejects``
    counts rejected records whose key could not be read at all; while there are any, nobody
    missing from this source is treated as gone, because they might be that record.
    ``counts`` is what the source guard compares with the last good run.
    """

    source: str
    kind: SourceKind
    staff: list[StaffMember] = field(default_factory=list)
    pupils: list[Pupil] = field(default_factory=list)
    groups: list[ClassGroup] = field(default_factory=list)
    consents: list[ConsentRecord] = field(default_factory=list)
    internships: list[Internship] = field(default_factory=list)
    problems: list[RecordProblem] = field(default_factory=list)
    quarantined_keys: set[str] = field(default_factory=set)
    unkeyed_rejects: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def named(self, system: str) -> SourceBatch:
        """This batch with every problem naming ``system``, the system it was read from."""
        self.problems = [replace(p, system=system) for p in self.problems]
        return self


class Source(Protocol):
    """A read-only source of people: an HR system, a SIS, a consent register."""

    name: str
    kind: SourceKind

    def read(self) -> SourceBatch:
        """Read everything; raise ConnectorError subclasses for what cannot be read at all."""
        ...


@runtime_checkable
class LocatingSource(Protocol):
    """A source that can say where a value of a record stands (a CSV file: file, line and
    column), so a refused record names the cell to fix."""

    def locate(self, record: str, value: str) -> tuple[str, int | None, str] | None: ...
