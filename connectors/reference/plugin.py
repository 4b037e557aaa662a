"""The reference directory as a connector: ``type = "reference"``."""

from __future__ import annotations

from connectors.reference.config import ReferenceTargetConfig
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
from provisioner.targets import Target

#: The reference directory: files on the board's own server, no supplier (art. 30).
PROCESSING = ProcessingFacts(
    system="Reference directory",
    flow=Flow.WRITES,
    purposes=(Purpose.ACCOUNTS, Purpose.LEAVERS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.NAME, DataCategory.ACCOUNT, DataCategory.EMPLOYEE_NUMBER,
        DataCategory.PUPIL_ID, DataCategory.ROLE, DataCategory.LOCATION,
        DataCategory.GROUP_MEMBERSHIP, DataCategory.LICENCES,
    ),
    people=(PersonCategory.STAFF, PersonCategory.PUPILS, PersonCategory.INTERNS),
    recipients=(Recipient.CENTRAL_OFFICE,),
    measures=(Measure.LOCAL_FILES, Measure.SAFETY_GATE, Measure.AUDIT_TRAIL),
    processor=ProcessorRole.BOARD,
)  # fmt: skip


def build(config: ReferenceTargetConfig, context: BuildContext) -> Target:
    from connectors.reference.target import ReferenceTarget

    reference = ReferenceTarget(
        config.name,
        config.path,
        dry_run=context.dry_run,
        write_delay_ms=config.write_delay_ms,
        parallel=config.parallel,
    )
    context.close_later(reference.close)
    return reference


def check(config: ReferenceTargetConfig) -> list[str]:
    if config.path.parent.exists():
        return []
    return [f"targets.{config.name}.path: folder {config.path.parent} does not exist"]
