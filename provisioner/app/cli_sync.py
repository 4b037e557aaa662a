"""``provisioner sync``: bring every target in step, with a progress bar at a terminal and
a summary (or one JSON object) at the end."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from provisioner.app.cli_common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    count,
    err,
    open_board,
    out,
    parse_date,
)
from provisioner.app.cli_failures import clean_failures
from provisioner.config import Config
from provisioner.execution.engine import RunReport, SyncRequest
from provisioner.execution.reports import TargetReport
from provisioner.i18n import N_, cli_language, tr
from provisioner.planning.models import OpType

#: Operations worth a line each in the summary: leavers, returns, adoptions, changes.
NOTABLE = (
    OpType.DELETE_ACCOUNT,
    OpType.DISABLE_ACCOUNT,
    OpType.ENABLE_ACCOUNT,
    OpType.LINK_ACCOUNT,
    OpType.UPDATE_ACCOUNT,
)
#: Operations about groups themselves (memberships count for the person).
GROUP_OPS = (OpType.CREATE_GROUP, OpType.LINK_GROUP)


def sync(
    config: ConfigOption = DEFAULT_CONFIG,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and show; change nothing.")
    ] = False,
    approve: Annotated[
        str | None, typer.Option(help="Approve the plan of a run the safety gate stopped.")
    ] = None,
    person: Annotated[
        str | None,
        typer.Option(help="Only this person: staff:<employee number> or pupil:<SIS id>."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Plan as on this date (YYYY-MM-DD) instead of today."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Bring every target in step with HR and the SIS.

    Exit codes: 0 done or previewed, 1 some operations failed or the run met an error (a
    source or target unreachable, a database error), 2 stopped by the safety gate, 3 the
    configuration or an input file cannot be used, 4 refused: another run holds a target (no
    run is recorded). With --json every outcome is one JSON object with a status; an error
    also has "error", its cause in one line.
    """
    with clean_failures(as_json):
        today = parse_date(as_of) if as_of else None
        request = SyncRequest(dry_run=dry_run, approve=approve, scope=person, today=today)
        report = run_sync_showing_progress(config, request, as_json)
    if as_json:
        print(json.dumps(report.as_json()))
    else:
        show_report(report, show_operations=20 if dry_run else 0)
    raise typer.Exit(report.exit_code())


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled or not err.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def update(target: str, done: int, total: int) -> None:
            if target not in tasks:
                description = tr(cli_language(), "applying to {target}", target=target)
                tasks[target] = progress.add_task(description, total=total)
            progress.update(tasks[target], completed=done)

        yield update


def run_sync_showing_progress(
    config_path: Path,
    request: SyncRequest,
    as_json: bool,
    prepare: Callable[[Config, ExitStack], Config] | None = None,
) -> RunReport:
    from provisioner.app.wiring import run_sync

    config, sessions = open_board(config_path)
    with ExitStack() as stack:
        if prepare is not None:
            config = prepare(config, stack)
        with _progress(not as_json) as progress:
            return run_sync(config, sessions, request, progress)


def show_report(report: RunReport, *, show_operations: int = 0) -> None:
    language = cli_language()
    colour = {"applied": "green", "dry_run": "cyan", "stopped": "yellow"}.get(report.status, "red")
    run, status = f"[bold]{report.run_id}[/bold]", f"[{colour}]{report.status}[/{colour}]"
    out.print(tr(language, "Run {run}: {status}", run=run, status=status))
    if report.source_counts:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report.source_counts.items()))
        out.print(tr(language, "Read: {counts}", counts=counts))
    for resumed in report.resumed:
        out.print(tr(language, "Finished the interrupted run {run_id} first.", run_id=resumed))
    for target in report.targets:
        if not target.operations:
            out.print(
                tr(
                    language,
                    "Nothing to change in {target}: it is in step with the sources.",
                    target=target.name,
                )
            )
            continue
        _show_operations_table(report, target, language)
        if target.stopped:
            out.print(f"[red]{escape(target.stopped)}[/red]")
        if show_operations:
            notable = [op for op in target.operations if op.type in NOTABLE]
            for op in notable[:show_operations]:
                out.print(f"  {op.type.value:<16} {op.key:<20} {escape(op.reason)}")
            if len(notable) > show_operations:
                more = len(notable) - show_operations
                out.print("  " + tr(language, "... and {n} more", n=more))
    _show_problems(report, language)
    stopped = tr(language, "Stopped:")
    for reason in report.stop_reasons:
        out.print(f"[yellow]{stopped}[/yellow] {escape(reason)}")


def _show_operations_table(report: RunReport, target: TargetReport, language: str) -> None:
    if report.status == "dry_run":
        title = tr(language, "Operations on {target} (not applied: dry run)", target=target.name)
    else:
        title = tr(language, "Operations on {target}", target=target.name)
    table = Table(title=title)
    table.add_column(tr(language, "operation"), justify="left")
    for column in (N_("staff"), N_("pupils"), N_("groups, other")):
        table.add_column(tr(language, column), justify="right")
    by_kind: dict[tuple[str, str], int] = {}
    for op in target.operations:
        kind = op.key.split(":", 1)[0]
        kind = "other" if op.type in GROUP_OPS or kind not in ("staff", "pupil") else kind
        by_kind[op.type.value, kind] = by_kind.get((op.type.value, kind), 0) + 1
    for op_type in OpType:
        row = [by_kind.get((op_type.value, kind), 0) for kind in ("staff", "pupil", "other")]
        if any(row):
            table.add_row(op_type.value.replace("_", " "), *(str(n) if n else "" for n in row))
    operations = count(len(target.operations), N_("{n} operation"), N_("{n} operations"))
    table.caption = operations
    if report.status in ("applied", "partial", "failed"):
        table.caption = tr(
            language, "{operations}, {failed} failed", operations=operations, failed=target.failed
        )
    out.print(table)


def _show_problems(report: RunReport, language: str) -> None:
    if report.problems:
        records = count(len(report.problems), N_("{n} record"), N_("{n} records"))
        sentence = tr(
            language,
            "{records} could not be used (the people they belong to were left as they were):",
            records=records,
        )
        out.print(f"[yellow]{sentence}[/yellow]")
        for problem in report.problems[:20]:
            out.print(f"  - {escape(problem)}")
    if report.issues:
        things = count(len(report.issues), N_("{n} thing"), N_("{n} things"))
        look = tr(language, "{things} to look at:", things=things)
        out.print(f"[yellow]{look}[/yellow]")
        for issue in report.issues[:20]:
            out.print(f"  - {escape(issue)}")
