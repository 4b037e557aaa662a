"""``[retention]``: the board's retention table (DOMAIN.md, seed 002 §10.3, 004, 000, 003)."""

from __future__ import annotations

from provisioner.config_base import Strict


class RetentionConfig(Strict):
    """How long each category of data is kept, and what starts its clock."""
