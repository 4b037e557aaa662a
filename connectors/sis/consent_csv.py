"""Photo and video consent (toestemming beeldmateriaal) from a CSV file, see docs/formats.md."""

from __future__ import annotations

import re

from connectors.csv_common import (
    Issue,
    Rejections,
    cell,
    clean_text,
    not_a_date,
    parse_date,
    read_table,
)
from provisioner.config import ConsentCsvSourceConfig
from provisioner.domain.models import ConsentGiver, ConsentRecord, ConsentStatus, pupil_key
from provisioner.sources.models import SourceBatch, SourceKind

_SCHOOL_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")
_STATUSES = {status.value for status in ConsentStatus}
_GIVERS = {giver.value for giver in ConsentGiver}
_COLUMNS = ("pupil_id", "medium", "status", "school_year", "recorded_on", "given_by")


class ConsentCsvSource:
    """One row per answer; every valid row is kept, so the history (given, withdrawn) stays.

    A pupil with a bad row is quarantined with all their rows: a withdrawal that cannot be
    read must not leave an older consent standing.
    """

    kind: SourceKind = SourceKind.CONSENT

    def __init__(self, name: str, config: ConsentCsvSourceConfig) -> None:
        self.name = name
        self.config = config

    def read(self) -> SourceBatch:
        """Read the answers; ``counts["consents"]`` is every answer row, good or rejected."""
        table = read_table(self.config.path, "consent export")
        columns = [(header, table.column(header)) for header in _COLUMNS]
        log = Rejections(self.name)
        records: list[ConsentRecord] = []
        for line, row in table.rows:
            values = {header: cell(row, index) for header, index in columns}
            issues: list[Issue] = [(h, f"no {h}") for h, value in values.items() if not value]
            pupil_id, status, year = values["pupil_id"], values["status"], values["school_year"]
            recorded, given_by = values["recorded_on"], values["given_by"]
            if status and status.lower() not in _STATUSES:
                issues.append(("status", f"'{status}' is not granted, refused or withdrawn"))
            if given_by and given_by.lower() not in _GIVERS:
                issues.append(("given_by", f"'{given_by}' is not parent or pupil"))
            match = _SCHOOL_YEAR.match(year)
            if year and (match is None or int(match[2]) != int(match[1]) + 1):
                issues.append(("school_year", f"'{year}' is not a school year like 2026-2027"))
            day = parse_date(recorded) if recorded else None
            if recorded and day is None:
                issues.append(("recorded_on", not_a_date(recorded)))
            if issues or day is None:
                key = pupil_key(pupil_id) if pupil_id else None
                log.reject(table.file, line, pupil_id or None, key, issues)
                continue
            records.append(
                ConsentRecord(
                    pupil_id=pupil_id,
                    medium=clean_text(values["medium"]),
                    status=ConsentStatus(status.lower()),
                    school_year=year,
                    recorded_on=day,
                    given_by=ConsentGiver(given_by.lower()),
                )
            )
        batch = SourceBatch(source=self.name, kind=self.kind)
        batch.consents = [r for r in records if pupil_key(r.pupil_id) not in log.quarantined]
        log.fill(batch)
        batch.counts = {"consents": len(table.rows)}
        return batch
