"""The demo's optional targets: ``provisioner demo --target <type>`` adds every target whose
registry line has a ``demo`` hook (``connectors/registry.py``), served by its connector's
emulator (started when the run builds the target, its state kept in the demo folder), next to
the reference directory and Microsoft 365."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from connectors.connector import TargetDemoHook
from connectors.registry import TARGETS
from provisioner.config import Config

#: Each optional target of the demo (its ``type``) and the hook that makes its configuration.
DEMO_TARGETS: dict[str, TargetDemoHook] = {
    connector.type_name: connector.demo for connector in TARGETS if connector.demo is not None
}


def add_targets(config: Config, folder: Path, names: Sequence[str]) -> Config:
    """``config`` with the demo targets ``names`` added (each once)."""
    present = {target.name for target in config.targets}
    extra = [DEMO_TARGETS[name](config, folder) for name in dict.fromkeys(names)]
    targets = [*config.targets, *(t for t in extra if t.name not in present)]
    return config.model_copy(update={"targets": targets})
