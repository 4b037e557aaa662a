"""Magister as a connector: ``type = "magister"``."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.magister.config import MagisterSourceConfig
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source


def build(config: MagisterSourceConfig, context: BuildContext) -> Source:
    from connectors.sis.magister.source import MagisterSource

    return MagisterSource(context.slot, config, context.locations)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's Magister, served by its emulator (connectors/sis/magister/demo.py)."""
    from connectors.sis.magister.demo import serve

    return serve(request)
