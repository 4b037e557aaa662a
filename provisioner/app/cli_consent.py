"""``provisioner consent``: photo-consent questions and importing answers from a file.

With ``--json`` the output is one JSON object, also when the question cannot be answered
(``{"error": ...}``).

Exit codes of ``consent check``: 0 allowed (for a group: for every pupil), 1 not allowed (for a
group: at least one pupil without consent), 3 the question cannot be answered (no such pupil
or group, a medium the catalogue does not know -- the answer names the catalogue's media --,
a ``--not-recognisable`` pupil not in the group, an unusable configuration).
``--not-recognisable PUPIL`` (repeatable, or comma-separated) names pupils who will not be
recognisable in the image: they are left out of the decision, the answer says they must stay
unrecognisable, and the audit trail keeps who said so.
Exit codes of ``consent reminder``: 0 recorded (or already recorded), 1 some rows of a file
could not be used, 3 nothing usable.
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

from connectors.consent.config import ConsentCsvSourceConfig
from connectors.consent.source import ConsentCsvSource
from provisioner.app.config import load_config
from provisioner.audit.service import record
from provisioner.config import Config, database_url
from provisioner.errors import ConfigError
from provisioner.i18n import N_, cli_language, tr
from provisioner.privacy.consent import (
    ConsentAnswer,
    ConsentRegister,
    GroupConsentAnswer,
    UnknownMedium,
    UnknownPupil,
    save_consent_history,
)
from provisioner.privacy.consent_reminders import (
    Reminder,
    check_reminder,
    read_reminder_csv,
    record_reminder,
    school_year_of,
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
    "granted": N_("consent given"),
    "no_consent_needed": N_("no consent needed for this purpose"),
    "no_consent": N_("no consent (no answer counts as no)"),
    "refused": N_("consent refused"),
    "withdrawn": N_("consent withdrawn"),
    "other_media_only": N_("consent only for other media"),
    "wrong_giver": N_(
        "consent given by the wrong person (the pupil decides from 16, parents before)"
    ),
    "expired_school_year": N_("consent from an earlier school year; the school asks every year"),
    "not_valid_consent": N_("not valid consent"),
}

#: Why a "yes" obtained this way is not consent (only a free, explicit opt-in is).
MECHANISM_TEXT = {
    "opt_out": N_("it came from an opt-out form: not objecting is not consenting"),
    "pre_ticked": N_("the box was ticked in advance: consent must be an act of the person"),
    "condition_of_enrolment": N_("it was a condition of enrolment: consent must be free"),
    "unknown": N_(
        "it is not known how it was asked; if the form was opt-in, set"
        ' [consent] default_mechanism = "opt_in" (docs/consent.md)'
    ),
}
NOT_RECOGNISABLE_TEXT = N_("make sure they stay unrecognisable")


def _open(config_path: Path) -> tuple[Config, sessionmaker[Session]]:
    config = load_config(config_path)
    engine = make_engine(database_url(config, config_path.parent))
    ensure_current(engine)
    return config, session_factory(engine)


def _fail(
    message: str, as_json: bool = False, *, values: dict[str, Any] | None = None, **extra: Any
) -> NoReturn:
    """``message``: a catalogue sentence filled with ``values`` (English in the JSON answer,
    the user's language at the terminal), or, when ``values`` is None, an error's own text."""
    language = cli_language()
    english = message if values is None else tr("en", message, **values)
    if as_json:
        print(json.dumps({"error": english, **extra}, ensure_ascii=False))
    human = message if values is None else tr(language, message, **values)
    label = tr(language, "Cannot answer:")
    err.print(f"[red]{label}[/red] {escape(human)}")
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
    not_recognisable: Annotated[
        list[str] | None,
        typer.Option(
            "--not-recognisable",
            help="A pupil (SIS id) who will not be recognisable in this image (blurred, from"
            " behind, cut off): left out of the decision. Repeat it, or separate by commas.",
        ),
    ] = None,
    config_path: ConfigOption = Path("provisioner.toml"),
    as_json: JsonOption = False,
) -> None:
    """May a pupil's (or a whole group's) image be used on this medium? Exit 0 yes, 1 no."""
    if (pupil is None) == (group is None):
        _fail(N_("give exactly one of --pupil and --group"), as_json, values={})
    hidden = [p.strip() for item in not_recognisable or [] for p in item.split(",") if p.strip()]
    if pupil is not None and hidden and {_key(p) for p in hidden} != {_key(pupil)}:
        _fail(N_("with --pupil, --not-recognisable can only name that pupil"), as_json, values={})
    try:
        day = date.fromisoformat(on) if on else datetime.now(AMSTERDAM).date()
    except ValueError:
        _fail(N_("--on '{on}' is not a date like 2026-11-23"), as_json, values={"on": on})
    try:
        config, sessions = _open(config_path)
        register = ConsentRegister(sessions, config)
        answer: ConsentAnswer | GroupConsentAnswer
        actor = f"admin:{getpass.getuser()}"
        if pupil is not None:
            answer = register.check_pupil(
                pupil, medium, day, recognisable=not hidden, asserted_by=actor
            )
        else:
            assert group is not None
            answer = register.check_group(
                group, medium, day, not_recognisable=hidden, asserted_by=actor
            )
    except UnknownMedium as exc:
        _fail(str(exc), as_json, media=list(exc.media))
    except (ConfigError, UnknownPupil) as exc:
        _fail(str(exc), as_json)
    if as_json:
        print(json.dumps(answer.as_dict(), ensure_ascii=False))
    else:
        _show(answer)
    raise typer.Exit(EXIT_ALLOWED if answer.allowed else EXIT_NOT_ALLOWED)


def _key(pupil: str) -> str:
    return pupil if pupil.startswith("pupil:") else f"pupil:{pupil}"


def _show(answer: ConsentAnswer | GroupConsentAnswer) -> None:
    language = cli_language()
    allowed, not_allowed = tr(language, "Allowed"), tr(language, "Not allowed")
    if isinstance(answer, GroupConsentAnswer):
        _show_group(answer, language, allowed, not_allowed)
        return
    colour, verdict = ("green", allowed) if answer.allowed else ("red", not_allowed)
    rest = tr(
        language,
        "on {medium}: {reason}.",
        medium=answer.medium,
        reason=_reason(answer, language),
    )
    out.print(f"[{colour}]{verdict}[/{colour}] {rest}")


def _show_group(answer: GroupConsentAnswer, language: str, allowed: str, not_allowed: str) -> None:
    counted = answer.total - len(answer.not_recognisable)
    group = escape(answer.group_id)
    if answer.allowed:
        why = tr(language, REASON_TEXT[answer.reason.value])
        if counted == answer.total:
            message = N_("on {medium} for all {n} pupils of group {group} ({why}).")
        else:
            message = N_("on {medium} for the other {n} pupils of group {group} ({why}).")
        rest = tr(language, message, medium=answer.medium, n=counted, group=group, why=why)
        out.print(f"[green]{allowed}[/green] {rest}")
    else:
        rest = tr(
            language,
            "on {medium}: {without} of {counted} pupils of group {group} have no valid consent:",
            medium=answer.medium,
            without=len(answer.without),
            counted=counted,
            group=group,
        )
        out.print(f"[red]{not_allowed}[/red] {rest}")
        for pupil in answer.without:
            reason = _reason(pupil.answer, language)
            out.print(f"  - {escape(pupil.name)} ({pupil.key}): {reason}")
    if answer.not_recognisable:
        note = tr(language, NOT_RECOGNISABLE_TEXT)
        out.print(tr(language, "Left out as not recognisable ({note}):", note=note))
        for named in answer.not_recognisable:
            out.print(f"  - {escape(named.name)} ({named.key})")


def _reason(answer: ConsentAnswer, language: str) -> str:
    value = answer.reason.value
    text = tr(language, REASON_TEXT[value])
    if answer.condition == "not_recognisable":
        note = tr(language, NOT_RECOGNISABLE_TEXT)
        text = tr(
            language,
            "{reason} as long as the pupil is not recognisable ({note})",
            reason=text,
            note=note,
        )
    if answer.given_by is not None and value in ("withdrawn", "refused"):
        giver = N_("by the parent") if answer.given_by.value == "parent" else N_("by the pupil")
        text += " " + tr(language, giver)
    if answer.since is not None and value in ("withdrawn", "refused"):
        text += " " + tr(language, "on {day}", day=answer.since.isoformat())
    elif answer.school_year and value == "expired_school_year":
        text += f" ({answer.school_year})"
    elif answer.mechanism is not None and value == "not_valid_consent":
        text += ": " + tr(language, MECHANISM_TEXT[answer.mechanism.value])
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
        language = cli_language()
        out.print(
            tr(
                language,
                "Read {rows} rows: {stored} new answers stored, {known} already known.",
                rows=result["rows"],
                stored=stored,
                known=len(batch.consents) - stored,
            )
        )
        if problems:
            unused = tr(language, "{n} rows could not be used:", n=len(problems))
            out.print(f"[yellow]{unused}[/yellow]")
            for problem in problems[:20]:
                out.print(f"  - {escape(problem)}")
    raise typer.Exit(EXIT_NOT_ALLOWED if problems else EXIT_ALLOWED)


@app.command()
def reminder(
    location: Annotated[
        str | None, typer.Option("--location", help="The location's BRIN6.")
    ] = None,
    sent_on: Annotated[
        str | None, typer.Option("--sent-on", help="The day it was sent, YYYY-MM-DD; today.")
    ] = None,
    school_year: Annotated[
        str | None, typer.Option("--school-year", help="2026-2027; the year of --sent-on.")
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A CSV with the columns location,school_year,sent_on."),
    ] = None,
    config_path: ConfigOption = Path("provisioner.toml"),
    as_json: JsonOption = False,
) -> None:
    """Record the yearly reminder: parents (and pupils from 16) were told they can change or
    withdraw their photo consent (jaarlijkse herinnering)."""
    if (location is None) == (file is None):
        _fail(N_("give exactly one of --location and --file"), as_json, values={})
    try:
        day = date.fromisoformat(sent_on) if sent_on else datetime.now(AMSTERDAM).date()
    except ValueError:
        message = N_("--sent-on '{sent_on}' is not a date like 2026-09-15")
        _fail(message, as_json, values={"sent_on": sent_on})
    try:
        config, sessions = _open(config_path)
        problems: list[str] = []
        if file is not None:
            reminders, problems = read_reminder_csv(file, config)
            source = file.name
        else:
            assert location is not None
            one = Reminder(location.upper(), school_year or school_year_of(config, day), day)
            problem = check_reminder(config, one)
            if problem is not None:
                _fail(problem, as_json)
            reminders, source = [one], "command"
    except ConfigError as exc:
        _fail(str(exc), as_json)
    if not reminders:
        if problems:
            _fail("; ".join(problems), as_json)
        _fail(N_("no reminders in the file"), as_json, values={})
    actor = f"admin:{getpass.getuser()}"
    with sessions.begin() as session:
        new = [r for r in reminders if record_reminder(session, r, actor=actor, source=source)]
        record(
            session,
            actor=actor,
            action="consent.reminder_recorded",
            target="consent",
            reason=f"{len(new)} yearly consent reminder(s) recorded from {source}",
            change={
                "source": source,
                "reminders": [[r.location, r.school_year, r.sent_on.isoformat()] for r in new],
            },
        )
    result = {
        "recorded": [
            {"location": r.location, "school_year": r.school_year, "sent_on": r.sent_on.isoformat()}
            for r in new
        ],
        "already_recorded": len(reminders) - len(new),
        "problems": problems,
    }
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _show_reminders(reminders, problems)
    raise typer.Exit(EXIT_NOT_ALLOWED if problems else EXIT_ALLOWED)


def _show_reminders(reminders: list[Reminder], problems: list[str]) -> None:
    language = cli_language()
    for r in reminders:
        out.print(
            tr(
                language,
                "Reminder at {location} for {school_year}, sent {sent_on}: recorded.",
                location=r.location,
                school_year=r.school_year,
                sent_on=r.sent_on,
            )
        )
    label = tr(language, "Not used:")
    for problem in problems:
        out.print(f"[yellow]{label}[/yellow] {escape(problem)}")
