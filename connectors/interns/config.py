"""The intern list's settings (``type = "interns-csv"``, in ``[sources.interns]``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from provisioner.config import SourceConfig, Strict


class InternColumns(Strict):
    """Header names in the intern list, for lists whose headers differ from ours."""

    employee_number: str = "employee_number"
    given_name: str = "given_name"
    prefix: str = "prefix"
    family_name: str = "family_name"
    school: str = "school"
    start_date: str = "start_date"
    end_date: str = "end_date"
    study_end_date: str = "study_end_date"
    institute: str = "institute"
    workplace_supervisor: str = "workplace_supervisor"
    school_trainer: str = "school_trainer"


class InternsCsvSourceConfig(SourceConfig):
    """A CSV file with one row per internship: the intern's number (in the board's employee
    number range), name, school (BRIN6), first and last day, the study's end (optional), the
    teacher-training institute, and the employee numbers of the werkplekbegeleider and the
    schoolopleider."""

    type: Literal["interns-csv"]
    path: Path
    date_format: str = Field(default="%Y-%m-%d", description="strptime format, '%d-%m-%Y' etc.")
    delimiter: str | None = Field(default=None, description="',' or ';'; sniffed when unset.")
    columns: InternColumns = Field(default_factory=InternColumns)
