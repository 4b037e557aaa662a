"""ParnasSys as a connector: ``type = "parnassys"`` (reads the school year of the run's day)."""

from __future__ import annotations

from connectors.connector import DemoRequest, DemoSystem
from connectors.sis.parnassys.config import ParnasSysSourceConfig
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source


def build(config: ParnasSysSourceConfig, context: BuildContext) -> Source:
    from connectors.sis.parnassys.source import ParnasSysSource

    return ParnasSysSource(context.slot, config, context.locations, today=context.today)


def demo(request: DemoRequest) -> DemoSystem:
    """The demo's ParnasSys, served by its emulator (connectors/sis/parnassys/demo.py)."""
    from connectors.sis.parnassys.demo import serve

    return serve(request)
