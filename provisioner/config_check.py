"""``provisioner config check``: every problem in the configuration and its inputs, in words."""

from __future__ import annotations

import os
from pathlib import Path

from provisioner.config import (
    ADTargetConfig,
    M365TargetConfig,
    ReferenceTargetConfig,
    load_config,
)
from provisioner.domain.models import Role
from provisioner.errors import ConfigError, ConnectorError


def check(path: Path) -> list[str]:
    """All problems found; an empty list means the board can be synced."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        return str(exc).splitlines()

    problems: list[str] = []
    roles_used = {role.value for role in config.roles.values()}
    valid_roles = {role.value for role in Role}
    for target in config.targets:
        for role in list(target.licences) + list(target.sis_roles):
            if role not in valid_roles:
                problems.append(f"targets.{target.name}: '{role}' is not a role")
        if isinstance(target, ReferenceTargetConfig) and not target.path.parent.exists():
            problems.append(
                f"targets.{target.name}.path: folder {target.path.parent} does not exist"
            )
        if isinstance(target, M365TargetConfig) and target.emulator is None:
            if target.certificate_path is None and not os.environ.get(target.client_secret_env):
                problems.append(
                    f"targets.{target.name}: no client secret: set the environment variable "
                    f"{target.client_secret_env}, or configure certificate_path"
                )
            elif target.certificate_path is not None and not target.certificate_path.exists():
                problems.append(
                    f"targets.{target.name}.certificate_path: "
                    f"{target.certificate_path} does not exist"
                )
        if isinstance(target, ADTargetConfig):
            problems.extend(_ad_problems(target))
    if "director" not in roles_used:
        problems.append("roles: no HR function title maps to 'director'")
    if not config.locations:
        problems.append("locations: no locations configured")

    from provisioner.wiring import build_sources

    for source in build_sources(config):
        try:
            batch = source.read()
        except (ConfigError, ConnectorError) as exc:
            problems.append(f"sources.{source.name}: {exc}")
            continue
        for problem in batch.problems[:50]:
            problems.append(f"sources.{source.name}: {problem.describe()}")
        if len(batch.problems) > 50:
            problems.append(
                f"sources.{source.name}: ... and {len(batch.problems) - 50} more records"
            )
    return problems


def _ad_problems(target: ADTargetConfig) -> list[str]:
    """The AD target's secret and CA file, the way connectors/ad/build.py reads them: the
    password file when it has a password, else the environment variable (never shown)."""
    place = f"targets.{target.name}"
    problems = []
    from_file = False
    if target.bind_password_file is not None:
        path = target.bind_password_file
        try:
            from_file = bool(path.read_text(encoding="utf-8").strip())
        except FileNotFoundError:
            problems.append(f"{place}.bind_password_file: {path} does not exist")
        except OSError as exc:
            problems.append(f"{place}.bind_password_file: cannot read {path}: {exc.strerror}")
        except UnicodeDecodeError:
            problems.append(f"{place}.bind_password_file: {path} is not UTF-8 text")
        else:
            if not from_file and not os.environ.get(target.bind_password_env):
                problems.append(
                    f"{place}.bind_password_file: {path} is empty, and the environment "
                    f"variable {target.bind_password_env} is not set either"
                )
    elif not os.environ.get(target.bind_password_env):
        problems.append(
            f"{place}: no bind password: set the environment variable "
            f"{target.bind_password_env}, or configure bind_password_file"
        )
    if target.ca_file is not None and not target.ca_file.is_file():
        problems.append(f"{place}.ca_file: {target.ca_file} does not exist")
    return problems
