"""``provisioner breach``: assess a breach, the breach register, and the supervisor's form.

Exit codes: 0 done, 3 input unusable (a facts file that cannot be read or has a known field
with a wrong value, an unknown number). An unknown field in a facts file is kept in the
narrative with a warning on stderr (and in the JSON answer's ``warnings``).
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from provisioner.app.config import load_config
from provisioner.config import Config, database_url
from provisioner.i18n import N_, cli_language, tr
from provisioner.privacy.breach import (
    AMSTERDAM,
    Assessment,
    FactsError,
    Language,
    assess,
    parse_moment,
    read_facts,
)
from provisioner.privacy.breaches import PARTIES, BreachNotFound, BreachRecord, BreachRegister
from provisioner.store.db import ensure_current, make_engine, session_factory

app = typer.Typer(
    no_args_is_help=True,
    help="Data breaches (datalekken): assess, the register (GDPR Art. 33(5)), the AP form.",
)
out = Console()
err = Console(stderr=True)
EXIT_UNUSABLE = 3

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config", "-c", envvar="PROVISIONER_CONFIG", help="The board's provisioner.toml."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object for scripts.")]
LangOption = Annotated[str, typer.Option("--lang", help="Language of the reasons: nl or en.")]
DEFAULT_CONFIG = Path("provisioner.toml")


@app.command("assess")
def assess_file(
    file: Annotated[Path, typer.Argument(help="A JSON file with the facts of the breach.")],
    as_json: JsonOption = False,
    lang: LangOption = "nl",
) -> None:
    """Whether to notify the Autoriteit Persoonsgegevens and the people concerned, and why."""
    language = _language(lang)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail(tr(cli_language(), "cannot read {file}: {error}", file=file, error=exc))
    if not isinstance(data, dict):
        _fail(tr(cli_language(), "{file} must hold one JSON object with the facts", file=file))
    try:
        facts, warnings = read_facts(data)
    except FactsError as exc:
        _fail(f"{file}: {exc}")
    for warning in warnings:
        label = tr(cli_language(), "Warning:")
        err.print(f"[yellow]{label}[/yellow] {file}: {escape(warning)}")
    result = assess(facts, language=language, reported_at=datetime.now(AMSTERDAM))
    if as_json:
        answer = _assessment_json(result)
        answer["warnings"] = list(warnings)
        print(json.dumps(answer, ensure_ascii=False))
        return
    _show_assessment(result, language)


@app.command("register")
def register_list(config: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False) -> None:
    """Every breach in the register: number, reported, status, decision, deadlines met."""
    _, sessions = _open(config)
    breaches = BreachRegister(sessions).list()
    now = datetime.now(AMSTERDAM)
    if as_json:
        print(json.dumps([_summary(b, now) for b in breaches], ensure_ascii=False))
        return
    language = cli_language()
    table = Table(title=tr(language, "Breach register ({n})", n=len(breaches)))
    for column in (
        N_("number"),
        N_("reported"),
        N_("location"),
        N_("status"),
        N_("risk"),
        N_("decision"),
        N_("deadlines"),
    ):
        table.add_column(tr(language, column))
    for b in breaches:
        s = _summary(b, now)
        table.add_row(
            b.id,
            f"{b.reported_at:%Y-%m-%d %H:%M}",
            b.location or "",
            b.status,
            s["risk"],
            _decision_text(b, language),
            ", ".join(f"{k}: {_deadline_text(v, language)}" for k, v in s["deadlines"].items()),
        )
    out.print(table)


@app.command("show")
def show(
    breach_id: Annotated[str, typer.Argument(metavar="ID")],
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    lang: LangOption = "nl",
) -> None:
    """One breach: facts, assessment, decision, deadlines and notifications."""
    language = _language(lang)
    _, sessions = _open(config)
    breach = _get(sessions, breach_id)
    result = breach.assess(language)
    if as_json:
        data = _summary(breach, datetime.now(AMSTERDAM))
        data["facts"] = breach.facts.to_dict()
        data["assessment"] = _assessment_json(result)
        data["notified"] = breach.notified
        print(json.dumps(data, ensure_ascii=False))
        return
    _show_breach(breach)
    _show_assessment(result, language)


def _show_breach(breach: BreachRecord) -> None:
    shown = cli_language()
    number, when = f"[bold]{breach.id}[/bold]", f"{breach.reported_at:%Y-%m-%d %H:%M}"
    out.print(
        tr(
            shown,
            "{id} reported {when} by {who}; status {status}",
            id=number,
            when=when,
            who=escape(breach.reported_by),
            status=breach.status,
        )
    )
    for name, value in breach.facts.to_dict().items():
        out.print(f"  {name}: {escape(_text(value, shown))}")
    out.print(tr(shown, "Decision: {decision}", decision=_decision_text(breach, shown)))
    for d in breach.deadlines:
        met = {True: N_("met"), False: N_("missed"), None: N_("open")}[d.met]
        due = f"{d.due_at:%Y-%m-%d %H:%M}"
        line = tr(shown, "{kind} due {due}: {met}", kind=d.kind, due=due, met=tr(shown, met))
        out.print(f"  {line}")


@app.command("export")
def export(
    breach_id: Annotated[str, typer.Argument(metavar="ID")],
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    output: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
) -> None:
    """Draft the Autoriteit Persoonsgegevens' notification form (Markdown, or JSON)."""
    from provisioner.privacy.breach_form import to_json, to_markdown

    board, sessions = _open(config)
    breach = _get(sessions, breach_id)
    text = (
        json.dumps(to_json(breach, board), ensure_ascii=False, indent=2)
        if as_json
        else to_markdown(breach, board)
    )
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        err.print(tr(cli_language(), "Draft written to {path}", path=output))


@app.command("correct")
def correct(
    breach_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept in the audit trail.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help='A fact as field=value (JSON value: true, 12, "text", null).'),
    ] = None,
    notify_authority: Annotated[
        bool | None,
        typer.Option("--notify-authority/--no-notify-authority", help="The FG's decision."),
    ] = None,
    notify_subjects: Annotated[
        bool | None,
        typer.Option("--notify-subjects/--no-notify-subjects", help="The FG's decision."),
    ] = None,
    confirm: Annotated[bool, typer.Option("--confirm", help="Confirm the proposal as is.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """The privacy officer corrects facts and/or the decision; the assessment is re-run."""
    _, sessions = _open(config)
    register = BreachRegister(sessions)
    facts = dict(_assignment(item) for item in set_ or [])
    decision: dict[str, Any] | None = None
    if notify_authority is not None or notify_subjects is not None or confirm:
        decision = {}
        if notify_authority is not None:
            decision["notify_authority"] = notify_authority
        if notify_subjects is not None:
            decision["notify_subjects"] = notify_subjects
    if not facts and decision is None:
        _fail(tr(cli_language(), "nothing to correct: give --set, a decision, or --confirm"))
    _get(sessions, breach_id)
    try:
        if decision == {}:
            breach = register.confirm(breach_id, actor=_actor())
            if facts:
                breach = register.correct(breach_id, actor=_actor(), facts=facts, reason=reason)
        else:
            breach = register.correct(
                breach_id, actor=_actor(), facts=facts or None, decision=decision, reason=reason
            )
    except (ValueError, FactsError) as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(_summary(breach, datetime.now(AMSTERDAM)), ensure_ascii=False))
        return
    language = cli_language()
    out.print(
        tr(
            language,
            "{id} corrected: {decision}; status {status}",
            id=breach.id,
            decision=_decision_text(breach, language),
            status=breach.status,
        )
    )


@app.command("notified")
def notified(
    breach_id: Annotated[str, typer.Argument(metavar="ID")],
    party: Annotated[str, typer.Option(help="privacy_officer, authority or subjects.")],
    at: Annotated[str | None, typer.Option(help="When (ISO; default now).")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Record that the FG, the AP or the people concerned were told."""
    if party not in PARTIES:
        _fail(tr(cli_language(), "--party must be one of {parties}", parties=", ".join(PARTIES)))
    try:
        moment = parse_moment(at, "--at") if at else datetime.now(AMSTERDAM)
    except FactsError as exc:
        _fail(str(exc))
    assert moment is not None
    _, sessions = _open(config)
    _get(sessions, breach_id)
    breach = BreachRegister(sessions).mark_notified(
        breach_id,
        party=party,
        at=moment,
        actor=_actor(),
    )
    when = f"{moment:%Y-%m-%d %H:%M}"
    out.print(
        tr(
            cli_language(),
            "{id}: {party} notified at {when}; status {status}",
            id=breach.id,
            party=party,
            when=when,
            status=breach.status,
        )
    )


# -- helpers ---------------------------------------------------------------------------------


def _open(config_path: Path) -> tuple[Config | None, sessionmaker[Session]]:
    env_url = os.environ.get("PROVISIONER_DATABASE_URL")
    config = None
    if config_path.exists():
        config = load_config(config_path)
        url = env_url or database_url(config, config_path.parent)
    elif env_url:
        url = env_url
    else:
        config = load_config(config_path)  # raises the usual "no such file" ConfigError
        url = database_url(config, config_path.parent)
    engine = make_engine(url)
    ensure_current(engine)
    return config, session_factory(engine)


def _get(sessions: sessionmaker[Session], breach_id: str) -> BreachRecord:
    try:
        return BreachRegister(sessions).get(breach_id)
    except BreachNotFound as exc:
        _fail(str(exc))


def _assessment_json(result: Assessment) -> dict[str, Any]:
    data = result.to_dict()
    for kind in ("privacy_officer", "authority"):
        deadline = result.deadline(kind)
        data[f"{kind}_due_at"] = deadline.due_at.isoformat() if deadline else None
    return data


def _summary(breach: BreachRecord, now: datetime) -> dict[str, Any]:
    """What the register list shows: no narrative, no names."""
    deadlines: dict[str, str] = {}
    for d in breach.deadlines:
        if d.met is True:
            deadlines[d.kind] = "met"
        elif d.met is False or (not d.done and d.due_at < now):
            deadlines[d.kind] = "missed"
        else:
            deadlines[d.kind] = f"open until {d.due_at.isoformat()}"
    return {
        "id": breach.id,
        "reported_at": breach.reported_at.isoformat(),
        "location": breach.location,
        "status": breach.status,
        "risk": breach.assessment.get("risk", ""),
        "decision": breach.decision.to_dict(),
        "deadlines": deadlines,
        "notified": sorted(breach.notified),
    }


def _deadline_text(value: str, language: str) -> str:
    """A deadline's state of :func:`_summary` (met, missed, open until ...) for a person."""
    if value.startswith("open until "):
        return tr(language, "open until {when}", when=value.removeprefix("open until "))
    return tr(language, value) if value in (N_("met"), N_("missed")) else value


def _decision_text(breach: BreachRecord, language: str) -> str:
    d = breach.decision
    parts = [
        tr(language, "notify AP") if d.notify_authority else tr(language, "no AP notification"),
        tr(language, "tell the people") if d.notify_subjects else tr(language, "people not told"),
    ]
    text = ", ".join(parts)
    return text if d.confirmed else tr(language, "{decision} (proposed)", decision=text)


def _show_assessment(result: Assessment, language: Language) -> None:
    yes, no = tr(language, "yes"), tr(language, "no")
    labels = (
        tr(language, "Notify the AP"),
        tr(language, "Tell the people concerned"),
        tr(language, "Reasons"),
        tr(language, "Assumptions"),
        tr(language, "Deadlines"),
    )
    out.print(f"[bold]{labels[0]}:[/bold] {yes if result.notify_authority else no}")
    out.print(f"[bold]{labels[1]}:[/bold] {yes if result.notify_subjects else no}")
    out.print(f"[bold]{labels[2]}:[/bold]")
    for reason in result.reasons:
        out.print(f"  - {escape(reason)}")
    if result.assumptions:
        out.print(f"[bold]{labels[3]}:[/bold]")
        for assumption in result.assumptions:
            out.print(f"  - {escape(assumption)}")
    if result.deadlines:
        out.print(f"[bold]{labels[4]}:[/bold]")
        for d in result.deadlines:
            note = "" if d.applies else " " + tr(language, "(does not apply)")
            out.print(f"  - {d.due_at:%Y-%m-%d %H:%M} — {escape(d.rule)}{note}")


def _assignment(item: str) -> tuple[str, Any]:
    name, sep, raw = item.partition("=")
    if not sep or not name.strip():
        _fail(tr(cli_language(), "--set takes field=value, not {item}", item=repr(item)))
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw  # plain text without quotes
    return name.strip(), value


def _language(lang: str) -> Language:
    if lang not in ("nl", "en"):
        _fail(tr(cli_language(), "--lang must be nl or en"))
    return "nl" if lang == "nl" else "en"


def _actor() -> str:
    return f"admin:{getpass.getuser()}"


def _text(value: Any, language: str) -> str:
    return tr(language, "unknown") if value is None else str(value)


def _fail(message: str) -> NoReturn:
    """``message``, already in the user's language (or an error's own text)."""
    label = tr(cli_language(), "Cannot continue:")
    err.print(f"[red]{label}[/red] {escape(message)}")
    raise typer.Exit(EXIT_UNUSABLE)
