"""The reference directory as a connector: ``type = "reference"``."""

from __future__ import annotations

from connectors.reference.config import ReferenceTargetConfig
from provisioner.plugins import BuildContext
from provisioner.targets import Target


def build(config: ReferenceTargetConfig, context: BuildContext) -> Target:
    from connectors.reference.target import ReferenceTarget

    reference = ReferenceTarget(
        config.name,
        config.path,
        dry_run=context.dry_run,
        write_delay_ms=config.write_delay_ms,
        parallel=config.parallel,
    )
    context.close_later(reference.close)
    return reference


def check(config: ReferenceTargetConfig) -> list[str]:
    if config.path.parent.exists():
        return []
    return [f"targets.{config.name}.path: folder {config.path.parent} does not exist"]
