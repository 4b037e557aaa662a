"""The OneRoster CSV source (``oneroster-csv``) and the SIS staff target (``sis-staff``) as
connectors."""

from __future__ import annotations

from connectors.sis.config import OneRosterSourceConfig, SisStaffTargetConfig
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.somtoday.config import SomtodaySourceConfig
from provisioner.errors import ConfigError
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source
from provisioner.targets import Target


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
