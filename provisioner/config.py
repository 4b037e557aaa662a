"""The board's configuration: one TOML file, secrets from the environment or files.

Every setting is typed and explained here; ``provisioner config check`` reports each problem
with its place in the file. Paths in the file are relative to the file's own folder.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from provisioner.domain.models import Role
from provisioner.errors import ConfigError
from provisioner.secrets import MissingSecret, SecretFileError, resolve

BaseModelT = TypeVar("BaseModelT", bound=BaseModel)
BRIN6 = re.compile(r"^[0-9]{2}[A-Z]{2}[0-9]{2}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WithSecrets(Strict):
    """A section with secrets. Each secret ``name`` in :attr:`secret_names` is set by
    ``<name>_env`` (an environment variable, or its ``_FILE`` twin) and ``<name>_file`` (a
    file; wins when it is set and not empty). The value is resolved once, when the section is
    validated (a relative file against the configuration's folder, given by
    :func:`load_config`), and kept as a ``SecretStr``: never in the file, never in a dump."""

    secret_names: ClassVar[tuple[str, ...]] = ()
    _secrets: dict[str, SecretStr] = PrivateAttr(default_factory=dict)
    _secret_problems: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _resolve_secrets(self, info: ValidationInfo) -> Self:
        context: Any = info.context
        base = context.get("base") if isinstance(context, dict) else None
        for name in self.secret_names:
            path: Path | None = getattr(self, f"{name}_file", None)
            if path is not None and isinstance(base, Path) and not path.is_absolute():
                path = base / path
            try:
                value = resolve(getattr(self, f"{name}_env"), path, file_setting=f"{name}_file")
            except SecretFileError as exc:
                self._secret_problems[name] = str(exc)
                continue
            if value is not None:
                self._secrets[name] = value
        return self

    def secret(self, name: str) -> SecretStr | None:
        """The resolved secret ``name``; None when it is not set."""
        return self._secrets.get(name)

    def secret_value(self, name: str) -> str | None:
        """The resolved secret ``name`` as the plain string a transport sends; None when unset."""
        value = self._secrets.get(name)
        return None if value is None else value.get_secret_value()

    def require_secret(self, name: str, section: str, what: str) -> SecretStr:
        """The resolved secret ``name``, else :class:`MissingSecret` naming the section (e.g.
        ``[sources.hr]``), the field and where the value was looked for."""
        value = self._secrets.get(name)
        if value is not None:
            return value
        if name in self._secret_problems:
            raise MissingSecret(f"{section} {name}: {self._secret_problems[name]}")
        variable = getattr(self, f"{name}_env")
        file_hint = f", or {name}_file" if f"{name}_file" in type(self).model_fields else ""
        raise MissingSecret(
            f"{section} {name}: the environment variable {variable} is not set: set it (or "
            f"{variable}_FILE){file_hint} to {what}"
        )


class BoardConfig(Strict):
    name: str = Field(description="The board's name, shown in reports.")
    domain: str = Field(description="Mail and sign-in domain, e.g. 'bestuur.nl'.")
    pupil_domain: str | None = Field(
        default=None, description="Separate domain for pupils, e.g. 'leerling.bestuur.nl'."
    )
    director_scope: Literal["board", "school"] = Field(
        default="board",
        description="'board': directors reach every location; 'school': only their own.",
    )
    language: Literal["nl", "en"] = Field(
        default="nl",
        description="The board's language: the morning report, manual tasks and notices to "
        "the central office. A chat reply is in the asker's language.",
    )


class LocationConfig(Strict):
    brin6: str = Field(description="BRIN4 + 2-digit vestiging, e.g. '12AB00'.")
    name: str
    hr_org_units: list[str] = Field(
        default_factory=list, description="HR organisational unit codes that belong here."
    )

    @field_validator("brin6")
    @classmethod
    def _brin6(cls, value: str) -> str:
        if not BRIN6.match(value):
            raise ValueError(f"'{value}' is not a BRIN6 (2 digits, 2 letters, 2 digits)")
        return value


class CsvColumns(Strict):
    """Header names in the HR CSV, for exports whose headers differ from ours."""

    employee_number: str = "employee_number"
    given_name: str = "given_name"
    prefix: str = "prefix"
    family_name: str = "family_name"
    org_unit: str = "org_unit"
    function_title: str = "function_title"
    start_date: str = "start_date"
    end_date: str = "end_date"


class HrCsvSourceConfig(Strict):
    type: Literal["hr-csv"]
    path: Path
    date_format: str = Field(default="%Y-%m-%d", description="strptime format, '%Y%m%d' etc.")
    open_end_dates: list[str] = Field(
        default_factory=lambda: ["9999-12-31", "99991231"],
        description="Values meaning 'no end date' besides an empty cell.",
    )
    delimiter: str | None = Field(default=None, description="',' or ';'; sniffed when unset.")
    columns: CsvColumns = Field(default_factory=CsvColumns)


class OneRosterSourceConfig(Strict):
    type: Literal["oneroster-csv"]
    path: Path = Field(description="Folder with orgs.csv, users.csv, classes.csv, enrollments.csv.")


class ConsentCsvSourceConfig(Strict):
    type: Literal["consent-csv"]
    path: Path


class AfasSourceConfig(WithSecrets):
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


class YouforceSourceConfig(WithSecrets):
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


class SomtodaySourceConfig(WithSecrets):
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


class ParnasSysSourceConfig(WithSecrets):
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


class MagisterSourceConfig(WithSecrets):
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


SourceConfig = Annotated[
    HrCsvSourceConfig
    | AfasSourceConfig
    | YouforceSourceConfig
    | SomtodaySourceConfig
    | ParnasSysSourceConfig
    | MagisterSourceConfig
    | OneRosterSourceConfig
    | ConsentCsvSourceConfig,
    Field(discriminator="type"),
]


#: Employee numbers: 1 to 12 ASCII digits (so no '*', '1e5' or Arabic-Indic digits).
EMPLOYEE_NUMBER_PATTERN = r"^[0-9]{1,12}$"
#: SIS ids: 1 to 100 ASCII letters, digits and . _ : - { } (UUIDs, GUIDs, stamnummers).
PUPIL_ID_PATTERN = r"^[A-Za-z0-9._:{}-]{1,100}$"


class SourcesConfig(Strict):
    hr: SourceConfig
    sis: SourceConfig | None = None
    consent: SourceConfig | None = None
    employee_number_pattern: str = Field(
        default=EMPLOYEE_NUMBER_PATTERN,
        description="Regular expression every employee number must match as a whole (ASCII: "
        "\\d is 0-9); a record with another is quarantined, and while it is there nobody "
        "missing from HR is treated as gone.",
    )
    pupil_id_pattern: str = Field(
        default=PUPIL_ID_PATTERN,
        description="Regular expression every SIS pupil id must match as a whole (ASCII); "
        "permissive by default, tighten it to your SIS's ids.",
    )

    @field_validator("employee_number_pattern", "pupil_id_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            re.compile(value, re.ASCII)
        except re.error as exc:
            raise ValueError(f"'{value}' is not a regular expression: {exc}") from exc
        return value


class NamingConfig(Strict):
    staff_template: str = Field(
        default="{given}.{prefix}{family}",
        description="Fields: {given} {initial} {prefix} {family} {id}; lower case, no accents.",
    )
    pupil_template: str = Field(default="{given}.{prefix}{family}")
    rename_on_name_change: bool = Field(
        default=False, description="Rename accounts when HR or the SIS changes a name."
    )

    @field_validator("staff_template", "pupil_template")
    @classmethod
    def _template(cls, value: str) -> str:
        from provisioner.policy.naming import check_template

        check_template(value)
        return value


class LifecycleConfig(Strict):
    grace_days: int = Field(default=30, ge=0, description="Days between disable and delete.")
    pupil_grace_days: int = Field(default=30, ge=0)
    days_before_start: int = Field(
        default=7, ge=0, description="Create accounts this many days before the first working day."
    )


class Threshold(Strict):
    """Stop a run that plans more than ``max_count`` operations of a type, or more than
    ``max_percent`` of what the target holds. Both are counted per population (staff, pupils)
    in each target: 20 of 60 staff disabled is 33% of the staff, however many pupils the
    target holds. The percentage applies only from ``percent_from`` operations up, so 1 leaver
    on a board of 2 does not stop a run."""

    max_count: int | None = Field(
        default=None, ge=0, description="At most this many of one population in one target."
    )
    max_percent: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="At most this share of the population's accounts (memberships) there.",
    )
    percent_from: int = Field(
        default=10, ge=0, description="The share is checked from this many operations up."
    )


def _default_thresholds() -> dict[str, Threshold]:
    # percent_from 3 for disables: a third of the staff stops any board from 7 staff up,
    # while the one or two leavers of a night pass however small the board is
    return {
        "disable_account": Threshold(max_count=50, max_percent=5, percent_from=3),
        "delete_account": Threshold(max_count=25, max_percent=2),
        "remove_member": Threshold(max_percent=10),
        "remove_licence": Threshold(max_percent=5),
    }


class SafetyConfig(Strict):
    source_max_shrink_percent: float = Field(
        default=20,
        ge=0,
        le=100,
        description=(
            "Stop the run when a source has this share fewer records than its largest good "
            "export of the last source_window_days days."
        ),
    )
    source_window_days: int = Field(
        default=14,
        ge=1,
        le=366,
        description=(
            "The source guard compares with the largest export of the applied (not dry, not "
            "stopped) runs of this many days, so small losses in a row add up to a stop. An "
            "approved shrink starts a new window; without a good run in the window, the last "
            "good run is the baseline."
        ),
    )
    thresholds: dict[str, Threshold] = Field(
        default_factory=_default_thresholds,
        description=(
            "Per operation type (disable_account, delete_account, remove_member, ...), counted "
            "per population (staff, pupils) in each target."
        ),
    )

    @field_validator("thresholds")
    @classmethod
    def _operation_names(cls, value: dict[str, Threshold]) -> dict[str, Threshold]:
        from provisioner.planning.models import OpType

        known = {op.value for op in OpType}
        unknown = sorted(set(value) - known)
        if unknown:
            names = ", ".join(sorted(known))
            raise ValueError(f"{', '.join(unknown)}: not an operation type; use one of {names}")
        return value


class ReferenceTargetConfig(Strict):
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


class GraphEmulatorConfig(Strict):
    """Run the built-in Graph emulator for this target (the demo, and trying things out)."""

    state_file: Path = Field(description="Where the emulated tenant is kept between runs.")
    latency_ms: float = Field(default=0, ge=0)


class M365TargetConfig(WithSecrets):
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


class SisStaffTargetConfig(WithSecrets):
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


class ADLocalSharesConfig(Strict):
    """The connector runs on the Samba file server itself and may add a share per location."""

    shares_file: Path = Field(
        description="File included from smb.conf ('include = ...' in a [global] section of "
        "its own, after the shares); the connector appends one section per new share."
    )
    share_root: Path = Field(description="Each new share's folder is made below this folder.")
    smb_conf: Path = Field(description="The server's smb.conf, for samba-tool and smbcontrol.")


class ADFileSharesConfig(Strict):
    """The school file shares: a share per location, a folder per access group (docs/ad.md)."""

    server: str = Field(description="The SMB file server's host name or address.")
    netbios_domain: str = Field(description="The domain's NetBIOS name, e.g. 'SCHOOL'.")
    user: str = Field(
        description="The service account's sAMAccountName for SMB (its password is the "
        "LDAP bind password)."
    )
    share_template: str = Field(
        default="{brin6}", description="A location's share name; {brin6} is its BRIN6."
    )
    local: ADLocalSharesConfig | None = Field(
        default=None,
        description="Set when the connector runs on the Samba server: missing shares are "
        "made. Unset: shares are made by hand (Windows file server), folders and ACLs by us.",
    )


class ADTargetConfig(WithSecrets):
    """On-premises Active Directory over LDAPS or StartTLS (always with certificate
    validation), plus the file shares. The service account's password is read from the
    environment variable ``bind_password_env`` or the file ``bind_password_file``, never
    from this file."""

    type: Literal["ad"]
    name: str
    host: str = Field(description="A domain controller's host name or address.")
    port: int | None = Field(default=None, description="Default 636 (LDAPS) or 389 (StartTLS).")
    start_tls: bool = Field(
        default=False, description="StartTLS on 389 instead of LDAPS on 636; TLS either way."
    )
    ca_file: Path | None = Field(
        default=None, description="CA certificate(s) that signed the DC's certificate (PEM)."
    )
    tls_server_name: str | None = Field(
        default=None,
        description="The host name in the DC's certificate, when 'host' is an address.",
    )
    base_dn: str = Field(description="The domain's naming context, e.g. 'DC=school,DC=test'.")
    managed_ou: str = Field(
        default="Provisioner",
        description="Name of the OU (directly under the domain) that holds the location OUs "
        "and the groups.",
    )
    bind_user: str = Field(description="The service account, as UPN ('svc@school.nl') or DN.")
    bind_password_env: str = Field(
        default="PROVISIONER_AD_PASSWORD",
        description="Environment variable with the service account's password.",
    )
    bind_password_file: Path | None = Field(
        default=None,
        description="File with the service account's password (instead of the variable).",
    )
    secret_names: ClassVar[tuple[str, ...]] = ("bind_password",)
    page_size: int = Field(default=500, ge=1, le=1000, description="Entries per search page.")
    include_pupils: bool = True
    authoritative_groups: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Key patterns (fnmatch) of the managed groups whose members the "
        "provisioner owns: a member added by hand is removed and reported. Groups that do "
        "not match keep members added by hand. E.g. ['class:*', 'loc:*:care'].",
    )
    file_shares: ADFileSharesConfig | None = Field(
        default=None, description="Manage the file shares too (a share per location)."
    )
    licences: dict[str, list[str]] = Field(
        default_factory=dict, description="Not used: Active Directory has no licences."
    )
    sis_roles: dict[str, str] = Field(default_factory=dict)


TargetConfig = Annotated[
    ReferenceTargetConfig | M365TargetConfig | SisStaffTargetConfig | ADTargetConfig,
    Field(discriminator="type"),
]


class SlackConfig(Strict):
    """The Slack app's credentials: each from an environment variable or a file (a mounted
    secret), never from this file. Unset: the Slack front end is off."""

    bot_token_env: str = "PROVISIONER_SLACK_BOT_TOKEN"  # xoxb-...
    bot_token_file: Path | None = None
    signing_secret_env: str = "PROVISIONER_SLACK_SIGNING_SECRET"
    signing_secret_file: Path | None = None
    app_token_env: str = Field(
        default="PROVISIONER_SLACK_APP_TOKEN", description="xapp-... token for Socket Mode."
    )
    app_token_file: Path | None = None
    api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API; a local fake in tests."
    )
    team_id: str | None = Field(
        default=None,
        description="The board's Slack workspace (team) id, T0123ABCD: requests from any "
        "other workspace are refused. Unset: the workspace the bot token belongs to.",
    )

    def secret(self, name: Literal["bot_token", "signing_secret", "app_token"]) -> str | None:
        """The credential from its environment variable, else its file; None when unset."""
        import os

        value = os.environ.get(getattr(self, f"{name}_env"))
        path: Path | None = getattr(self, f"{name}_file")
        if not value and path is not None and path.exists():
            value = path.read_text(encoding="utf-8").strip()
        return value or None


class BotConfig(Strict):
    """The chat bot (offboarding, photo consent, breach reports): who plays which part."""

    slack: SlackConfig = Field(default_factory=SlackConfig)
    central_office: list[str] = Field(
        default_factory=list, description="E-mail addresses of the Stafbureau (HR, ICT)."
    )
    privacy_officers: list[str] = Field(
        default_factory=list,
        description="E-mail addresses of the privacy officer (functionaris gegevensbescherming).",
    )
    manual_portals: list[str] = Field(
        default_factory=lambda: ["Schooldossier (Inspectie)", "Mijn Vensters"],
        description="Portals without an API: access is removed by hand by the central office.",
    )
    rate_limit_per_minute: int = Field(default=20, ge=1, description="Messages per user.")
    conversation_minutes: int = Field(
        default=30, ge=1, description="An unanswered conversation is forgotten after this."
    )
    confirm_minutes: int = Field(
        default=15,
        ge=1,
        description="A plan shown for confirmation (an offboarding) may be confirmed this "
        "long; after that it is shown afresh and must be confirmed again.",
    )
    offboarding_max_attempts: int = Field(
        default=3,
        ge=1,
        description="After this many failed runs of an offboarding the requester and the "
        "central office are told (with the incident id); it keeps being retried.",
    )
    languages: list[Literal["nl", "en"]] = Field(
        default_factory=lambda: ["nl", "en"],  # type: ignore[arg-type]
        description="The first is the default.",
    )


class MediumConfig(Strict):
    """One medium (middel) of the photo-consent catalogue; see docs/consent.md."""

    name: str = Field(description="Canonical name, as the SIS names it: 'website', 'social media'.")
    synonyms: list[str] = Field(
        default_factory=list, description="Other words for it, Dutch and English: 'Instagram'."
    )
    label_nl: str | None = Field(default=None, description="In a sentence: 'de nieuwsbrief'.")
    label_en: str | None = Field(default=None, description="In a sentence: 'the newsletter'.")
    needs_consent: bool = Field(
        default=True, description="False for use in class and the administration photo."
    )


#: How an answer was obtained (:class:`provisioner.domain.models.ConsentMechanism`).
ConsentMechanismName = Literal[
    "opt_in", "opt_out", "pre_ticked", "condition_of_enrolment", "unknown"
]


class ConsentLocationConfig(Strict):
    """A location's own consent settings; unset fields follow the board's."""

    asks_every_year: bool | None = None
    media: list[MediumConfig] | None = None
    default_mechanism: ConsentMechanismName | None = Field(
        default=None, description="How this location's form asked consent; unset: the board's."
    )


class ConsentConfig(Strict):
    """Photo and video consent (toestemming beeldmateriaal): the media and how long answers hold."""

    asks_every_year: bool = Field(
        default=False,
        description="True: only answers of the current school year count (the school asks again"
        " every year). False: an answer holds until it is withdrawn.",
    )
    school_year_start: str = Field(
        default="08-01", description="MM-DD: the first day of a school year (1 August)."
    )
    default_mechanism: ConsentMechanismName | None = Field(
        default=None,
        description="How the board's consent form asked, for answers whose source does not say"
        " (a consent CSV without the column, Somtoday): 'opt_in' when parents and pupils ticked"
        " 'yes' themselves on an empty form. Unset or 'unknown': such answers count as no"
        " (not_valid_consent); `config check` and the morning report say so. docs/consent.md.",
    )
    reminder_due: str = Field(
        default="10-01",
        description="MM-DD: by this day of the school year every location has recorded the"
        " yearly reminder that consent can be changed or withdrawn (`consent reminder`).",
    )
    media: list[MediumConfig] | None = Field(
        default=None, description="The media catalogue; unset: the built-in one."
    )
    locations: dict[str, ConsentLocationConfig] = Field(
        default_factory=dict, description="Per location (BRIN6): its own settings."
    )

    @field_validator("school_year_start", "reminder_due")
    @classmethod
    def _month_day(cls, value: str) -> str:
        import datetime as dt

        try:
            dt.date.fromisoformat(f"2000-{value}")
        except ValueError:
            raise ValueError(f"'{value}' is not a month and day like 08-01") from None
        return value

    @model_validator(mode="after")
    def _catalogues(self) -> ConsentConfig:
        from provisioner.privacy.media import catalogue_from

        for brin6, location in self.locations.items():
            if not BRIN6.match(brin6):
                raise ValueError(f"consent.locations: '{brin6}' is not a BRIN6")
            catalogue_from(location.media)
        catalogue_from(self.media)  # raises on a name listed twice or a synonym of two media
        return self


class ScheduleConfig(Strict):
    """When ``provisioner serve`` runs the nightly sync (nachtelijke synchronisatie)."""

    sync: str = Field(
        default="0 5 * * *",
        description="Cron expression (minute hour day month weekday) in ``timezone``; "
        "'0 5 * * *': every day at 05:00, before the school day and outside the DST hours.",
    )
    timezone: str = Field(default="Europe/Amsterdam", description="IANA zone of ``sync``.")
    catch_up_hours: float = Field(
        default=18,
        ge=0,
        description="A scheduled run missed (the server was down) is run at start when it is "
        "at most this many hours late; an older one waits for the next night.",
    )
    enabled: bool = Field(default=True, description="False: serve never syncs by itself.")

    @field_validator("sync")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"'{value}' is not a cron expression of 5 fields, e.g. '0 5 * * *'")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone, e.g. 'Europe/Amsterdam'") from None
        return value


class ReportConfig(WithSecrets):
    """The morning report (ochtendrapport) after each nightly run: counts and run ids only.
    Slack uses the bot's token and API URL (``[bot.slack]``); mail goes through SMTP."""

    slack_channel: str | None = Field(
        default=None, description="Channel id (C0123...) the report is posted to; the bot "
        "must be a member. Unset: no Slack report.",
    )
    email_to: list[str] = Field(default_factory=list, description="Addresses; empty: no mail.")
    email_from: str = Field(default="provisioner@localhost", description="The sender address.")
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535, description="587 with STARTTLS.")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="starttls", description="'starttls' (port 587), 'tls' (465) or 'none' (a relay)."
    )
    smtp_username: str | None = None
    smtp_password_env: str = Field(
        default="PROVISIONER_SMTP_PASSWORD",
        description="Environment variable (or its _FILE twin) with the SMTP password.",
    )
    smtp_password_file: Path | None = Field(default=None, description="File with it.")
    secret_names: ClassVar[tuple[str, ...]] = ("smtp_password",)
    deadlines_within_days: int = Field(
        default=7, ge=0, description="Data-breach deadlines due within this many days are listed."
    )


class ServiceConfig(Strict):
    """``provisioner serve``: the HTTP endpoint for health, metrics and Slack."""

    host: str = Field(default="0.0.0.0", description="Address to listen on.")
    port: int = Field(default=8080, ge=0, le=65535, description="0: any free port.")
    poll_seconds: float = Field(
        default=20, gt=0, le=300, description="How often the schedule is looked at."
    )
    tick_seconds: float = Field(
        default=60, gt=0, le=3600, description="How often the bot's scheduled steps run."
    )


class AuditConfig(Strict):
    """Off-the-box copies of the audit chain head (anchors): each finished run's sequence
    number and hash, checked by ``provisioner audit verify --anchors``. The morning report
    carries them too; these are for storage the database's administrators cannot rewrite."""

    anchor_file: Path | None = Field(
        default=None,
        description="A file anchors are appended to, one JSON line each (never rewritten); "
        "best on other storage (a share of another team, a WORM volume). Unset: none.",
    )
    anchor_url: str | None = Field(
        default=None,
        description="An http(s) URL each anchor is POSTed to as JSON (a log collector "
        "outside this server). Unset: none. A failure is reported in the run, never fatal.",
    )

    @field_validator("anchor_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(f"'{value}' is no http(s) URL")
        return value


class Config(Strict):
    board: BoardConfig
    locations: list[LocationConfig]
    roles: dict[str, Role] = Field(
        description="HR function title -> role. Titles match ignoring case, accents and spaces."
    )
    sources: SourcesConfig
    targets: list[TargetConfig] = Field(default_factory=list)
    naming: NamingConfig = Field(default_factory=NamingConfig)
    lifecycle: LifecycleConfig = Field(default_factory=LifecycleConfig)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    bot: BotConfig = Field(default_factory=BotConfig)
    consent: ConsentConfig = Field(default_factory=ConsentConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; PROVISIONER_DATABASE_URL overrides it."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        seen: dict[str, str] = {}
        for location in self.locations:
            if location.brin6 in seen:
                raise ValueError(f"location {location.brin6} is listed twice")
            seen[location.brin6] = location.name
        units: dict[str, str] = {}
        for location in self.locations:
            for unit in location.hr_org_units:
                if unit in units:
                    raise ValueError(
                        f"HR org unit '{unit}' maps to both {units[unit]} and {location.brin6}"
                    )
                units[unit] = location.brin6
        names = [target.name for target in self.targets]
        if len(names) != len(set(names)):
            raise ValueError("two targets have the same name")
        return self

    @property
    def org_units(self) -> dict[str, str]:
        """HR org unit -> BRIN6."""
        return {unit: loc.brin6 for loc in self.locations for unit in loc.hr_org_units}


class Secrets(BaseSettings):
    """Secrets and per-machine settings come from the environment, never from the file."""

    model_config = SettingsConfigDict(env_prefix="PROVISIONER_", extra="ignore")

    database_url: str | None = None


def normalise_title(title: str) -> str:
    """'  Intern  Begeleider ' and 'intern begeleider' match; so do 'Zorgcoördinator' and
    'Zorgcoordinator'."""
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


def describe_validation_error(error: ValidationError, path: Path) -> list[str]:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(top level)"
        problems.append(f"{path.name}: {where}: {item['msg']}")
    return problems


def load_config(path: Path) -> Config:
    """Read and validate the configuration; ConfigError lists every problem found."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}") from exc
    try:
        config = Config.model_validate(raw, context={"base": path.parent.resolve()})
    except ValidationError as exc:
        raise ConfigError("\n".join(describe_validation_error(exc, path))) from exc
    return _resolve_paths(config, path.parent.resolve())


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else (base / p)

    targets = [_resolve_model_paths(t, resolve) for t in config.targets]
    return config.model_copy(
        update={
            "sources": _resolve_model_paths(config.sources, resolve),
            "targets": targets,
            "bot": _resolve_model_paths(config.bot, resolve),
            "audit": _resolve_model_paths(config.audit, resolve),
        }
    )


def _resolve_model_paths(model: BaseModelT, resolve: Callable[[Path], Path]) -> BaseModelT:
    """Every Path field of a model (and of models inside it) made relative to the file."""
    update: dict[str, object] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, Path):
            update[name] = resolve(value)
        elif isinstance(value, BaseModel):
            update[name] = _resolve_model_paths(value, resolve)
    return model.model_copy(update=update)


def database_url(config: Config, base: Path) -> str:
    """The database to use: environment first, then the file, then a SQLite file beside it."""
    from provisioner.secrets import read_secret, with_database_password

    from_env = Secrets().database_url or read_secret("PROVISIONER_DATABASE_URL")
    if from_env:
        return with_database_password(from_env)
    if config.database_url:
        return with_database_password(config.database_url)
    return f"sqlite:///{(base / 'provisioner.db').resolve()}"
