"""Somtoday Connect as a connector: ``type = "somtoday"`` (pupils, groups and consents)."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.somtoday.config import SomtodaySourceConfig
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source


def build(config: SomtodaySourceConfig, context: BuildContext) -> Source:
    from connectors.sis.somtoday.source import SomtodaySource

    return SomtodaySource(context.slot, config, context.locations, today=context.today)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's Somtoday, served by its emulator (connectors/sis/somtoday/demo.py)."""
    from connectors.sis.somtoday.demo import serve

    return serve(request)
