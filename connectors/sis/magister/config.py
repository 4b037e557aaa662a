"""Magister's settings (``type = "magister"``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import SourceConfig


class MagisterSourceConfig(SourceConfig):
    """Magister (Medius web service, ``/doc?Library=&Function=``), read only. The session
    token is ``<username>;<password>``; the password comes from the environment."""

    type: Literal["magister"]
    base_url: str = Field(description="e.g. https://<school>.swp.nl:8800")
    username: str
    password_env: str = Field(
        default="PROVISIONER_MAGISTER_PASSWORD", description="Environment variable: password."
    )
    password_file: Path | None = Field(default=None, description="File with the password.")
    secret_names: ClassVar[tuple[str, ...]] = ("password",)
    locations: dict[str, str] = Field(
        description="Administratieve eenheid (Omschrijving) -> BRIN6 of a configured location."
    )
    eck_id_field: str | None = Field(
        default=None, description="The Leerling element with the ECK iD, when the school's "
        "Magister exposes one; never generated.",
    )
    ca_file: Path | None = None
