"""``provisioner report``: the reports the provisioner sends, to see (and send) by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from provisioner.i18n import N_, cli_language, tr

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config", "-c", envvar="PROVISIONER_CONFIG", help="The board's provisioner.toml."
    ),
]
DEFAULT_CONFIG = Path("provisioner.toml")
#: How a delivery went, as :func:`provisioner.report.morning.deliver` says it.
OUTCOMES = (N_("sent"), N_("not configured"))


def outcome_text(outcome: str, language: str) -> str:
    """A delivery's outcome for a person (an error text as it is)."""
    return tr(language, outcome) if outcome in OUTCOMES else outcome


report_app = typer.Typer(help="Reports: the morning report of a run.", no_args_is_help=True)


@report_app.command("morning")
def morning(
    config: ConfigOption = DEFAULT_CONFIG,
    run: Annotated[
        str | None, typer.Option("--run", help="The run to report on (default: the newest).")
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Also send it to the configured Slack channel and mail.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Subject, text and Slack blocks.")
    ] = False,
) -> None:
    """The morning report of a run: what changed, failed or was stopped, open manual tasks and
    data-breach deadlines. Counts and run ids only, as the channel sees it."""
    from provisioner.app.config import load_config
    from provisioner.config import database_url
    from provisioner.report.morning import build_morning_report, deliver, gather
    from provisioner.store.db import ensure_current, make_engine, session_factory

    board = load_config(config)
    engine = make_engine(database_url(board, config.parent))
    ensure_current(engine)
    report = build_morning_report(gather(session_factory(engine), board, run_id=run))
    delivered = deliver(board, report) if send else {}
    if as_json:
        body = {"subject": report.subject, "text": report.text, "blocks": report.blocks}
        print(json.dumps(body | ({"delivered": delivered} if send else {})))
        return
    typer.echo(report.text, nl=False)
    failed = False
    for destination, outcome in delivered.items():
        typer.echo(f"-> {destination}: {outcome_text(outcome, cli_language())}", err=True)
        failed = failed or outcome not in ("sent", "not configured")
    if failed:
        raise typer.Exit(1)
