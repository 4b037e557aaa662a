"""The state store's tables for interns (docs/accountability.md); imported by
:mod:`provisioner.store.tables`, so :data:`Base.metadata` holds them."""

from __future__ import annotations

from provisioner.store.tables import Base

__all__ = ["Base"]
