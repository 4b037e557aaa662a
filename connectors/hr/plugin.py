"""The HR CSV export as a connector: ``type = "hr-csv"``."""

from __future__ import annotations

from connectors.hr.config import HrCsvSourceConfig
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source


def build(config: HrCsvSourceConfig, context: BuildContext) -> Source:
    from connectors.hr.csv_source import HrCsvSource

    return HrCsvSource(context.slot, config, context.org_units)
