"""The board's configuration: one TOML file, secrets from the environment or files.

Every setting is typed and explained here and in :mod:`provisioner.config_sections`;
``provisioner config check`` reports each problem with its place in the file. Paths in the
file are relative to the file's own folder. The sources' and targets' own settings belong to
their connectors (``connectors/registry.py``); the core knows their common fields only
(:class:`SourceConfig`, :class:`TargetConfig`).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from provisioner.accountability.interns_config import InternsConfig
from provisioner.accountability.processing_config import ProcessingConfig
from provisioner.accountability.retention_config import RetentionConfig
from provisioner.config_base import BRIN6, Strict, WithSecrets
from provisioner.config_sections import (
    AuditConfig,
    BotConfig,
    ConsentConfig,
    ConsentLocationConfig,
    ConsentMechanismName,
    MediumConfig,
    ReportConfig,
    ScheduleConfig,
    ServiceConfig,
    SlackConfig,
)
from provisioner.domain.models import Role
from provisioner.errors import ConfigError

# the sections and bases defined beside this module, importable from here as before
__all__ = [
    "BRIN6",
    "AuditConfig",
    "BotConfig",
    "ConsentConfig",
    "ConsentLocationConfig",
    "ConsentMechanismName",
    "MediumConfig",
    "ReportConfig",
    "ScheduleConfig",
    "ServiceConfig",
    "SlackConfig",
    "Strict",
    "WithSecrets",
]

BaseModelT = TypeVar("BaseModelT", bound=BaseModel)


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


class SourceConfig(WithSecrets):
    """The base of every ``[sources.*]`` section. Each connector's own model (in its package,
    listed in ``connectors/registry.py``) adds its settings; the core only knows the type."""

    type: str = Field(description="The connector, e.g. 'hr-csv', 'afas', 'somtoday'.")


#: Employee numbers: 1 to 12 ASCII digits (so no '*', '1e5' or Arabic-Indic digits).
EMPLOYEE_NUMBER_PATTERN = r"^[0-9]{1,12}$"
#: SIS ids: 1 to 100 ASCII letters, digits and . _ : - { } (UUIDs, GUIDs, stamnummers).
PUPIL_ID_PATTERN = r"^[A-Za-z0-9._:{}-]{1,100}$"


class SourcesConfig(Strict):
    hr: SourceConfig
    sis: SourceConfig | None = None
    consent: SourceConfig | None = None
    interns: SourceConfig | None = Field(
        default=None, description="The intern list (docs/accountability.md, 'Interns')."
    )
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


#: What kind of system a target is, for the sentences the core writes about it (the
#: offboarding plan): a directory, Microsoft 365, the staff accounts of a SIS, or AD.
TargetKind = Literal["directory", "m365", "sis_staff", "ad"]


class TargetConfig(WithSecrets):
    """The base of every ``[[targets]]`` entry. Each connector's own model (in its package,
    listed in ``connectors/registry.py``) adds its settings; the core reads only these."""

    type: str = Field(description="The connector, e.g. 'm365', 'ad', 'sis-staff'.")
    name: str
    include_pupils: bool = True
    licences: dict[str, list[str]] = Field(
        default_factory=dict, description="Licence names per role, e.g. teacher = ['A3']."
    )
    sis_roles: dict[str, str] = Field(default_factory=dict)
    kind: ClassVar[TargetKind] = "directory"

    @property
    def sis_system(self) -> str | None:
        """The SIS whose staff accounts this target keeps ('parnassys'...); None for others."""
        return None


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
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    interns: InternsConfig = Field(default_factory=InternsConfig)
    processing: ProcessingConfig = Field(default_factory=ProcessingConfig)
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


ConfigT = TypeVar("ConfigT", bound=Config)


def load_config(path: Path, model: type[ConfigT]) -> ConfigT:
    """Read and validate the configuration as ``model``; ConfigError lists every problem
    found. The connectors' sections are validated by the model the composition root builds
    from the registry (``provisioner.app.config.load_config``); the core's ``Config`` knows
    only their common fields."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}") from exc
    try:
        config = model.model_validate(raw, context={"base": path.parent.resolve()})
    except ValidationError as exc:
        raise ConfigError("\n".join(describe_validation_error(exc, path))) from exc
    return _resolve_paths(config, path.parent.resolve())


def _resolve_paths(config: ConfigT, base: Path) -> ConfigT:
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
