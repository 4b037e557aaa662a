"""The HR CSV export's settings (``type = "hr-csv"``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from provisioner.config import SourceConfig, Strict


class CsvColumns(Strict):
    """Header names in the HR CSV, for exports whose headers differ from ours."""

    employee_number: str = "employee_number"
    given_name: str = "given_name"
    prefix: str = "prefix"
    family_name: str = "family_name"
    org_unit: str = "org_unit"
    function_title: str = "function_title"
    start_date: str = "start_date"
    end_date: str = "end_date"


class HrCsvSourceConfig(SourceConfig):
    type: Literal["hr-csv"]
    path: Path
    date_format: str = Field(default="%Y-%m-%d", description="strptime format, '%Y%m%d' etc.")
    open_end_dates: list[str] = Field(
        default_factory=lambda: ["9999-12-31", "99991231"],
        description="Values meaning 'no end date' besides an empty cell.",
    )
    delimiter: str | None = Field(default=None, description="',' or ';'; sniffed when unset.")
    columns: CsvColumns = Field(default_factory=CsvColumns)
