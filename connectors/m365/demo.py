"""A Microsoft 365 target configured with ``emulator = {...}`` (the demo, trying things out):
the Graph emulator started for the run. A connector's ``demo`` module is the one place it may
start its emulator (the import contract in pyproject.toml), when asked."""

from __future__ import annotations

from contextlib import ExitStack

from connectors.m365.client import GraphSettings
from connectors.m365.config import GraphEmulatorConfig


def start_graph_emulator(
    config: GraphEmulatorConfig, settings: GraphSettings, stack: ExitStack
) -> GraphSettings:
    """Start the Graph emulator for one M365 target, stopped when ``stack`` closes; the
    target's ``settings`` pointed at it (its tenant, app registration, URLs and CA)."""
    from connectors.emulators.graph import EmulatorSettings, GraphEmulator

    # an emulator of this run only: its tokens are worth nothing to the next run
    emulator = GraphEmulator(
        EmulatorSettings(latency_ms=config.latency_ms),
        state_file=config.state_file,
    ).start()
    stack.callback(emulator.stop)
    return emulator.client_settings(settings)
