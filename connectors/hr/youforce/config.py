"""Youforce's settings (``type = "youforce"``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import SourceConfig


class YouforceSourceConfig(SourceConfig):
    """Visma Raet Youforce IAM API (read only), OAuth2 client credentials."""

    type: Literal["youforce"]
    base_url: str = "https://api.youforce.com"
    token_url: str = Field(
        default="https://connect.visma.com/connect/token",
        description="Visma Connect (HR Core Beaufort); older HR Core Business tenants: "
        "https://api.youserve.nl/authentication/token.",
    )
    client_id: str
    tenant_id: str | None = Field(
        default=None,
        description="Visma Connect tenant id: sent as the token request's tenant_id form field.",
    )
    client_secret_env: str = Field(
        default="PROVISIONER_YOUFORCE_CLIENT_SECRET",
        description="Environment variable with the client secret.",
    )
    client_secret_file: Path | None = Field(default=None, description="File with the secret.")
    secret_names: ClassVar[tuple[str, ...]] = ("client_secret",)
    calls_per_minute: int = Field(default=100, ge=1, description="The API's documented limit.")
    ca_file: Path | None = None
