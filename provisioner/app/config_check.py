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

from connectors.registry import source_connector, target_connector
from provisioner.app.config import load_config
from provisioner.config import Config, SlackConfig
from provisioner.domain.models import Role
from provisioner.errors import ConfigError, ConnectorError
from provisioner.i18n import Language


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
        check_target = target_connector(target.type).check
        if check_target is not None:
            problems.extend(check_target(target))
    for slot in ("hr", "sis", "consent", "interns"):
        source = getattr(config.sources, slot)
        check_source = source_connector(source.type).check if source is not None else None
        if check_source is not None:
            problems.extend(f"sources.{slot}: {problem}" for problem in check_source(source))
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


def warnings(path: Path, language: Language) -> list[str]:
    """What the board should arrange but that does not stop a run, in ``language``: a
    connected system without a processor agreement or without its signing day (AVG art. 28,
    seed 002 §4), an agreement that names no connected system. None when the file cannot be
    loaded (:func:`check` says why)."""
    try:
        config = load_config(path)
    except ConfigError:
        return []
    from provisioner.app.cli_register import agreement_warnings

    return agreement_warnings(config, language)


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
