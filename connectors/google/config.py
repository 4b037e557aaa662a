"""Google Workspace for Education's settings (``type = "google"``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import Strict, TargetConfig, TargetKind

#: Google Workspace for Education's product id in the Enterprise License Manager.
EDUCATION_PRODUCT = "101031"


class GoogleEmulatorConfig(Strict):
    """Run the built-in Google emulator for this target (the demo, and trying things out)."""

    state_file: Path = Field(description="Where the emulated Workspace is kept between runs.")
    latency_ms: float = Field(default=0, ge=0)


class GoogleTargetConfig(TargetConfig):
    """Google Workspace for Education over the Admin SDK Directory API, the Drive API and the
    Enterprise License Manager, as a service account with domain-wide delegation that acts
    as ``admin_subject``. The service account's JSON key is read from the environment
    variable named in ``service_account_key_env`` or the file ``service_account_key_file``
    (never from this file)."""

    type: Literal["google"]
    name: str
    admin_subject: str = Field(
        description="The super admin (e-mail) the service account acts as (delegation)."
    )
    customer: str = Field(default="my_customer", description="The customer id.")
    service_account_key_env: str = Field(
        default="PROVISIONER_GOOGLE_SERVICE_ACCOUNT_KEY",
        description="Environment variable that holds the service account's JSON key.",
    )
    service_account_key_file: Path | None = Field(
        default=None, description="File with the service account's JSON key."
    )
    secret_names: ClassVar[tuple[str, ...]] = ("service_account_key",)
    root_url: str | None = Field(
        default=None, description="The APIs' root URL; unset: Google's own (a proxy, a test)."
    )
    ou_root: str = Field(
        default="/Scholen", description="The organisational unit all managed units go under."
    )
    staff_ou: str = Field(default="Medewerkers", description="A location's unit for staff.")
    pupils_ou: str = Field(default="Leerlingen", description="A location's unit for pupils.")
    pupil_ou_per_group: bool = Field(
        default=True, description="Pupils in a unit per class under their location's."
    )
    group_domain: str | None = Field(
        default=None, description="Domain of the managed groups' addresses (board.domain)."
    )
    shared_drives: bool = Field(
        default=False,
        description="A shared drive per location with a folder per access group, shared "
        "with exactly that group.",
    )
    licence_products: dict[str, str] = Field(
        default_factory=dict,
        description=f"Product id per SKU id in licences (default {EDUCATION_PRODUCT}, "
        "Google Workspace for Education).",
    )
    directory_quota_per_minute: int = Field(
        default=2400, ge=1, description="The project's Directory API quota per user per minute."
    )
    drive_quota_per_minute: int = Field(default=12000, ge=1)
    parallel: int = Field(default=4, ge=1, le=16, description="Operations in flight at once.")
    include_pupils: bool = True
    licences: dict[str, list[str]] = Field(
        default_factory=dict, description="Education SKU ids per role (Enterprise License Manager)."
    )
    sis_roles: dict[str, str] = Field(default_factory=dict)
    emulator: GoogleEmulatorConfig | None = None
    kind: ClassVar[TargetKind] = "directory"
