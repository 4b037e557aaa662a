"""What the ``provisioner`` commands of cli.py share: the consoles, the common options,
opening the state store, and small formatting helpers."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from provisioner.app.cli_failures import Unusable
from provisioner.app.config import load_config
from provisioner.config import Config, database_url
from provisioner.i18n import N_, cli_language, tr
from provisioner.store.db import ensure_current, make_engine, session_factory

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar="PROVISIONER_CONFIG",
        help="The board's provisioner.toml.",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON object for scripts and monitoring.")
]
DEFAULT_CONFIG = Path("provisioner.toml")


def open_board(config_path: Path) -> tuple[Config, sessionmaker[Session]]:
    config = load_config(config_path)
    engine = make_engine(database_url(config, config_path.parent))
    ensure_current(engine)
    return config, session_factory(engine)


def sessions_only(config_path: Path) -> sessionmaker[Session]:
    env_url = os.environ.get("PROVISIONER_DATABASE_URL")
    if env_url and not config_path.exists():
        engine = make_engine(env_url)
    else:
        config = load_config(config_path)
        engine = make_engine(database_url(config, config_path.parent))
    ensure_current(engine)
    return session_factory(engine)


def count(n: int, one: str, many: str) -> str:
    """``{n} thing`` or ``{n} things`` (both marked with :func:`N_`), in the CLI's language."""
    return tr(cli_language(), one if n == 1 else many, n=n)


def utc(moment: datetime) -> datetime:
    """SQLite gives naive UTC back, PostgreSQL an aware time in the server's zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Unusable(N_("'{value}' is not a date (YYYY-MM-DD)"), value=value) from exc


def start_of_day(value: str) -> datetime:
    """A YYYY-MM-DD date as the moment it starts, in UTC."""
    return datetime.combine(parse_date(value), datetime.min.time(), tzinfo=UTC)
