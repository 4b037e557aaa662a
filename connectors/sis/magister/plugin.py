"""Magister as a connector: ``type = "magister"``."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.magister.config import MagisterSourceConfig
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

#: What the register says about Magister (art. 30): pupils and groups, read only (no consents).
PROCESSING = ProcessingFacts(
    system="Magister",
    flow=Flow.READS,
    purposes=(Purpose.ACCOUNTS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.PUPIL_ID, DataCategory.ECK_ID, DataCategory.NAME, DataCategory.BIRTH_DATE,
        DataCategory.LOCATION, DataCategory.GROUP, DataCategory.ENROLMENT_DATES,
        DataCategory.TEACHER_GROUPS,
    ),
    people=(PersonCategory.PUPILS, PersonCategory.STAFF),
    recipients=(Recipient.SUPPLIER, Recipient.CENTRAL_OFFICE),
    measures=(
        Measure.TLS, Measure.SERVICE_ACCOUNT, Measure.SECRETS_OUTSIDE_CONFIG, Measure.READ_ONLY,
        Measure.INPUT_CHECKS,
    ),
)  # fmt: skip


def build(config: MagisterSourceConfig, context: BuildContext) -> Source:
    from connectors.sis.magister.source import MagisterSource

    return MagisterSource(context.slot, config, context.locations)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's Magister, served by its emulator (connectors/sis/magister/demo.py)."""
    from connectors.sis.magister.demo import serve

    return serve(request)
