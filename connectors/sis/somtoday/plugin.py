"""Somtoday Connect as a connector: ``type = "somtoday"`` (pupils, groups and consents)."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.somtoday.config import SomtodaySourceConfig
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

#: What the register says about Somtoday (art. 30): pupils, groups and photo consents, read only.
PROCESSING = ProcessingFacts(
    system="Somtoday",
    flow=Flow.READS,
    purposes=(Purpose.ACCOUNTS, Purpose.ACCESS_BY_ROLE, Purpose.PHOTO_CONSENT),
    data=(
        DataCategory.PUPIL_ID, DataCategory.ECK_ID, DataCategory.NAME, DataCategory.BIRTH_DATE,
        DataCategory.LOCATION, DataCategory.GROUP, DataCategory.ENROLMENT_DATES,
        DataCategory.TEACHER_GROUPS, DataCategory.PHOTO_CONSENT,
    ),
    people=(PersonCategory.PUPILS, PersonCategory.PARENTS, PersonCategory.STAFF),
    recipients=(Recipient.SUPPLIER, Recipient.CENTRAL_OFFICE),
    measures=(
        Measure.TLS, Measure.OAUTH_CLIENT_CREDENTIALS, Measure.SECRETS_OUTSIDE_CONFIG,
        Measure.READ_ONLY, Measure.INPUT_CHECKS,
    ),
)  # fmt: skip


def build(config: SomtodaySourceConfig, context: BuildContext) -> Source:
    from connectors.sis.somtoday.source import SomtodaySource

    return SomtodaySource(context.slot, config, context.locations, today=context.today)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's Somtoday, served by its emulator (connectors/sis/somtoday/demo.py)."""
    from connectors.sis.somtoday.demo import serve

    return serve(request)
