"""``provisioner retention hold`` (archive holds: nothing they cover is destroyed) and
``provisioner retention rules`` (the board's retention table)."""

from __future__ import annotations

import getpass
import json
from typing import Annotated, Any

import typer
from rich.markup import escape

from provisioner.accountability.retention_store import (
    ACTION_WORDS,
    EVENT_WORDS,
    HoldError,
    add_hold,
    holds,
    lift_hold,
    open_tasks_under,
)
from provisioner.app.cli_common import DEFAULT_CONFIG, ConfigOption, JsonOption, open_board, out
from provisioner.app.cli_failures import Unusable, clean_failures
from provisioner.config import Config
from provisioner.i18n import N_, cli_language, tr
from provisioner.store.tables_retention import RetentionHold
from provisioner.tasks import ManualTasks, TaskError

hold_app = typer.Typer(
    help="Archive holds (Archiefwet, a legal procedure): nothing they cover is destroyed.",
    no_args_is_help=True,
)


def locations_of(board: Config) -> tuple[str, ...]:
    return tuple(location.brin6 for location in board.locations)


def _actor() -> str:
    return f"admin:{getpass.getuser()}"


def _hold_json(row: RetentionHold) -> dict[str, Any]:
    return {
        "id": row.id, "scope": row.scope, "value": row.value, "reason": row.reason,
        "created_by": row.created_by, "created_at": row.created_at.isoformat(),
        "lifted": row.lifted_at is not None, "lifted_by": row.lifted_by,
    }  # fmt: skip


def _scope(person: str | None, category: str | None, location: str | None,
           board: Config) -> tuple[str, str]:  # fmt: skip
    given = [(s, v) for s, v in (("person", person), ("category", category),
                                 ("location", location)) if v]  # fmt: skip
    if len(given) != 1:
        raise Unusable(N_("give exactly one of --person, --category and --location"))
    scope, value = given[0]
    if scope == "person" and (not value.startswith(("pupil:", "staff:")) or len(value) < 7):
        raise Unusable(N_("--person '{person}' must be pupil:<id> or staff:<number>"),
                       person=value)  # fmt: skip
    if scope == "category" and value not in {r.category for r in board.retention.table()}:
        raise Unusable(N_("'{value}' is no retention category of this board"), value=value)
    if scope == "location":
        value = value.upper()
        if value not in locations_of(board):
            raise Unusable(N_("{location} is not a configured location"), location=value)
    return scope, value


@hold_app.command("add")
def hold_add(
    reason: Annotated[str, typer.Option("--reason", help="Why (Archiefwet, a procedure).")],
    person: Annotated[str | None, typer.Option("--person", help="pupil:<id>, staff:<n>.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="A category.")] = None,
    location: Annotated[str | None, typer.Option("--location", help="BRIN6.")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Hold one person's, one category's or one location's data: none of it is destroyed,
    and its open retention tasks are cancelled."""
    with clean_failures(as_json):
        if not reason.strip():
            raise Unusable(N_("--reason must say why the data is kept"))
        board, sessions = open_board(config)
        scope, value = _scope(person, category, location, board)
        with sessions() as session:
            row = add_hold(session, scope=scope, value=value, reason=reason.strip(),
                           actor=_actor())  # fmt: skip
            session.commit()
            cancel = open_tasks_under(session, row)
            answer = _hold_json(row)
        for task_id in cancel:
            try:
                ManualTasks(sessions).cancel(task_id, actor=_actor(),
                                             reason=f"archive hold {row.id}")  # fmt: skip
            except TaskError:
                continue  # closed meanwhile
    answer["cancelled_tasks"] = cancel
    if as_json:
        print(json.dumps(answer, ensure_ascii=False))
        return
    out.print(tr(cli_language(), "Archive hold {id} on {scope} {value}; {n} task(s) cancelled.",
                 id=answer["id"], scope=scope, value=value, n=len(cancel)),
              highlight=False)  # fmt: skip


@hold_app.command("list")
def hold_list(
    show_lifted: Annotated[bool, typer.Option("--all", help="Also lifted holds.")] = False,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """The archive holds (not lifted, unless --all)."""
    with clean_failures(as_json):
        _, sessions = open_board(config)
        with sessions() as session:
            rows = [_hold_json(row) for row in holds(session, lifted=show_lifted)]
    if as_json:
        print(json.dumps({"holds": rows}, ensure_ascii=False))
        return
    language = cli_language()
    out.print(tr(language, "{n} archive hold(s).", n=len(rows)), highlight=False)
    for row in rows:
        lifted = tr(language, "(lifted)") if row["lifted"] else ""
        out.print(f"  {row['id']}  {row['scope']} {escape(row['value'])}  "
                  f"{escape(row['reason'])} {lifted}".rstrip(), highlight=False)  # fmt: skip


@hold_app.command("lift")
def hold_lift(
    hold_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why it may go now.")] = "",
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Lift an archive hold: its lines are due again (the next `retention tasks` opens them)."""
    with clean_failures(as_json):
        _, sessions = open_board(config)
        with sessions() as session:
            try:
                row = lift_hold(session, hold_id, actor=_actor(), reason=reason)
            except HoldError as exc:
                raise Unusable("{cause}", cause=str(exc)) from exc
            session.commit()
            answer = _hold_json(row)
    if as_json:
        print(json.dumps(answer, ensure_ascii=False))
        return
    out.print(tr(cli_language(), "Archive hold {id} lifted.", id=hold_id), highlight=False)


def rules(config: ConfigOption = DEFAULT_CONFIG, as_json: JsonOption = False) -> None:
    """The board's retention table: category, period, what starts it, action, system, owner,
    legal basis."""
    with clean_failures(as_json):
        board, _ = open_board(config)
        table = board.retention.table()
    data = [
        {"category": r.category, "what": r.what, "period": r.period.text(), "start": r.start,
         "after": r.after, "action": r.action, "system": r.system, "owner": r.owner,
         "basis": r.basis}
        for r in table
    ]  # fmt: skip
    if as_json:
        print(json.dumps({"rules": data}, ensure_ascii=False))
        return
    language = cli_language()
    for r in table:
        action = tr(language, ACTION_WORDS[r.action])
        start = tr(language, EVENT_WORDS.get(r.start, r.start))
        out.print(f"[bold]{r.category}[/bold]  {escape(tr(language, r.what))}", highlight=False)
        out.print("  " + tr(language, "{period} after {start}: {action} in {system} ({owner}); "
                            "{basis}", period=r.period.text(), start=start, action=action,
                            system=escape(r.system), owner=r.owner, basis=escape(r.basis)),
                  highlight=False)  # fmt: skip
