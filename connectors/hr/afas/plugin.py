"""AFAS Profit as a connector: ``type = "afas"`` (the demo serves it from its emulator)."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.hr.afas.config import AfasSourceConfig
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source


def build(config: AfasSourceConfig, context: BuildContext) -> Source:
    from connectors.hr.afas.source import AfasSource

    return AfasSource(context.slot, config, context.org_units)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's AFAS, served by its emulator (connectors/hr/afas/demo.py)."""
    from connectors.hr.afas.demo import serve

    return serve(request)
