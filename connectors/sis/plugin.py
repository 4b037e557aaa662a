"""The OneRoster CSV source (``oneroster-csv``) and the SIS staff target (``sis-staff``) as
connectors."""

from __future__ import annotations

from connectors.sis.config import OneRosterSourceConfig, SisStaffTargetConfig
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.parnassys.config import ParnasSysSourceConfig
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
from provisioner.errors import ConfigError
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source
from provisioner.targets import Target

#: What the register says about a OneRoster export (art. 30): a folder on the board's server.
ONEROSTER_PROCESSING = ProcessingFacts(
    system="SIS export (OneRoster CSV)",
    flow=Flow.READS,
    purposes=(Purpose.ACCOUNTS, Purpose.ACCESS_BY_ROLE),
    data=(
        DataCategory.PUPIL_ID, DataCategory.ECK_ID, DataCategory.NAME, DataCategory.BIRTH_DATE,
        DataCategory.LOCATION, DataCategory.GROUP, DataCategory.ENROLMENT_DATES,
        DataCategory.TEACHER_GROUPS,
    ),
    people=(PersonCategory.PUPILS, PersonCategory.STAFF),
    recipients=(Recipient.SUPPLIER, Recipient.CENTRAL_OFFICE),
    measures=(Measure.LOCAL_FILES, Measure.READ_ONLY, Measure.INPUT_CHECKS),
)  # fmt: skip

#: What the register says about staff accounts in the SIS (art. 30): Somtoday's HRM web
#: service, Magister's UpdateMedewerker, or ParnasSys by hand (manual tasks).
STAFF_PROCESSING = ProcessingFacts(
    system="SIS staff accounts (Somtoday, Magister, ParnasSys)",
    flow=Flow.WRITES,
    purposes=(Purpose.SIS_STAFF_ACCOUNTS, Purpose.LEAVERS),
    data=(
        DataCategory.NAME, DataCategory.EMPLOYEE_NUMBER, DataCategory.ACCOUNT,
        DataCategory.INITIAL_PASSWORD, DataCategory.ROLE, DataCategory.LOCATION,
        DataCategory.END_OF_SERVICE,
    ),
    people=(PersonCategory.STAFF, PersonCategory.INTERNS),
    recipients=(Recipient.SUPPLIER, Recipient.SCHOOL_STAFF),
    measures=(
        Measure.TLS, Measure.SERVICE_ACCOUNT, Measure.SECRETS_OUTSIDE_CONFIG,
        Measure.MANUAL_TASKS, Measure.SAFETY_GATE, Measure.AUDIT_TRAIL,
    ),
)  # fmt: skip


def build_oneroster(config: OneRosterSourceConfig, context: BuildContext) -> Source:
    from connectors.sis.oneroster_csv import OneRosterCsvSource

    return OneRosterCsvSource(context.slot, config, context.locations, today=context.today)


def build_staff(config: SisStaffTargetConfig, context: BuildContext) -> Target:
    """Staff accounts in the SIS; it reads through the board's SIS source of that system."""
    source = context.config.sources.sis
    locations = context.locations
    domain = context.config.board.domain
    if config.system == "somtoday" and isinstance(source, SomtodaySourceConfig):
        from connectors.sis.somtoday.staff import SomtodayStaffTarget

        somtoday = SomtodayStaffTarget(
            config.name, config, source, locations, domain,
            dry_run=context.dry_run, today=context.today,
        )  # fmt: skip
        context.close_later(somtoday.close)
        return somtoday
    if config.system == "magister" and isinstance(source, MagisterSourceConfig):
        from connectors.sis.magister.staff import MagisterStaffTarget

        magister = MagisterStaffTarget(
            config.name, config, source, locations, domain,
            dry_run=context.dry_run, today=context.today,
        )  # fmt: skip
        context.close_later(magister.close)
        return magister
    if config.system == "parnassys" and isinstance(source, ParnasSysSourceConfig):
        from connectors.sis.parnassys.staff import ParnasSysStaffTarget

        return ParnasSysStaffTarget(
            config.name, config, source, locations, domain, context.task_desk(),
            dry_run=context.dry_run, today=context.today,
        )  # fmt: skip
    raise ConfigError(
        f"target {config.name}: system {config.system} needs sources.sis of type {config.system}"
    )
