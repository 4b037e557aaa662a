"""AFAS Profit as a connector: ``type = "afas"`` (the demo serves it from its emulator)."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.hr.afas.config import AfasSourceConfig
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

#: What the register says about AFAS (art. 30): the two GetConnectors it reads, read only.
PROCESSING = ProcessingFacts(
    system="AFAS Profit",
    flow=Flow.READS,
    purposes=(Purpose.ACCOUNTS, Purpose.LEAVERS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.NAME, DataCategory.EMPLOYEE_NUMBER, DataCategory.FUNCTION,
        DataCategory.LOCATION, DataCategory.EMPLOYMENT_DATES,
    ),
    people=(PersonCategory.STAFF, PersonCategory.INTERNS),
    recipients=(Recipient.SUPPLIER, Recipient.CENTRAL_OFFICE),
    measures=(
        Measure.TLS, Measure.API_TOKEN, Measure.SECRETS_OUTSIDE_CONFIG, Measure.READ_ONLY,
        Measure.LEAST_PRIVILEGE, Measure.INPUT_CHECKS,
    ),
)  # fmt: skip


def build(config: AfasSourceConfig, context: BuildContext) -> Source:
    from connectors.hr.afas.source import AfasSource

    return AfasSource(context.slot, config, context.org_units)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's AFAS, served by its emulator (connectors/hr/afas/demo.py)."""
    from connectors.hr.afas.demo import serve

    return serve(request)
