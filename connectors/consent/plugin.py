"""The consent CSV as a connector: ``type = "consent-csv"``."""

from __future__ import annotations

from connectors.consent.config import ConsentCsvSourceConfig
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

#: Photo consents exported from the board's consent form or parent app, a file on its server.
PROCESSING = ProcessingFacts(
    system="Photo consents (CSV)",
    flow=Flow.READS,
    purposes=(Purpose.PHOTO_CONSENT,),
    data=(DataCategory.PUPIL_ID, DataCategory.PHOTO_CONSENT),
    people=(PersonCategory.PUPILS, PersonCategory.PARENTS),
    recipients=(Recipient.SUPPLIER, Recipient.SCHOOL_STAFF),
    measures=(Measure.LOCAL_FILES, Measure.READ_ONLY, Measure.INPUT_CHECKS),
)


def build(config: ConsentCsvSourceConfig, context: BuildContext) -> Source:
    from connectors.consent.source import ConsentCsvSource

    return ConsentCsvSource(context.slot, config)
