"""The consent CSV source: history kept, every rejection rule, quarantine of the pupil."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.consent.config import ConsentCsvSourceConfig
from connectors.consent.source import ConsentCsvSource
from provisioner.domain.models import ConsentGiver, ConsentRecord, ConsentStatus
from provisioner.errors import ConfigError
from provisioner.sources.models import RecordProblem, SourceBatch, SourceKind

HEADER = "pupil_id,medium,status,school_year,recorded_on,given_by"


def read(tmp_path: Path, *rows: str, header: str = HEADER) -> SourceBatch:
    path = tmp_path / "consent.csv"
    path.write_text("\ufeff" + "\n".join((header, *rows)) + "\n", encoding="utf-8")
    config = ConsentCsvSourceConfig(type="consent-csv", path=path)
    return ConsentCsvSource("consent", config).read()


def test_every_valid_answer_is_kept_as_history(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        "p1,website,granted,2026-2027,2026-08-20,parent",
        "p1,website,withdrawn,2026-2027,2026-11-02,parent",
        "p2,social media,Refused,2026-2027,2026-09-01,pupil",
    )

    assert batch.kind is SourceKind.CONSENT and batch.problems == []
    assert batch.consents == [
        ConsentRecord("p1", "website", ConsentStatus.GRANTED, "2026-2027", date(2026, 8, 20),
                      ConsentGiver.PARENT),
        ConsentRecord("p1", "website", ConsentStatus.WITHDRAWN, "2026-2027", date(2026, 11, 2),
                      ConsentGiver.PARENT),
        ConsentRecord("p2", "social media", ConsentStatus.REFUSED, "2026-2027",
                      date(2026, 9, 1), ConsentGiver.PUPIL),
    ]  # fmt: skip
    assert batch.counts == {"consents": 3}


BAD_ROWS = [
    pytest.param("p9,,granted,2026-2027,2026-08-20,parent", "medium", "no medium", id="no-medium"),
    pytest.param("p9,website,,2026-2027,2026-08-20,parent", "status", "no status", id="no-status"),
    pytest.param("p9,website,maybe,2026-2027,2026-08-20,parent", "status",
                 "'maybe' is not granted, refused or withdrawn", id="bad-status"),
    pytest.param("p9,website,granted,,2026-08-20,parent", "school_year", "no school_year",
                 id="no-year"),
    pytest.param("p9,website,granted,2026-2028,2026-08-20,parent", "school_year",
                 "'2026-2028' is not a school year like 2026-2027", id="year-gap"),
    pytest.param("p9,website,granted,2026/27,2026-08-20,parent", "school_year",
                 "'2026/27' is not a school year like 2026-2027", id="year-format"),
    pytest.param("p9,website,granted,2026-2027,,parent", "recorded_on", "no recorded_on",
                 id="no-date"),
    pytest.param("p9,website,granted,2026-2027,2026-02-30,parent", "recorded_on",
                 "'2026-02-30' is not a date (expected YYYY-MM-DD)", id="bad-date"),
    pytest.param("p9,website,granted,2026-2027,2026-08-20,", "given_by", "no given_by",
                 id="no-given-by"),
    pytest.param("p9,website,granted,2026-2027,2026-08-20,grandma", "given_by",
                 "'grandma' is not parent or pupil", id="bad-given-by"),
]  # fmt: skip


@pytest.mark.parametrize(("row", "field", "reason"), BAD_ROWS)
def test_each_rejection_rule_quarantines_the_pupil_with_all_answers(
    tmp_path: Path, row: str, field: str, reason: str
) -> None:
    batch = read(
        tmp_path,
        "p9,website,granted,2025-2026,2025-08-20,parent",  # good, but p9 is quarantined
        "p1,website,granted,2026-2027,2026-08-20,parent",
        row,
    )

    assert batch.problems == [RecordProblem("consent", "consent.csv", 4, "p9", field, reason)]
    assert batch.quarantined_keys == {"pupil:p9"} and batch.unkeyed_rejects == 0
    assert [c.pupil_id for c in batch.consents] == ["p1"]
    assert batch.counts == {"consents": 3}


def test_an_answer_without_pupil_is_an_unkeyed_reject(tmp_path: Path) -> None:
    batch = read(
        tmp_path,
        ",website,granted,2026-2027,2026-08-20,parent",
        "p1,website,granted,2026-2027,2026-08-20,parent",
    )

    assert batch.problems == [RecordProblem("consent", "consent.csv", 2, None, "pupil_id",
                                            "no pupil_id")]  # fmt: skip
    assert batch.unkeyed_rejects == 1 and batch.quarantined_keys == set()
    assert [c.pupil_id for c in batch.consents] == ["p1"]


def test_missing_file_or_column_makes_the_source_unusable(tmp_path: Path) -> None:
    config = ConsentCsvSourceConfig(type="consent-csv", path=tmp_path / "consent.csv")
    with pytest.raises(ConfigError, match=r"^consent export .*consent\.csv does not exist$"):
        ConsentCsvSource("consent", config).read()

    with pytest.raises(ConfigError, match=r"consent\.csv has no 'given_by' column"):
        read(tmp_path, "p1,website,granted,2026-2027,2026-08-20", header=HEADER[:-9])
