"""The consent CSV as a connector: ``type = "consent-csv"``."""

from __future__ import annotations

from connectors.consent.config import ConsentCsvSourceConfig
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source


def build(config: ConsentCsvSourceConfig, context: BuildContext) -> Source:
    from connectors.consent.source import ConsentCsvSource

    return ConsentCsvSource(context.slot, config)
