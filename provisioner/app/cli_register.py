"""``provisioner report register`` (docs/accountability.md)."""

from __future__ import annotations

from provisioner.app.cli_common import DEFAULT_CONFIG, ConfigOption, err


def register(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Not built yet."""
    err.print("provisioner report register is not built yet")
    raise SystemExit(3)
