"""``provisioner consent``: photo-consent questions and importing answers from a file.

With ``--json`` the output is one JSON object, also when the question cannot be answered
(``{"error": ...}``).

Exit codes of ``consent check``: 0 allowed (for a group: for every pupil), 1 not allowed (for a
group: at least one pupil without consent), 3 the question cannot be answered (no such pupil
or group, a medium the catalogue does not know, an unusable configuration).
Exit codes of ``consent import``: 0 every row stored or already known, 1 some rows could not
be used (the others are stored; their pupils are left as they were), 3 the file is unusable.
"""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from connectors.sis.consent_csv import ConsentCsvSource
from provisioner.audit.service import record
from provisioner.config import Config, ConsentCsvSourceConfig, database_url, load_config
from provisioner.errors import ConfigError
from provisioner.privacy.consent import (
    ConsentAnswer,
    ConsentRegister,
    GroupConsentAnswer,
    UnknownMedium,
    UnknownPupil,
    save_consent_history,
)
from provisioner.sources.clean import CleanRules, clean_batch
from provisioner.store.db import ensure_current, make_engine, session_factory

app = typer.Typer(
    no_args_is_help=True,
    help="Photo and video consent (toestemming beeldmateriaal): check and import.",
)
out = Console()
err = Console(stderr=True)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EXIT_ALLOWED, EXIT_NOT_ALLOWED, EXIT_UNUSABLE = 0, 1, 3

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config", "-c", envvar="PROVISIONER_CONFIG", help="The board's provisioner.toml."
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON object (at least 'allowed' and 'reason').")
]

#: How a reason reads for an admin at the terminal.
REASON_TEXT = {
    "granted": "consent given",
    "no_consent_needed": "no consent needed for this purpose",
    "no_consent": "no consent (no answer counts as no)",
    "refused": "consent refused",
    "withdrawn": "consent withdrawn",
    "other_media_only": "consent only for other media",
    "wrong_giver": "consent given by the wrong person (the pupil decides from 16, parents before)",
    "expired_school_year": "consent from an earlier school year; the school asks every year",
}


def _open(config_path: Path) -> tuple[Config, sessionmaker[Session]]:
    config = load_config(config_path)
    engine = make_engine(database_url(config, config_path.parent))
    ensure_current(engine)
    return config, session_factory(engine)


def _fail(message: str, as_json: bool = False) -> NoReturn:
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    err.print(f"[red]Cannot answer:[/red] {escape(message)}")
    raise typer.Exit(EXIT_UNUSABLE)


@app.command()
def check(
    medium: Annotated[
        str, typer.Option("--medium", "-m", help="website, nieuwsbrief, Instagram, Parro ...")
    ],
    pupil: Annotated[
        str | None, typer.Option("--pupil", help="The pupil's SIS id (or pupil:<id>).")
    ] = None,
    group: Annotated[str | None, typer.Option("--group", help="The group's id.")] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="The day of publication, YYYY-MM-DD; today.")
    ] = None,
    config_path: ConfigOption = Path("provisioner.toml"),
    as_json: JsonOption = False,
) -> None:
    """May a pupil's (or a whole group's) image be used on this medium? Exit 0 yes, 1 no."""
    if (pupil is None) == (group is None):
        _fail("give exactly one of --pupil and --group", as_json)
    try:
        day = date.fromisoformat(on) if on else datetime.now(AMSTERDAM).date()
    except ValueError:
        _fail(f"--on '{on}' is not a date like 2026-11-23", as_json)
    try:
        config, sessions = _open(config_path)
        register = ConsentRegister(sessions, config)
        answer: ConsentAnswer | GroupConsentAnswer
        if pupil is not None:
            answer = register.check_pupil(pupil, medium, day)
        else:
            assert group is not None
            answer = register.check_group(group, medium, day)
    except (ConfigError, UnknownMedium, UnknownPupil) as exc:
        _fail(str(exc), as_json)
    if as_json:
        print(json.dumps(answer.as_dict(), ensure_ascii=False))
    else:
        _show(answer)
    raise typer.Exit(EXIT_ALLOWED if answer.allowed else EXIT_NOT_ALLOWED)


def _show(answer: ConsentAnswer | GroupConsentAnswer) -> None:
    if isinstance(answer, GroupConsentAnswer):
        if answer.allowed:
            why = REASON_TEXT[answer.reason.value]
            out.print(
                f"[green]Allowed[/green] on {answer.medium} for all {answer.total} pupils"
                f" of group {escape(answer.group_id)} ({why})."
            )
            return
        out.print(
            f"[red]Not allowed[/red] on {answer.medium}: {len(answer.without)} of"
            f" {answer.total} pupils of group {escape(answer.group_id)} have no valid consent:"
        )
        for pupil in answer.without:
            out.print(f"  - {escape(pupil.name)} ({pupil.key}): {_reason(pupil.answer)}")
        return
    colour, verdict = ("green", "Allowed") if answer.allowed else ("red", "Not allowed")
    out.print(f"[{colour}]{verdict}[/{colour}] on {answer.medium}: {_reason(answer)}.")


def _reason(answer: ConsentAnswer) -> str:
    text = REASON_TEXT[answer.reason.value]
    if answer.since is not None and answer.reason.value in ("withdrawn", "refused"):
        text += f" on {answer.since.isoformat()}"
    elif answer.school_year and answer.reason.value == "expired_school_year":
        text += f" ({answer.school_year})"
    return text


@app.command(name="import")
def import_(
    file: Annotated[Path, typer.Argument(help="A consent CSV (docs/formats.md).")],
    config_path: ConfigOption = Path("provisioner.toml"),
    as_json: JsonOption = False,
) -> None:
    """Add the answers of a consent CSV to the register (the history: given, withdrawn)."""
    source = ConsentCsvSource("import", ConsentCsvSourceConfig(type="consent-csv", path=file))
    try:
        config, sessions = _open(config_path)
        batch = clean_batch(source, source.read(), CleanRules.of(config.sources))
    except ConfigError as exc:
        _fail(str(exc), as_json)
    problems = [p.describe() for p in batch.problems]
    with sessions.begin() as session:
        stored = save_consent_history(session, batch.consents, source="import")
        record(
            session,
            actor=f"admin:{getpass.getuser()}",
            action="import_consents",
            reason=f"{stored} new answers from {file.name}; {len(problems)} rows not used",
            change={"file": file.name, "rows": len(batch.consents), "stored": stored},
        )
    result: dict[str, Any] = {
        "rows": batch.counts.get("consents", 0),
        "usable": len(batch.consents),
        "stored": stored,
        "problems": problems,
    }
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        out.print(
            f"Read {result['rows']} rows: {stored} new answers stored,"
            f" {len(batch.consents) - stored} already known."
        )
        if problems:
            out.print(f"[yellow]{len(problems)} rows could not be used:[/yellow]")
            for problem in problems[:20]:
                out.print(f"  - {escape(problem)}")
    raise typer.Exit(EXIT_NOT_ALLOWED if problems else EXIT_ALLOWED)
