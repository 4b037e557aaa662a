"""Youforce as a connector: ``type = "youforce"`` (reads each person's version of the day)."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.hr.youforce.config import YouforceSourceConfig
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

#: What the register says about Youforce (art. 30): the IAM API, read only.
PROCESSING = ProcessingFacts(
    system="Visma Raet Youforce",
    flow=Flow.READS,
    purposes=(Purpose.ACCOUNTS, Purpose.LEAVERS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.NAME, DataCategory.EMPLOYEE_NUMBER, DataCategory.FUNCTION,
        DataCategory.LOCATION, DataCategory.EMPLOYMENT_DATES,
    ),
    people=(PersonCategory.STAFF, PersonCategory.INTERNS),
    recipients=(Recipient.SUPPLIER, Recipient.CENTRAL_OFFICE),
    measures=(
        Measure.TLS, Measure.OAUTH_CLIENT_CREDENTIALS, Measure.SECRETS_OUTSIDE_CONFIG,
        Measure.READ_ONLY, Measure.LEAST_PRIVILEGE, Measure.RATE_LIMIT, Measure.INPUT_CHECKS,
    ),
)  # fmt: skip


def build(config: YouforceSourceConfig, context: BuildContext) -> Source:
    from connectors.hr.youforce.source import YouforceSource

    return YouforceSource(context.slot, config, context.org_units, today=context.today)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's Youforce, served by its emulator (connectors/hr/youforce/demo.py)."""
    from connectors.hr.youforce.demo import serve

    return serve(request)
