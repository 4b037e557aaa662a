"""``provisioner serve`` and ``provisioner nightly``: running the provisioner for real.

``serve`` is the long-running process of a board (the schedule, the chat bot, health and
metrics); ``nightly`` runs the nightly job once, for boards whose scheduler is systemd or
Kubernetes. Both exit 3 on a configuration they cannot use or a database from a newer release.
"""

from __future__ import annotations

import json
import signal
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from provisioner.app.cli_report import outcome_text
from provisioner.i18n import cli_language, tr

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config", "-c", envvar="PROVISIONER_CONFIG", help="The board's provisioner.toml."
    ),
]
DEFAULT_CONFIG = Path("provisioner.toml")

serve_app = typer.Typer(help="Run the provisioner: nightly schedule, chat bot, health, metrics.")
nightly_app = typer.Typer(help="The nightly job once: a full sync, then the morning report.")


@serve_app.callback(invoke_without_command=True)
def serve(
    config: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[
        str | None, typer.Option(help="Listen address (default: service.host).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default: service.port; 0: any free port).")
    ] = None,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Upgrade the database schema first, if it is older.")
    ] = False,
    run_now: Annotated[
        bool, typer.Option("--run-now", help="Run the nightly job at start, then go on as usual.")
    ] = False,
    run_at: Annotated[
        str | None,
        typer.Option(
            "--run-at",
            metavar="MOMENT",
            help="Run the nightly job once at this moment (ISO 8601, e.g. 2026-12-04T22:00; "
            "without an offset: the schedule's time zone), then go on as usual.",
        ),
    ] = None,
) -> None:
    """The long-running process: the nightly sync on its schedule (one at a time across every
    replica, a missed night caught up at start), the Slack bot, /healthz, /readyz, /metrics."""
    from provisioner import logging_setup
    from provisioner.app.service.app import ServeOptions, Service

    logging_setup.configure(default_level="INFO")
    moment = _moment(run_at) if run_at is not None else None
    service = Service(
        config, ServeOptions(host, port, migrate, run_now or moment is not None, moment)
    )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        service.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.start()
    try:
        service.wait()
    finally:
        service.stop()
    if service.fatal is not None:
        raise service.fatal


def _moment(text: str) -> datetime:
    """An ISO 8601 moment; without an offset it is read in the schedule's time zone."""
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(
            tr(cli_language(), "{text} is not a moment like 2026-12-04T22:00", text=repr(text)),
            param_hint="--run-at",
        ) from exc


@nightly_app.callback(invoke_without_command=True)
def nightly(
    config: ConfigOption = DEFAULT_CONFIG,
    report: Annotated[bool, typer.Option(help="Send the morning report afterwards.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The nightly job once (systemd timer, Kubernetes CronJob): a full sync under the nightly
    lock, then the morning report. Exit codes as ``provisioner sync``; 1 when busy."""
    from provisioner import logging_setup
    from provisioner.app.config import load_config
    from provisioner.app.service.nightly import run_nightly
    from provisioner.config import database_url
    from provisioner.store.db import ensure_current, make_engine, session_factory

    logging_setup.configure(default_level="INFO")
    engine = make_engine(database_url(load_config(config), config.parent))
    ensure_current(engine)
    result = run_nightly(config, session_factory(engine), send_report=report)
    assert result is not None
    if as_json:
        print(
            json.dumps(
                {"run_id": result.run_id, "status": result.status, "report": result.delivered}
            )
        )
    else:
        language = cli_language()
        typer.echo(tr(language, "Run {run}: {status}", run=result.run_id, status=result.status))
        for destination, outcome in result.delivered.items():
            typer.echo(
                tr(
                    language,
                    "Morning report to {destination}: {outcome}",
                    destination=destination,
                    outcome=outcome_text(outcome, language),
                )
            )
    raise typer.Exit(result.exit_code)
