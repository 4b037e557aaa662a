"""The settings of the OneRoster CSV source (``oneroster-csv``) and of the SIS staff target
(``sis-staff``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from provisioner.config import SourceConfig, TargetConfig, TargetKind


class OneRosterSourceConfig(SourceConfig):
    type: Literal["oneroster-csv"]
    path: Path = Field(description="Folder with orgs.csv, users.csv, classes.csv, enrollments.csv.")


class SisStaffTargetConfig(TargetConfig):
    """Staff accounts in the SIS follow HR (connectors/sis/staff.py). It reads through the
    board's SIS source (``sources.sis`` must be the same system) and writes: Somtoday through
    its HRM Webservice (``createPerson``), Magister through ``UpdateMedewerker``; ParnasSys
    has no write interface, so each step becomes a manual task for the location leader."""

    type: Literal["sis-staff"]
    name: str
    system: Literal["somtoday", "magister", "parnassys"]
    hrm_url: str | None = Field(
        default=None, description="Somtoday: https://<portal>-oop.somtoday.nl/services/HRMService"
    )
    hrm_username: str | None = Field(default=None, description="Somtoday: WS-Security user.")
    hrm_password_env: str = Field(
        default="PROVISIONER_SOMTODAY_HRM_PASSWORD", description="Somtoday: its password."
    )
    hrm_password_file: Path | None = Field(
        default=None, description="Somtoday: a file with its password."
    )
    secret_names: ClassVar[tuple[str, ...]] = ("hrm_password",)
    hrm_brin: str | None = Field(default=None, description="Somtoday: the Brinnummer header.")
    reden_uit_dienst: str = Field(
        default="Onbekend", description="Somtoday: redenUitDienst sent with an end date."
    )
    state_file: Path | None = Field(
        default=None, description="ParnasSys: where the changes waiting for a task are kept."
    )
    sis_roles: dict[str, str] = Field(
        default_factory=dict, description="Role -> the SIS function (functie) of that level."
    )
    include_pupils: bool = False
    licences: dict[str, list[str]] = Field(default_factory=dict)
    kind: ClassVar[TargetKind] = "sis_staff"

    @property
    def sis_system(self) -> str:
        return self.system
