"""``[interns]``: interns and student teachers (*stagiair*, *LIO*; seeds 000 and 003)."""

from __future__ import annotations

from provisioner.config_base import Strict


class InternsConfig(Strict):
    """How interns' time-boxed access is given and ended."""
