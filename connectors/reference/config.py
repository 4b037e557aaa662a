"""The reference directory's settings (``type = "reference"``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from provisioner.config import TargetConfig


class ReferenceTargetConfig(TargetConfig):
    """The built-in reference directory: a local file-backed directory, used by the demo
    and the engine's tests until the Microsoft 365 and AD connectors are configured."""

    type: Literal["reference"]
    name: str
    path: Path
    include_pupils: bool = True
    write_delay_ms: int = Field(default=0, ge=0, description="Simulated latency per write.")
    parallel: int = Field(default=1, ge=1, le=32, description="Writes of one phase at once.")
    licences: dict[str, list[str]] = Field(
        default_factory=dict, description="Licence names per role, e.g. teacher = ['A3']."
    )
    sis_roles: dict[str, str] = Field(default_factory=dict)
