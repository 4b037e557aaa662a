"""ParnasSys's settings (``type = "parnassys"``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import SourceConfig


class ParnasSysSourceConfig(SourceConfig):
    """ParnasSys generic SOAP interface (GeneriekeService), read only, per BRIN and year."""

    type: Literal["parnassys"]
    url: str = Field(description="The SOAP endpoint of the generic interface.")
    supplier: str = Field(description="The supplier (leverancier) name agreed with Topicus.")
    key_env: str = Field(
        default="PROVISIONER_PARNASSYS_KEY", description="Environment variable with the key."
    )
    key_file: Path | None = Field(default=None, description="File with the supplier key.")
    secret_names: ClassVar[tuple[str, ...]] = ("key",)
    brins: list[str] = Field(description="The BRIN4 codes of the board's schools.")
    ca_file: Path | None = None
