"""Emulated systems a configuration asks for: the only production-side door to the emulators.

Production code never imports :mod:`connectors.emulators` (the import contract in
pyproject.toml); a board's configuration may still ask for an emulated target (the demo,
trying things out), and :mod:`provisioner.app.wiring` then calls in here, lazily.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING

from connectors.emulators.graph import EmulatorSettings, GraphEmulator

if TYPE_CHECKING:
    from connectors.m365.client import GraphSettings
    from connectors.m365.config import GraphEmulatorConfig


def start_graph_emulator(
    config: GraphEmulatorConfig, settings: GraphSettings, stack: ExitStack
) -> GraphSettings:
    """Start the Graph emulator for one M365 target, stopped when ``stack`` closes; the
    target's ``settings`` pointed at it (its tenant, app registration, URLs and CA)."""
    # an emulator of this run only: its tokens are worth nothing to the next run
    emulator = GraphEmulator(
        EmulatorSettings(latency_ms=config.latency_ms),
        state_file=config.state_file,
    ).start()
    stack.callback(emulator.stop)
    return emulator.client_settings(settings)
