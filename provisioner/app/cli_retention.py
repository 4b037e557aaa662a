"""``provisioner retention``: retention clocks, the destruction list and archive holds
(docs/accountability.md).

``due`` lists per system and location what must be destroyed or reviewed, by when; ``tasks``
opens a manual task for each line (once), ``done`` completes one; ``event`` records a clock
the product cannot see (a complaint closed); ``hold`` keeps data from destruction (Archiefwet,
a legal procedure); ``purge`` applies the product's own retention to its store. With
``--json`` the answer is one JSON object. Exit codes: 0 done, 3 input unusable.
"""

from __future__ import annotations

import getpass
import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.markup import escape

from provisioner.accountability.retention_clock import DueLine
from provisioner.accountability.retention_events import record_event
from provisioner.accountability.retention_purge import purge_store
from provisioner.accountability.retention_rules import ClockEvent
from provisioner.accountability.retention_store import (
    ACTION_WORDS,
    EVENT_WORDS,
    DueEntry,
    due_entries,
    open_due_tasks,
)
from provisioner.accountability.retention_watch import record_register_clocks
from provisioner.app.cli_common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    open_board,
    out,
    parse_date,
)
from provisioner.app.cli_failures import Unusable, clean_failures
from provisioner.app.cli_retention_holds import hold_app, locations_of, rules
from provisioner.config import Config
from provisioner.execution.reports import today_in_amsterdam
from provisioner.i18n import N_, cli_language, tr
from provisioner.store.tables import DirectoryPerson, ManualTaskRow
from provisioner.tasks import ManualTasks, TaskError

retention_app = typer.Typer(
    help="Retention: what must be destroyed or reviewed, by when, and archive holds.",
    no_args_is_help=True,
)
retention_app.add_typer(hold_app, name="hold")
retention_app.command("rules")(rules)

OnOption = Annotated[
    str | None, typer.Option("--on", help="The day (YYYY-MM-DD); default today (Amsterdam).")
]
STATUS_WORDS = {"open": N_("open"), "done": N_("done"), "cancelled": N_("cancelled")}
#: Clocks recorded by hand; the others come from runs and registers.
BY_HAND = (ClockEvent.COMPLAINT_CLOSED, ClockEvent.INTERNSHIP_ENDED,
           ClockEvent.PUPIL_DEREGISTERED, ClockEvent.STAFF_LEFT)  # fmt: skip


def actor() -> str:
    return f"admin:{getpass.getuser()}"


def _day(value: str | None) -> date:
    return parse_date(value) if value else today_in_amsterdam()


def _entry_json(entry: DueEntry, on: date) -> dict[str, Any]:
    line = entry.line
    return {
        "key": line.key,
        "category": line.rule.category,
        "what": line.rule.what,
        "action": line.action,
        "rule_action": line.rule.action,
        "held": line.held,
        "holds": list(line.holds),
        "system": line.rule.system,
        "location": line.location,
        "person_key": line.person_key,
        "subject": line.subject,
        "event": line.event,
        "started_on": line.started_on.isoformat(),
        "due_on": line.due_on.isoformat(),
        "upcoming": line.due_on > on,
        "basis": line.rule.basis,
        "owner": line.rule.owner,
        "task": None
        if entry.task_id is None
        else {"id": entry.task_id, "status": entry.task_status},
    }


def _who(line: DueLine) -> str:
    if line.person_key and line.subject:
        return f"{line.person_key} ({line.subject})"
    return line.person_key or line.subject or ""


def _show_due(entries: list[DueEntry], on: date) -> None:
    language = cli_language()
    counts = {kind: sum(e.line.action == kind for e in entries) for kind in
              ("destroy", "review", "held")}  # fmt: skip
    out.print(tr(language, "Retention due on {on}: {destroy} to destroy, {review} to review, "
                 "{held} held", on=on.isoformat(), **counts), highlight=False)  # fmt: skip
    place = None
    for entry in entries:
        line = entry.line
        if (line.rule.system, line.location) != place:
            place = (line.rule.system, line.location)
            out.print(f"\n[bold]{escape(line.rule.system)}[/bold] · {line.location or '-'}")
        action = tr(language, ACTION_WORDS[line.action])
        task = "" if entry.task_id is None else tr(
            language, "task {id} ({status})", id=entry.task_id,
            status=tr(language, STATUS_WORDS.get(entry.task_status or "", "")))  # fmt: skip
        upcoming = tr(language, "(upcoming)") if line.due_on > on else ""
        started = tr(language, EVENT_WORDS.get(line.event, line.event))
        out.print(
            f"  {line.due_on.isoformat()} {action:<9} {escape(tr(language, line.rule.what))}  "
            f"{escape(_who(line))}  "
            f"{escape(started)} {line.started_on.isoformat()}  {task} {upcoming}".rstrip(),
            highlight=False, soft_wrap=True,
        )  # fmt: skip


@retention_app.command("due")
def due(
    on: OnOption = None,
    ahead: Annotated[
        int, typer.Option("--ahead", min=0, help="Also list what falls due this many days on.")
    ] = 0,
    show_done: Annotated[
        bool, typer.Option("--all", help="Also the lines whose task is done.")
    ] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """What must be destroyed or reviewed, per system and location, by when."""
    with clean_failures(as_json):
        day = _day(on)
        board, sessions = open_board(config)
        with sessions() as session:
            record_register_clocks(session, origin="retention due", actor=actor())
            session.commit()
            entries = due_entries(session, board.retention, on=day, ahead_days=ahead,
                                  locations=locations_of(board))  # fmt: skip
    done = [e for e in entries if e.task_status == "done"]
    if not show_done:
        entries = [e for e in entries if e.task_status != "done"]
    if as_json:
        lines = [_entry_json(entry, day) for entry in entries]
        counts = {kind: sum(line["action"] == kind for line in lines) for kind in
                  ("destroy", "review", "held")}  # fmt: skip
        print(json.dumps({"on": day.isoformat(), "ahead_days": ahead, "counts": counts,
                          "done": len(done), "lines": lines}, ensure_ascii=False))  # fmt: skip
        return
    _show_due(entries, day)


@retention_app.command("tasks")
def tasks(
    on: OnOption = None, config: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False
) -> None:
    """Open a task for the owner of every line due (once per line; held lines get none)."""
    with clean_failures(as_json):
        day = _day(on)
        board, sessions = open_board(config)
        opened = open_retention_tasks(board, sessions, on=day, actor=actor())
    if as_json:
        print(json.dumps({"on": day.isoformat(), "opened": opened}, ensure_ascii=False))
        return
    language = cli_language()
    out.print(tr(language, "{n} retention task(s) opened.", n=len(opened)), highlight=False)
    for task in opened:
        out.print(f"  {task['id']}  {task['assignee']}  {escape(task['title'])}", highlight=False)


def open_retention_tasks(
    board: Config, sessions: Any, *, on: date, actor: str, origin: str = "retention tasks"
) -> list[dict[str, Any]]:
    """Record the registers' clocks and open the due lines' tasks (also the nightly job's)."""
    with sessions() as session:
        record_register_clocks(session, origin=origin, actor=actor)
        opened = open_due_tasks(session, board.retention, on=on,
                                language=board.board.language, locations=locations_of(board),
                                origin=origin, actor=actor)  # fmt: skip
        session.commit()
    return [
        {"id": task.id, "kind": task.kind, "system": task.system, "assignee": task.assignee,
         "person_key": task.person_key, "location": task.location,
         "due_on": line.due_on.isoformat(), "category": line.rule.category, "title": task.title}
        for line, task in opened
    ]  # fmt: skip


@retention_app.command("done")
def done(
    task_id: Annotated[int, typer.Argument(metavar="TASK", help="The task's number.")],
    note: Annotated[str, typer.Option("--note", help="What was destroyed, or why not.")] = "",
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Mark a retention task done (audited)."""
    with clean_failures(as_json):
        _, sessions = open_board(config)
        with sessions() as session:
            row = session.get(ManualTaskRow, task_id)
            kind = row.kind if row is not None else None
        if kind is None or not kind.startswith("retention_"):
            raise Unusable(N_("there is no retention task {id}"), id=task_id)
        try:
            task = ManualTasks(sessions).complete(task_id, actor=actor(), note=note)
        except TaskError as exc:
            raise Unusable("{cause}", cause=str(exc)) from exc
    if as_json:
        print(json.dumps({"task": task.id, "status": task.status.value}))
        return
    out.print(tr(cli_language(), "Task {id} is done.", id=task.id), highlight=False)


@retention_app.command("event")
def event(
    name: Annotated[
        str,
        typer.Argument(
            metavar="EVENT",
            help="complaint_closed, internship_ended, pupil_deregistered or staff_left.",
        ),
    ],
    person: Annotated[str, typer.Option("--person", help="pupil:<id> or staff:<number>.")],
    on: OnOption = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Which one (a complaint's reference).")
    ] = None,
    location: Annotated[str | None, typer.Option("--location", help="BRIN6.")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Record an event the product cannot see, which starts retention clocks (audited)."""
    with clean_failures(as_json):
        if name not in {e.value for e in BY_HAND}:
            raise Unusable(N_("'{name}' cannot be recorded by hand: use one of {known}"), name=name,
                           known=", ".join(e.value for e in BY_HAND))  # fmt: skip
        if not person.startswith(("pupil:", "staff:")) or len(person) < 7:
            raise Unusable(N_("--person '{person}' must be pupil:<id> or staff:<number>"),
                           person=person)  # fmt: skip
        day = _day(on)
        board, sessions = open_board(config)
        where = location.upper() if location else None
        if where is not None and where not in locations_of(board):
            raise Unusable(N_("{location} is not a configured location"), location=where)
        with sessions() as session:
            known = session.get(DirectoryPerson, person)
            where = where or (known.location if known is not None else None)
            new = record_event(session, event=name, occurred_on=day, person_key=person,
                               subject=subject, location=where, origin="command",
                               actor=actor())  # fmt: skip
            session.commit()
    if as_json:
        print(json.dumps({"recorded": new, "event": name, "person_key": person,
                          "occurred_on": day.isoformat()}))  # fmt: skip
        return
    text = N_("Recorded: {event} of {person} on {on}.") if new else (
        N_("Already recorded: {event} of {person}."))  # fmt: skip
    out.print(tr(cli_language(), text, event=name, person=person, on=day.isoformat()),
              highlight=False)  # fmt: skip


@retention_app.command("purge")
def purge(
    on: OnOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count, delete nothing.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Delete from the product's own store what is past its period ([retention.store])."""
    with clean_failures(as_json):
        day = _day(on)
        board, sessions = open_board(config)
        with sessions() as session:
            counts = purge_store(session, board.retention.store, on=day, actor=actor(),
                                 dry_run=dry_run)  # fmt: skip
            session.commit()
    if as_json:
        print(json.dumps({"on": day.isoformat(), "dry_run": dry_run, "deleted": counts}))
        return
    language = cli_language()
    head = N_("Would delete (dry run):") if dry_run else N_("Deleted:")
    out.print(tr(language, head), highlight=False)
    for part, n in counts.items():
        out.print(f"  {part}: {n}", highlight=False)
