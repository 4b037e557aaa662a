"""The demo's optional targets: ``provisioner demo --target google`` adds a target served by
its connector's emulator (started when the run builds the target, its state kept in the demo
folder), next to the reference directory and Microsoft 365."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from connectors.google.config import GoogleTargetConfig
from provisioner.config import Config, TargetConfig

#: The Education Plus (staff) SKU every staff role gets in the demo's Google Workspace.
GOOGLE_STAFF_SKU = ["1010310009"]


def google_target(config: Config, folder: Path) -> TargetConfig:
    """Google Workspace for Education on the Google emulator, with shared drives and licences."""
    staff_roles = ("director", "location_leader", "care_coordinator", "teacher", "support_staff")
    return GoogleTargetConfig.model_validate(
        {
            "type": "google",
            "name": "google",
            "admin_subject": f"beheer@{config.board.domain}",
            "include_pupils": True,
            "shared_drives": True,
            "licences": {role: GOOGLE_STAFF_SKU for role in staff_roles},
            "emulator": {"state_file": (folder / "google-workspace.json").resolve()},
        }
    )


#: Each optional target of the demo and what makes its configuration.
DEMO_TARGETS: dict[str, Callable[[Config, Path], TargetConfig]] = {"google": google_target}


def add_targets(config: Config, folder: Path, names: Sequence[str]) -> Config:
    """``config`` with the demo targets ``names`` added (each once)."""
    present = {target.name for target in config.targets}
    extra = [DEMO_TARGETS[name](config, folder) for name in dict.fromkeys(names)]
    targets = [*config.targets, *(t for t in extra if t.name not in present)]
    return config.model_copy(update={"targets": targets})
