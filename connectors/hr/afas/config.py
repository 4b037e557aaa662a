"""AFAS Profit's settings (``type = "afas"``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import SourceConfig


class AfasSourceConfig(SourceConfig):
    """AFAS Profit over its REST GetConnectors (read only). The token is the AfasToken XML
    (``<token><version>1</version><data>...</data></token>``), from the environment."""

    type: Literal["afas"]
    base_url: str = Field(description="e.g. https://12345.rest.afas.online/profitrestservices")
    token_env: str = Field(
        default="PROVISIONER_AFAS_TOKEN", description="Environment variable with the token XML."
    )
    token_file: Path | None = Field(default=None, description="File with the token XML.")
    secret_names: ClassVar[tuple[str, ...]] = ("token",)
    users_connector: str = "T4E_HelloID_Users_v2"
    employments_connector: str = "T4E_HelloID_Employments_v2"
    page_size: int = Field(default=1000, ge=1, le=10000)
    ca_file: Path | None = None
