"""``[processing]``: what the register of processing activities (AVG art. 30) needs beyond the
connectors: the processor agreement of each connected system."""

from __future__ import annotations

from provisioner.config_base import Strict


class ProcessingConfig(Strict):
    """The register's settings and the processor agreements per connected system."""
