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
        _fail(f"cannot read {file}: {exc}")
    if not isinstance(data, dict):
        _fail(f"{file} must hold one JSON object with the facts")
    try:
        facts, warnings = read_facts(data)
    except FactsError as exc:
        _fail(f"{file}: {exc}")
    for warning in warnings:
        err.print(f"[yellow]Warning:[/yellow] {file}: {escape(warning)}")
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
    table = Table(title=f"Breach register ({len(breaches)})")
    for column in ("number", "reported", "location", "status", "risk", "decision", "deadlines"):
        table.add_column(column)
    for b in breaches:
        s = _summary(b, now)
        table.add_row(
            b.id,
            f"{b.reported_at:%Y-%m-%d %H:%M}",
            b.location or "",
            b.status,
            s["risk"],
            _decision_text(b),
            ", ".join(f"{k}: {v}" for k, v in s["deadlines"].items()),
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
    out.print(
        f"[bold]{breach.id}[/bold] reported {breach.reported_at:%Y-%m-%d %H:%M} "
        f"by {escape(breach.reported_by)}; status {breach.status}"
    )
    for name, value in breach.facts.to_dict().items():
        out.print(f"  {name}: {escape(_text(value))}")
    out.print(f"Decision: {_decision_text(breach)}")
    for d in breach.deadlines:
        met = {True: "met", False: "missed", None: "open"}[d.met]
        out.print(f"  {d.kind} due {d.due_at:%Y-%m-%d %H:%M}: {met}")
    _show_assessment(result, language)


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
        err.print(f"Draft written to {output}")


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
        _fail("nothing to correct: give --set, a decision, or --confirm")
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
    out.print(f"{breach.id} corrected: {_decision_text(breach)}; status {breach.status}")


@app.command("notified")
def notified(
    breach_id: Annotated[str, typer.Argument(metavar="ID")],
    party: Annotated[str, typer.Option(help="privacy_officer, authority or subjects.")],
    at: Annotated[str | None, typer.Option(help="When (ISO; default now).")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
) -> None:
    """Record that the FG, the AP or the people concerned were told."""
    if party not in PARTIES:
        _fail(f"--party must be one of {', '.join(PARTIES)}")
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
    out.print(f"{breach.id}: {party} notified at {moment:%Y-%m-%d %H:%M}; status {breach.status}")


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


def _decision_text(breach: BreachRecord) -> str:
    d = breach.decision
    parts = [
        "notify AP" if d.notify_authority else "no AP notification",
        "tell the people" if d.notify_subjects else "people not told",
    ]
    return ", ".join(parts) + ("" if d.confirmed else " (proposed)")


def _show_assessment(result: Assessment, language: Language) -> None:
    yes, no = ("ja", "nee") if language == "nl" else ("yes", "no")
    labels = (
        ("Melden bij de AP", "Betrokkenen inlichten", "Redenen", "Aannames", "Termijnen")
        if language == "nl"
        else ("Notify the AP", "Tell the people concerned", "Reasons", "Assumptions", "Deadlines")
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
            note = "" if d.applies else " (n.v.t.)" if language == "nl" else " (does not apply)"
            out.print(f"  - {d.due_at:%Y-%m-%d %H:%M} — {escape(d.rule)}{note}")


def _assignment(item: str) -> tuple[str, Any]:
    name, sep, raw = item.partition("=")
    if not sep or not name.strip():
        _fail(f"--set takes field=value, not {item!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw  # plain text without quotes
    return name.strip(), value


def _language(lang: str) -> Language:
    if lang not in ("nl", "en"):
        _fail("--lang must be nl or en")
    return "nl" if lang == "nl" else "en"


def _actor() -> str:
    return f"admin:{getpass.getuser()}"


def _text(value: Any) -> str:
    return "unknown" if value is None else str(value)


def _fail(message: str) -> NoReturn:
    err.print(f"[red]Cannot continue:[/red] {escape(message)}")
    raise typer.Exit(EXIT_UNUSABLE)
