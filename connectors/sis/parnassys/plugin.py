"""ParnasSys as a connector: ``type = "parnassys"`` (reads the school year of the run's day)."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.parnassys.config import ParnasSysSourceConfig
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

#: What the register says about ParnasSys (art. 30): the generic SOAP interface, read only.
PROCESSING = ProcessingFacts(
    system="ParnasSys",
    flow=Flow.READS,
    purposes=(Purpose.ACCOUNTS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.PUPIL_ID, DataCategory.NAME, DataCategory.BIRTH_DATE, DataCategory.LOCATION,
        DataCategory.GROUP, DataCategory.ENROLMENT_DATES, DataCategory.TEACHER_GROUPS,
        DataCategory.EMPLOYEE_NUMBER,
    ),
    people=(PersonCategory.PUPILS, PersonCategory.STAFF),
    recipients=(Recipient.SUPPLIER, Recipient.CENTRAL_OFFICE),
    measures=(
        Measure.TLS, Measure.SUPPLIER_KEY, Measure.SECRETS_OUTSIDE_CONFIG, Measure.READ_ONLY,
        Measure.INPUT_CHECKS,
    ),
)  # fmt: skip


def build(config: ParnasSysSourceConfig, context: BuildContext) -> Source:
    from connectors.sis.parnassys.source import ParnasSysSource

    return ParnasSysSource(context.slot, config, context.locations, today=context.today)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's ParnasSys, served by its emulator (connectors/sis/parnassys/demo.py)."""
    from connectors.sis.parnassys.demo import serve

    return serve(request)
