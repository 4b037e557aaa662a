"""``provisioner runs`` and ``runs show``: what ran, what stopped, one line per object."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from provisioner.app.cli_common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    out,
    sessions_only,
    utc,
)
from provisioner.app.cli_failures import Unusable
from provisioner.i18n import N_, cli_language, tr
from provisioner.planning.models import OpType
from provisioner.store.tables import JournalEntry, SyncOutcome, SyncRun

runs_app = typer.Typer(help="Past runs: what changed, what failed, what was stopped.")


@runs_app.callback(invoke_without_command=True)
def runs_list(
    ctx: typer.Context,
    config: ConfigOption = DEFAULT_CONFIG,
    limit: Annotated[int, typer.Option(help="How many runs.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The latest runs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    sessions = sessions_only(config)
    with sessions() as session:
        rows = (
            session.execute(select(SyncRun).order_by(SyncRun.started_at.desc()).limit(limit))
            .scalars()
            .all()
        )
    if as_json:
        print(json.dumps([_run_json(r) for r in rows]))
        return
    language = cli_language()
    table = Table(title=tr(language, "Runs"))
    for column in (
        N_("run"),
        N_("started (UTC)"),
        N_("status"),
        N_("by"),
        N_("operations"),
        N_("failed"),
        N_("why stopped"),
    ):
        table.add_column(tr(language, column))
    for r in rows:
        table.add_row(
            r.id,
            f"{utc(r.started_at):%Y-%m-%d %H:%M}",
            r.status,
            r.actor,
            str(r.total),
            str(r.failed),
            "; ".join(r.stop_reasons)[:80],
        )
    out.print(table)


@runs_app.command("show")
def runs_show(
    run_id: str,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """One run: its counts, what stopped it, and one line per object changed or failed."""
    sessions = sessions_only(config)
    with sessions() as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise Unusable(N_("there is no run {run_id}"), run_id=run_id)
        outcomes = (
            session.execute(
                select(SyncOutcome)
                .where(SyncOutcome.run_id == run_id)
                .order_by(SyncOutcome.target, SyncOutcome.object_key)
            )
            .scalars()
            .all()
        )
        drift = (
            session.execute(
                select(JournalEntry)
                .where(
                    JournalEntry.run_id == run_id,
                    JournalEntry.status == "applied",
                    JournalEntry.reason.contains("(drift)"),
                )
                .order_by(JournalEntry.target, JournalEntry.object_key, JournalEntry.seq)
            )
            .scalars()
            .all()
        )
    if as_json:
        body = _run_json(run)
        body["outcomes"] = [
            {"target": o.target, "object": o.object_key, "outcome": o.outcome, "reason": o.reason}
            for o in outcomes
        ]
        print(json.dumps(body))
        return
    language = cli_language()
    _show_run_header(run, language)
    summary: dict[str, int] = {}
    for o in outcomes:
        summary[o.outcome] = summary.get(o.outcome, 0) + 1
    if summary:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.items()))
        out.print(tr(language, "Objects: {counts}", counts=counts))
    _show_outcomes(outcomes, drift, language)


def _show_run_header(run: SyncRun, language: str) -> None:
    number = f"[bold]{run.id}[/bold]"
    out.print(
        tr(
            language,
            "Run {run} by {actor}: {status}, {total} operations, {failed} failed",
            run=number,
            actor=run.actor,
            status=run.status,
            total=run.total,
            failed=run.failed,
        )
    )
    stopped = tr(language, "Stopped:")
    for reason in run.stop_reasons:
        out.print(f"[yellow]{stopped}[/yellow] {escape(reason)}")
    for problem in run.problems:
        out.print(f"  - {escape(problem)}")


def _show_outcomes(
    outcomes: Sequence[SyncOutcome], drift: Sequence[JournalEntry], language: str
) -> None:
    table = Table(title=tr(language, "Outcomes needing attention"))
    for column in (N_("target"), N_("object"), N_("outcome"), N_("reason")):
        table.add_column(tr(language, column))
    for o in outcomes:
        if o.outcome in ("failed", "rejected", "skipped"):
            table.add_row(o.target, o.object_key, o.outcome, escape(o.reason))
    if table.row_count:
        out.print(table)
    if drift:
        # One line each (no table), so a line never wraps and a script can grep it.
        out.print(tr(language, "Drift found and repaired ({n}):", n=len(drift)))
        for entry in drift:
            out.print(
                f"  - {escape(entry.target)} {escape(entry.object_key)}: "
                f"{escape(_drift_repair(entry, language))} ({escape(entry.reason)})",
                soft_wrap=True,
            )


def _drift_repair(entry: JournalEntry, language: str) -> str:
    """What the run did about one piece of drift, in words (keys only, no names)."""
    group = entry.group_key or "?"
    if entry.op_type == OpType.REMOVE_MEMBER.value:
        return tr(language, "member added by hand, removed from group {group}", group=group)
    if entry.op_type == OpType.REVOKE_LIBRARY.value:
        return tr(language, "access given by hand (a grant or a nested group), taken away")
    if entry.op_type == OpType.GRANT_LIBRARY.value:
        return tr(
            language,
            "permissions missing or changed by hand, set again for group {group}",
            group=group,
        )
    return entry.op_type.replace("_", " ")


def _run_json(run: SyncRun) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "status": run.status,
        "actor": run.actor,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "counts": run.counts,
        "total": run.total,
        "failed": run.failed,
        "stop_reasons": run.stop_reasons,
        "problems": run.problems,
    }
