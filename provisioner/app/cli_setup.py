"""``provisioner config check`` and ``db upgrade``: setting a board up."""

from __future__ import annotations

import os

import typer
from rich.markup import escape
from sqlalchemy import func, select

from provisioner.app.cli_common import DEFAULT_CONFIG, ConfigOption, out
from provisioner.app.config import load_config
from provisioner.config import database_url
from provisioner.i18n import cli_language, tr
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import SyncRun

config_app = typer.Typer(help="The board configuration.")
db_app = typer.Typer(help="The state store.")


@config_app.command("check")
def config_check(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Explain every problem in the configuration and its input files."""
    from provisioner.app.config_check import check, warnings

    problems = check(config)
    language = cli_language()
    cautions = warnings(config, language)  # shown, never a failure
    if not problems:
        fine = tr(language, "{config} is fine.", config=config)
        out.print(f"[green]{fine}[/green]")
        _warn(cautions, language)
        return
    found = tr(language, "{n} problem(s) in {config}:", n=len(problems), config=config)
    out.print(f"[red]{found}[/red]")
    for problem in problems:
        out.print(f"  - {problem}")
    _warn(cautions, language)
    raise typer.Exit(3)


def _warn(cautions: list[str], language: str) -> None:
    if cautions:
        out.print(f"[yellow]{tr(language, '{n} warning(s):', n=len(cautions))}[/yellow]")
    for caution in cautions:
        out.print(f"  - {escape(caution)}", highlight=False)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Create or upgrade the state store's schema (also done before every command)."""
    env_url = os.environ.get("PROVISIONER_DATABASE_URL")
    url = (
        env_url
        if env_url and not config.exists()
        else database_url(load_config(config), config.parent)
    )
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine)() as session:
        runs = session.execute(select(func.count()).select_from(SyncRun)).scalar_one()
    out.print(tr(cli_language(), "The state store is up to date ({runs} runs kept).", runs=runs))
