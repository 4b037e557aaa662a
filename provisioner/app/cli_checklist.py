"""``provisioner report checklist`` (docs/accountability.md)."""

from __future__ import annotations

from provisioner.app.cli_common import DEFAULT_CONFIG, ConfigOption, err


def checklist(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Not built yet."""
    err.print("provisioner report checklist is not built yet")
    raise SystemExit(3)
