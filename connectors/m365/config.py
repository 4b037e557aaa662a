"""Microsoft 365's settings (``type = "m365"``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import Strict, TargetConfig, TargetKind


class GraphEmulatorConfig(Strict):
    """Run the built-in Graph emulator for this target (the demo, and trying things out)."""

    state_file: Path = Field(description="Where the emulated tenant is kept between runs.")
    latency_ms: float = Field(default=0, ge=0)


class M365TargetConfig(TargetConfig):
    """Microsoft 365 / Entra ID over Microsoft Graph (app-only, client credentials).

    The client secret is read from the environment variable named in ``client_secret_env``
    or the file ``client_secret_file`` (never from this file); or use a certificate.
    """

    type: Literal["m365"]
    name: str
    tenant: str = Field(description="Tenant id or domain, e.g. 'bestuur.onmicrosoft.com'.")
    client_id: str = Field(description="The app registration's application (client) id.")
    client_secret_env: str = Field(
        default="PROVISIONER_M365_CLIENT_SECRET",
        description="Environment variable that holds the client secret.",
    )
    client_secret_file: Path | None = Field(default=None, description="File with the secret.")
    secret_names: ClassVar[tuple[str, ...]] = ("client_secret",)
    certificate_path: Path | None = Field(
        default=None, description="PEM with private key and certificate, instead of a secret."
    )
    authority_host: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com/v1.0"
    ca_file: Path | None = Field(
        default=None, description="Extra CA to trust (a proxy, the emulator)."
    )
    usage_location: str = Field(default="NL", description="Needed before licences can be assigned.")
    delta_cache: Path | None = Field(
        default=None,
        description="File for delta links and the last read tenant state: a nightly run with "
        "no changes then reads only what changed.",
    )
    include_pupils: bool = True
    sharepoint: bool = Field(
        default=False,
        description="A SharePoint site per location with a document library per access group.",
    )
    licences: dict[str, list[str]] = Field(
        default_factory=dict, description="Licence SKU part numbers per role."
    )
    sis_roles: dict[str, str] = Field(default_factory=dict)
    emulator: GraphEmulatorConfig | None = None
    kind: ClassVar[TargetKind] = "m365"
