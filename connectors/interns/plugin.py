"""The intern list as a connector: ``type = "interns-csv"`` in ``[sources.interns]``."""

from __future__ import annotations

from connectors.interns.config import InternsCsvSourceConfig
from provisioner.accountability.processing import (
    DataCategory,
    Flow,
    Measure,
    PersonCategory,
    ProcessingFacts,
    ProcessorRole,
    Purpose,
    Recipient,
)
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source

#: The intern list the school or the Stafbureau keeps from the institutes' placements: a file
#: on the board's own server, so no supplier processes it.
PROCESSING = ProcessingFacts(
    system="Intern list (CSV)",
    flow=Flow.READS,
    purposes=(Purpose.INTERNSHIPS, Purpose.ACCOUNTS),
    data=(
        DataCategory.NAME,
        DataCategory.EMPLOYEE_NUMBER,
        DataCategory.LOCATION,
        DataCategory.EMPLOYMENT_DATES,
    ),
    people=(PersonCategory.INTERNS, PersonCategory.STAFF),
    recipients=(Recipient.CENTRAL_OFFICE, Recipient.SCHOOL_STAFF),
    measures=(Measure.LOCAL_FILES, Measure.READ_ONLY, Measure.INPUT_CHECKS),
    processor=ProcessorRole.BOARD,
)


def build(config: InternsCsvSourceConfig, context: BuildContext) -> Source:
    from connectors.interns.source import InternsCsvSource

    sources = context.config.sources
    return InternsCsvSource(
        context.slot, config, context.locations, sources.employee_number_pattern
    )
