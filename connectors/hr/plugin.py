"""The HR CSV export as a connector: ``type = "hr-csv"``."""

from __future__ import annotations

from connectors.hr.config import HrCsvSourceConfig
from provisioner.accountability.processing import (
    DataCategory,
    Flow,
    Measure,
    PersonCategory,
    ProcessingFacts,
    Purpose,
    Recipient,
)
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source

#: An export of the board's HR system, a file on the board's server (the register, art. 30).
PROCESSING = ProcessingFacts(
    system="HR export (CSV)",
    flow=Flow.READS,
    purposes=(Purpose.ACCOUNTS, Purpose.LEAVERS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.NAME, DataCategory.EMPLOYEE_NUMBER, DataCategory.FUNCTION,
        DataCategory.LOCATION, DataCategory.EMPLOYMENT_DATES,
    ),
    people=(PersonCategory.STAFF, PersonCategory.INTERNS),
    recipients=(Recipient.SUPPLIER, Recipient.CENTRAL_OFFICE),
    measures=(Measure.LOCAL_FILES, Measure.READ_ONLY, Measure.INPUT_CHECKS),
)  # fmt: skip


def build(config: HrCsvSourceConfig, context: BuildContext) -> Source:
    from connectors.hr.csv_source import HrCsvSource

    return HrCsvSource(context.slot, config, context.org_units)
