"""``provisioner config check``: every problem in the configuration and its inputs, in words.

The chat bot is on when the file has a ``[bot]`` table (``[bot.slack]`` alone counts too:
TOML makes it a ``bot`` table), the rule ``provisioner serve`` starts the bot by. When it is
on, a privacy officer must be configured (breach reports go to them), and the Slack app's
credentials must be complete once any of them is given (:func:`slack_credentials_missing`,
which ``/readyz`` uses as well).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from provisioner.config import (
    ADTargetConfig,
    Config,
    M365TargetConfig,
    ReferenceTargetConfig,
    SlackConfig,
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
            if target.certificate_path is None and target.secret("client_secret") is None:
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
    if bot_enabled(path):
        if not config.bot.privacy_officers:
            problems.append(
                "bot.privacy_officers: the chat bot is on (the file has a [bot] table) but no "
                "privacy officer is configured, so breach reports would reach nobody: add the "
                "e-mail address of the privacy officer (functionaris gegevensbescherming)"
            )
        missing = slack_credentials_missing(config.bot.slack)
        if missing:
            problems.append(f"bot.slack: {incomplete_slack_text(missing)}")

    problems.extend(_consent_problems(config))

    from provisioner.app.wiring import build_sources
    from provisioner.sources.clean import CleanRules, clean_batch

    rules = CleanRules.of(config.sources)
    for source in build_sources(config):
        try:
            batch = clean_batch(source, source.read(), rules)
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


def _consent_problems(config: Config) -> list[str]:
    """Consents are read but the board has not said how its form asked for them: every 'yes'
    whose source does not say counts as no (docs/consent.md, "Upgrading")."""
    from provisioner.privacy.consent_reminders import (
        HOW_TO_CONFIRM,
        reads_consents,
        unconfirmed_locations,
    )

    unconfirmed = unconfirmed_locations(config)
    if not unconfirmed or not reads_consents(config):
        return []
    return [
        f"consent.default_mechanism: not set, so photo consents whose source does not say how"
        f" they were asked count as no at {', '.join(unconfirmed)}: {HOW_TO_CONFIRM}"
    ]


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
            if not from_file and target.secret("bind_password") is None:
                problems.append(
                    f"{place}.bind_password_file: {path} is empty, and the environment "
                    f"variable {target.bind_password_env} is not set either"
                )
    elif target.secret("bind_password") is None:
        problems.append(
            f"{place}: no bind password: set the environment variable "
            f"{target.bind_password_env}, or configure bind_password_file"
        )
    if target.ca_file is not None and not target.ca_file.is_file():
        problems.append(f"{place}.ca_file: {target.ca_file} does not exist")
    return problems


SlackCredential = Literal["bot_token", "signing_secret", "app_token"]


def bot_enabled(path: Path) -> bool:
    """The chat bot runs: the file has a ``[bot]`` table (or ``[bot.slack]``), as for serve."""
    return "bot" in tomllib.loads(path.read_text(encoding="utf-8"))


def slack_credentials_missing(slack: SlackConfig) -> list[str]:
    """The environment variables the Slack app still needs; empty when Slack is off (no
    credential given or asked for) or when they are complete. Asked for: its file setting
    (``bot_token_file``...) or its variable's ``_FILE`` twin is set. The bot token and the
    signing secret are always needed (the app is built from both, in HTTP and Socket Mode
    alike); the app-level token when Socket Mode is asked for and no token came of it.
    Names only, never a value."""
    given = {name: slack.secret(name) is not None for name in _CREDENTIALS}
    if not any(given.values()) and not any(_asked_for(slack, n) for n in _CREDENTIALS):
        return []
    needed: list[SlackCredential] = ["bot_token", "signing_secret"]
    if _asked_for(slack, "app_token"):
        needed.append("app_token")
    return [_variable(slack, name) for name in needed if not given[name]]


def incomplete_slack_text(missing: list[str]) -> str:
    """``missing`` (variable names) as one sentence for a person."""
    wanted = " and ".join(f"{name} (or {name}_FILE)" for name in missing)
    return f"the Slack app's credentials are incomplete: set {wanted}"


_CREDENTIALS: tuple[SlackCredential, ...] = ("bot_token", "signing_secret", "app_token")


def _variable(slack: SlackConfig, name: SlackCredential) -> str:
    return str(getattr(slack, f"{name}_env"))


def _asked_for(slack: SlackConfig, name: SlackCredential) -> bool:
    return getattr(slack, f"{name}_file") is not None or bool(
        os.environ.get(_variable(slack, name) + "_FILE")
    )
