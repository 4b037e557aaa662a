"""Every connector, one line each. The configuration's sections (``[sources.*]`` and
``[[targets]]``), ``provisioner config check`` and the demo's systems all come from this
list; adding a connector is its package plus one line here (docs/connectors.md)."""

from __future__ import annotations

from typing import Any

from connectors.ad import plugin as ad
from connectors.ad.config import ADTargetConfig
from connectors.connector import SourceConnector, TargetConnector
from connectors.consent import plugin as consent
from connectors.consent.config import ConsentCsvSourceConfig
from connectors.google import plugin as google
from connectors.google.config import GoogleTargetConfig
from connectors.hr import plugin as hr_csv
from connectors.hr.afas import plugin as afas
from connectors.hr.afas.config import AfasSourceConfig
from connectors.hr.config import HrCsvSourceConfig
from connectors.hr.youforce import plugin as youforce
from connectors.hr.youforce.config import YouforceSourceConfig
from connectors.interns import plugin as interns
from connectors.interns.config import InternsCsvSourceConfig
from connectors.m365 import plugin as m365
from connectors.m365.config import M365TargetConfig
from connectors.reference import plugin as reference
from connectors.reference.config import ReferenceTargetConfig
from connectors.sis import plugin as sis
from connectors.sis.config import OneRosterSourceConfig, SisStaffTargetConfig
from connectors.sis.magister import plugin as magister
from connectors.sis.magister.config import MagisterSourceConfig
from connectors.sis.parnassys import plugin as parnassys
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from connectors.sis.somtoday import plugin as somtoday
from connectors.sis.somtoday.config import SomtodaySourceConfig
from provisioner.errors import ConfigError

SOURCES: tuple[SourceConnector[Any], ...] = (
    SourceConnector("hr", HrCsvSourceConfig, hr_csv.build, processing=hr_csv.PROCESSING),
    SourceConnector("hr", AfasSourceConfig, afas.build, demo=afas.demo, processing=afas.PROCESSING),
    SourceConnector(
        "hr",
        YouforceSourceConfig,
        youforce.build,
        demo=youforce.demo,
        processing=youforce.PROCESSING,
    ),
    SourceConnector(
        "sis", OneRosterSourceConfig, sis.build_oneroster, processing=sis.ONEROSTER_PROCESSING
    ),
    SourceConnector(
        "sis",
        SomtodaySourceConfig,
        somtoday.build,
        demo=somtoday.demo,
        processing=somtoday.PROCESSING,
    ),
    SourceConnector(
        "sis",
        ParnasSysSourceConfig,
        parnassys.build,
        demo=parnassys.demo,
        processing=parnassys.PROCESSING,
    ),
    SourceConnector(
        "sis",
        MagisterSourceConfig,
        magister.build,
        demo=magister.demo,
        processing=magister.PROCESSING,
    ),
    SourceConnector(
        "consent", ConsentCsvSourceConfig, consent.build, processing=consent.PROCESSING
    ),
    SourceConnector(
        "interns", InternsCsvSourceConfig, interns.build, processing=interns.PROCESSING
    ),
)

TARGETS: tuple[TargetConnector[Any], ...] = (
    TargetConnector(
        ReferenceTargetConfig,
        reference.build,
        check=reference.check,
        processing=reference.PROCESSING,
    ),
    TargetConnector(M365TargetConfig, m365.build, check=m365.check, processing=m365.PROCESSING),
    TargetConnector(SisStaffTargetConfig, sis.build_staff, processing=sis.STAFF_PROCESSING),
    TargetConnector(ADTargetConfig, ad.build, check=ad.check, processing=ad.PROCESSING),
    TargetConnector(
        GoogleTargetConfig,
        google.build,
        check=google.check,
        demo=google.demo,
        processing=google.PROCESSING,
    ),
)


def source_connector(type_name: str) -> SourceConnector[Any]:
    """The source connector of ``type = "<type_name>"``."""
    for connector in SOURCES:
        if connector.type_name == type_name:
            return connector
    raise ConfigError(f"no source connector of type '{type_name}'")


def target_connector(type_name: str) -> TargetConnector[Any]:
    """The target connector of ``type = "<type_name>"``."""
    for connector in TARGETS:
        if connector.type_name == type_name:
            return connector
    raise ConfigError(f"no target connector of type '{type_name}'")
