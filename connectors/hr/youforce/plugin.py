"""Youforce as a connector: ``type = "youforce"`` (reads each person's version of the day)."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.hr.youforce.config import YouforceSourceConfig
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source


def build(config: YouforceSourceConfig, context: BuildContext) -> Source:
    from connectors.hr.youforce.source import YouforceSource

    return YouforceSource(context.slot, config, context.org_units, today=context.today)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's Youforce, served by its emulator (connectors/hr/youforce/demo.py)."""
    from connectors.hr.youforce.demo import serve

    return serve(request)
