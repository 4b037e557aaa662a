"""``provisioner config check``: every problem in the configuration and its inputs, in words."""

from __future__ import annotations

from pathlib import Path

from provisioner.config import load_config
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
        if not target.path.parent.exists():
            problems.append(
                f"targets.{target.name}.path: folder {target.path.parent} does not exist"
            )
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
