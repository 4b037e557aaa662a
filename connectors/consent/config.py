"""The consent CSV's settings (``type = "consent-csv"``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from provisioner.config import SourceConfig


class ConsentCsvSourceConfig(SourceConfig):
    type: Literal["consent-csv"]
    path: Path
