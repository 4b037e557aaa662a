"""The ``provisioner`` command line.

Exit codes: 0 done, 1 some operations failed or the run met an error, 2 stopped by the
safety gate, 3 configuration or input unusable, 4 refused: another run holds a target.
"""

from __future__ import annotations

import sys

import typer

from provisioner.app.cli_ad import app as ad_app
from provisioner.app.cli_audit import audit_app, audit_show, audit_verify
from provisioner.app.cli_bot import app as bot_app
from provisioner.app.cli_breach import app as breach_app
from provisioner.app.cli_checklist import checklist
from provisioner.app.cli_common import DEFAULT_CONFIG, ConfigOption, JsonOption, err, out
from provisioner.app.cli_consent import app as consent_app
from provisioner.app.cli_demo import DEMO_DIR, demo
from provisioner.app.cli_failures import clean_failures
from provisioner.app.cli_register import register
from provisioner.app.cli_report import report_app
from provisioner.app.cli_retention import retention_app
from provisioner.app.cli_runs import runs_app, runs_list, runs_show
from provisioner.app.cli_serve import nightly_app, serve_app
from provisioner.app.cli_setup import config_app, config_check, db_app, db_upgrade
from provisioner.app.cli_subject import subject_app
from provisioner.app.cli_sync import GROUP_OPS, NOTABLE, sync

__all__ = [
    "DEFAULT_CONFIG",
    "DEMO_DIR",
    "GROUP_OPS",
    "NOTABLE",
    "ConfigOption",
    "JsonOption",
    "app",
    "audit_show",
    "audit_verify",
    "config_check",
    "db_upgrade",
    "demo",
    "err",
    "main",
    "out",
    "runs_list",
    "runs_show",
    "sync",
]

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.command()(demo)
app.command()(sync)
app.add_typer(runs_app, name="runs")
app.add_typer(audit_app, name="audit")
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(consent_app, name="consent")
app.add_typer(bot_app, name="bot")
app.add_typer(breach_app, name="breach")
app.add_typer(serve_app, name="serve")
app.add_typer(nightly_app, name="nightly")
app.add_typer(report_app, name="report")
app.add_typer(ad_app, name="ad")
app.add_typer(retention_app, name="retention")
app.add_typer(subject_app, name="subject")
report_app.command("checklist")(checklist)
report_app.command("register")(register)


def main() -> None:
    from provisioner.logging_setup import configure
    from provisioner.secrets import load_secret_files

    configure()  # JSON lines when not at a terminal; no personal data or secrets
    as_json = "--json" in sys.argv[1:]
    try:
        with clean_failures(as_json):
            load_secret_files()  # NAME_FILE and $CREDENTIALS_DIRECTORY/NAME -> NAME
        with clean_failures(as_json):  # the commands that do not catch their own
            app()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
