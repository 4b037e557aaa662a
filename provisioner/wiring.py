"""From configuration to the concrete sources and targets of one board."""

from __future__ import annotations

from typing import Any

from connectors.hr.csv_source import HrCsvSource
from connectors.reference.target import ReferenceTarget
from connectors.sis.consent_csv import ConsentCsvSource
from connectors.sis.oneroster_csv import OneRosterCsvSource
from provisioner.config import (
    Config,
    ConsentCsvSourceConfig,
    HrCsvSourceConfig,
    OneRosterSourceConfig,
)
from provisioner.sources.models import Source
from provisioner.targets import Target


def build_sources(config: Config) -> list[Source]:
    sources: list[Source] = []
    for slot in ("hr", "sis", "consent"):
        source = getattr(config.sources, slot)
        if isinstance(source, HrCsvSourceConfig):
            sources.append(HrCsvSource(slot, source, config.org_units))
        elif isinstance(source, OneRosterSourceConfig):
            sources.append(
                OneRosterCsvSource(slot, source, {loc.brin6 for loc in config.locations})
            )
        elif isinstance(source, ConsentCsvSourceConfig):
            sources.append(ConsentCsvSource(slot, source))
    return sources


def build_targets(config: Config, *, dry_run: bool) -> list[Target]:
    targets: list[Target] = []
    for target in config.targets:
        targets.append(
            ReferenceTarget(
                target.name, target.path, dry_run=dry_run, write_delay_ms=target.write_delay_ms
            )
        )
    return targets


def target_settings(config: Config) -> dict[str, dict[str, Any]]:
    return {
        t.name: {
            "include_pupils": t.include_pupils,
            "licences": t.licences,
            "sis_roles": t.sis_roles,
        }
        for t in config.targets
    }
