"""Somtoday Connect's settings (``type = "somtoday"``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import SourceConfig


class SomtodaySourceConfig(SourceConfig):
    """Somtoday Connect (REST, OAuth2 client credentials per organisation), read only."""

    type: Literal["somtoday"]
    api_url: str = "https://api.somtoday.nl/rest/v1"
    token_url: str = "https://inloggen.somtoday.nl/oauth2/token"
    organisation: str = Field(description="The organisation (instelling) UUID.")
    client_id: str
    client_secret_env: str = Field(
        default="PROVISIONER_SOMTODAY_CLIENT_SECRET",
        description="Environment variable with the client secret.",
    )
    client_secret_file: Path | None = Field(default=None, description="File with the secret.")
    secret_names: ClassVar[tuple[str, ...]] = ("client_secret",)
    consent_category: str = Field(
        default="Toestemmingen", description="The categorie of the consent field values."
    )
    ca_file: Path | None = None
