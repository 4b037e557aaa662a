"""Photo and video consent (toestemming beeldmateriaal) from a CSV file, see docs/formats.md.

The optional ``mechanism`` column says how an answer was obtained (``opt_in``, ``opt_out``,
``pre_ticked``, ``condition_of_enrolment``, ``unknown``); an empty cell or no column leaves it
to the board's ``[consent] default_mechanism``.
"""

from __future__ import annotations

import re

from connectors.consent.config import ConsentCsvSourceConfig
from connectors.csv_common import (
    CsvLocating,
    Issue,
    Rejections,
    clean_text,
    gc_paused,
    not_a_date,
    parse_date,
    read_table,
)
from provisioner.domain.models import (
    ConsentGiver,
    ConsentMechanism,
    ConsentRecord,
    ConsentStatus,
    pupil_key,
)
from provisioner.sources.models import SourceBatch, SourceKind

_SCHOOL_YEAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")
_STATUSES = {status.value: status for status in ConsentStatus}
_GIVERS = {giver.value: giver for giver in ConsentGiver}
_MECHANISMS = {mechanism.value: mechanism for mechanism in ConsentMechanism}
_COLUMNS = ("pupil_id", "medium", "status", "school_year", "recorded_on", "given_by")


class ConsentCsvSource(CsvLocating):
    """One row per answer; every valid row is kept, so the history (given, withdrawn) stays.

    A pupil with a bad row is quarantined with all their rows: a withdrawal that cannot be
    read must not leave an older consent standing.
    """

    kind: SourceKind = SourceKind.CONSENT
    system: str = "consent CSV"

    def __init__(self, name: str, config: ConsentCsvSourceConfig) -> None:
        self.name = name
        self.config = config

    def read(self) -> SourceBatch:
        """Read the answers; ``counts["consents"]`` is every answer row, good or rejected."""
        with gc_paused():
            return self._read().named(self.system)

    def _read(self) -> SourceBatch:
        table = read_table(self.config.path, "consent export")
        get = table.getter(*_COLUMNS)
        how = table.optional_column("mechanism")
        log = Rejections(self.name)
        records: list[ConsentRecord] = []
        # A file has a handful of distinct media, statuses and years: check each value once.
        media: dict[str, str] = {}
        years: dict[str, bool] = {}
        shared_years: dict[str, str] = {}
        last_id = ""
        for line, row in table.rows:
            pupil_id, medium, status, year, recorded, given_by = map(str.strip, get(row))
            status_value = _STATUSES.get(status) or _STATUSES.get(status.lower())
            giver = _GIVERS.get(given_by) or _GIVERS.get(given_by.lower())
            valid_year = years.get(year)
            if valid_year is None:
                match = _SCHOOL_YEAR.match(year)
                valid_year = years[year] = match is not None and int(match[2]) == int(match[1]) + 1
                shared_years[year] = year
            if pupil_id == last_id:  # one string per pupil and per year: millions of rows
                pupil_id = last_id
            last_id = pupil_id
            day = parse_date(recorded) if recorded else None
            written = row[how].strip().lower() if how is not None and how < len(row) else ""
            mechanism = _MECHANISMS.get(written) if written else None
            if not (pupil_id and medium and status_value and valid_year and day and giver) or (
                written and mechanism is None
            ):
                values = (pupil_id, medium, status, year, recorded, given_by)
                self._reject(log, table.file, line, values, written)
                continue
            if medium not in media:
                media[medium] = clean_text(medium)
            records.append(
                ConsentRecord(
                    pupil_id, media[medium], status_value, shared_years[year], day, giver, mechanism
                )
            )
        batch = SourceBatch(source=self.name, kind=self.kind)
        quarantined = log.quarantined
        batch.consents = (
            [r for r in records if pupil_key(r.pupil_id) not in quarantined]
            if quarantined
            else records
        )
        log.fill(batch)
        batch.counts = {"consents": len(table.rows)}
        return batch

    @staticmethod
    def _reject(
        log: Rejections, file: str, line: int, values: tuple[str, ...], mechanism: str
    ) -> None:
        """Name every problem of one bad row."""
        named = dict(zip(_COLUMNS, values, strict=True))
        issues: list[Issue] = [(h, f"no {h}") for h, value in named.items() if not value]
        status, given_by, year, recorded = (
            named["status"],
            named["given_by"],
            named["school_year"],
            named["recorded_on"],
        )
        if status and status.lower() not in _STATUSES:
            issues.append(("status", f"'{status}' is not granted, refused or withdrawn"))
        if given_by and given_by.lower() not in _GIVERS:
            issues.append(("given_by", f"'{given_by}' is not parent or pupil"))
        match = _SCHOOL_YEAR.match(year)
        if year and (match is None or int(match[2]) != int(match[1]) + 1):
            issues.append(("school_year", f"'{year}' is not a school year like 2026-2027"))
        if recorded and parse_date(recorded) is None:
            issues.append(("recorded_on", not_a_date(recorded)))
        if mechanism and mechanism not in _MECHANISMS:
            known = ", ".join(_MECHANISMS)
            issues.append(("mechanism", f"'{mechanism}' is not one of {known}"))
        pupil_id = named["pupil_id"]
        log.reject(file, line, pupil_id or None, pupil_key(pupil_id) if pupil_id else None, issues)
