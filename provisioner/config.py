"""The board's configuration: one TOML file, secrets from the environment.

Every setting is typed and explained here; ``provisioner config check`` reports each problem
with its place in the file. Paths in the file are relative to the file's own folder.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from provisioner.domain.models import Role
from provisioner.errors import ConfigError

BaseModelT = TypeVar("BaseModelT", bound=BaseModel)
BRIN6 = re.compile(r"^[0-9]{2}[A-Z]{2}[0-9]{2}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class AfasSourceConfig(Strict):
    """AFAS Profit over its REST GetConnectors (read only). The token is the AfasToken XML
    (``<token><version>1</version><data>...</data></token>``), from the environment."""

    type: Literal["afas"]
    base_url: str = Field(description="e.g. https://12345.rest.afas.online/profitrestservices")
    token_env: str = Field(
        default="PROVISIONER_AFAS_TOKEN", description="Environment variable with the token XML."
    )
    users_connector: str = "T4E_HelloID_Users_v2"
    employments_connector: str = "T4E_HelloID_Employments_v2"
    page_size: int = Field(default=1000, ge=1, le=10000)
    ca_file: Path | None = None


class YouforceSourceConfig(Strict):
    """Visma Raet Youforce IAM API (read only), OAuth2 client credentials."""

    type: Literal["youforce"]
    base_url: str = "https://api.youforce.com"
    token_url: str = "https://api.youforce.com/authentication/token"
    client_id: str
    tenant_id: str | None = Field(
        default=None, description="Visma Connect tenant id, sent with the token request."
    )
    client_secret_env: str = Field(
        default="PROVISIONER_YOUFORCE_CLIENT_SECRET",
        description="Environment variable with the client secret.",
    )
    calls_per_minute: int = Field(default=100, ge=1, description="The API's documented limit.")
    ca_file: Path | None = None


class SomtodaySourceConfig(Strict):
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
    consent_category: str = Field(
        default="Toestemmingen", description="Consent fields are the velden of this category."
    )
    ca_file: Path | None = None


class ParnasSysSourceConfig(Strict):
    """ParnasSys generic SOAP interface (GeneriekeService), read only, per BRIN and year."""

    type: Literal["parnassys"]
    url: str = Field(description="The SOAP endpoint of the generic interface.")
    supplier: str = Field(description="The supplier (leverancier) name agreed with Topicus.")
    key_env: str = Field(
        default="PROVISIONER_PARNASSYS_KEY", description="Environment variable with the key."
    )
    brins: list[str] = Field(description="The BRIN4 codes of the board's schools.")
    ca_file: Path | None = None


SourceConfig = Annotated[
    HrCsvSourceConfig
    | AfasSourceConfig
    | YouforceSourceConfig
    | SomtodaySourceConfig
    | ParnasSysSourceConfig
    | OneRosterSourceConfig
    | ConsentCsvSourceConfig,
    Field(discriminator="type"),
]


class SourcesConfig(Strict):
    hr: SourceConfig
    sis: SourceConfig | None = None
    consent: SourceConfig | None = None


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
    ``max_percent`` of what the target holds. The percentage applies only from
    ``percent_from`` operations up, so 1 leaver on a board of 2 does not stop a run."""

    max_count: int | None = Field(default=None, ge=0)
    max_percent: float | None = Field(default=None, ge=0, le=100)
    percent_from: int = Field(default=10, ge=0)


def _default_thresholds() -> dict[str, Threshold]:
    return {
        "disable_account": Threshold(max_count=50, max_percent=5),
        "delete_account": Threshold(max_count=25, max_percent=2),
        "remove_member": Threshold(max_percent=10),
        "remove_licence": Threshold(max_percent=5),
    }


class SafetyConfig(Strict):
    source_max_shrink_percent: float = Field(
        default=20,
        ge=0,
        le=100,
        description="Stop the run when a source has this share fewer records than last good run.",
    )
    thresholds: dict[str, Threshold] = Field(
        default_factory=_default_thresholds,
        description="Per operation type (disable_account, delete_account, remove_member, ...).",
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


class M365TargetConfig(Strict):
    """Microsoft 365 / Entra ID over Microsoft Graph (app-only, client credentials).

    The client secret is read from the environment variable named in ``client_secret_env``
    (never from this file); or use a certificate.
    """

    type: Literal["m365"]
    name: str
    tenant: str = Field(description="Tenant id or domain, e.g. 'bestuur.onmicrosoft.com'.")
    client_id: str = Field(description="The app registration's application (client) id.")
    client_secret_env: str = Field(
        default="PROVISIONER_M365_CLIENT_SECRET",
        description="Environment variable that holds the client secret.",
    )
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


TargetConfig = Annotated[ReferenceTargetConfig | M365TargetConfig, Field(discriminator="type")]


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
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError("\n".join(describe_validation_error(exc, path))) from exc
    return _resolve_paths(config, path.parent.resolve())


def _resolve_paths(config: Config, base: Path) -> Config:
    def resolve(p: Path) -> Path:
        return p if p.is_absolute() else (base / p)

    targets = [_resolve_model_paths(t, resolve) for t in config.targets]
    return config.model_copy(
        update={"sources": _resolve_model_paths(config.sources, resolve), "targets": targets}
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
    from_env = Secrets().database_url
    if from_env:
        return from_env
    if config.database_url:
        return config.database_url
    return f"sqlite:///{(base / 'provisioner.db').resolve()}"
