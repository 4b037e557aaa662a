"""The ``provisioner`` command line.

Exit codes: 0 done, 1 some operations failed or the run met an error, 2 stopped by the
safety gate, 3 configuration or input unusable, 4 refused: another run holds a target.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.app.cli_ad import app as ad_app
from provisioner.app.cli_bot import app as bot_app
from provisioner.app.cli_breach import app as breach_app
from provisioner.app.cli_consent import app as consent_app
from provisioner.app.cli_failures import clean_failures
from provisioner.app.cli_report import report_app
from provisioner.app.cli_serve import nightly_app, serve_app
from provisioner.config import Config, database_url, load_config
from provisioner.errors import ConfigError
from provisioner.execution.engine import RunReport, SyncRequest
from provisioner.planning.models import OpType
from provisioner.store.db import ensure_current, make_engine, session_factory, upgrade
from provisioner.store.tables import JournalEntry, SyncOutcome, SyncRun

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
runs_app = typer.Typer(help="Past runs: what changed, what failed, what was stopped.")
audit_app = typer.Typer(help="The audit trail: verify it, or show who changed what.")
config_app = typer.Typer(help="The board configuration.")
db_app = typer.Typer(help="The state store.")
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

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        envvar="PROVISIONER_CONFIG",
        help="The board's provisioner.toml.",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="One JSON object for scripts and monitoring.")
]
DEFAULT_CONFIG = Path("provisioner.toml")
DEMO_DIR = Path(".provisioner-demo")
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


# -- helpers ------------------------------------------------------------------------------


def _open(config_path: Path) -> tuple[Config, sessionmaker[Session]]:
    config = load_config(config_path)
    engine = make_engine(database_url(config, config_path.parent))
    ensure_current(engine)
    return config, session_factory(engine)


def _sessions_only(config_path: Path) -> sessionmaker[Session]:
    env_url = os.environ.get("PROVISIONER_DATABASE_URL")
    if env_url and not config_path.exists():
        engine = make_engine(env_url)
    else:
        config = load_config(config_path)
        engine = make_engine(database_url(config, config_path.parent))
    ensure_current(engine)
    return session_factory(engine)


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
                tasks[target] = progress.add_task(f"applying to {target}", total=total)
            progress.update(tasks[target], completed=done)

        yield update


def _run_sync(
    config_path: Path,
    request: SyncRequest,
    as_json: bool,
    prepare: Callable[[Config, ExitStack], Config] | None = None,
) -> RunReport:
    from provisioner.app.wiring import run_sync

    config, sessions = _open(config_path)
    with ExitStack() as stack:
        if prepare is not None:
            config = prepare(config, stack)
        with _progress(not as_json) as progress:
            return run_sync(config, sessions, request, progress)


def _show_report(report: RunReport, *, show_operations: int = 0) -> None:
    colour = {"applied": "green", "dry_run": "cyan", "stopped": "yellow"}.get(report.status, "red")
    out.print(f"Run [bold]{report.run_id}[/bold]: [{colour}]{report.status}[/{colour}]")
    if report.source_counts:
        out.print("Read: " + ", ".join(f"{k} {v}" for k, v in sorted(report.source_counts.items())))
    for resumed in report.resumed:
        out.print(f"Finished the interrupted run {resumed} first.")
    for target in report.targets:
        if not target.operations:
            out.print(f"Nothing to change in {target.name}: it is in step with the sources.")
            continue
        title = f"Operations on {target.name}"
        if report.status == "dry_run":
            title += " (not applied: dry run)"
        table = Table(title=title)
        for column in ("operation", "staff", "pupils", "groups, other"):
            table.add_column(column, justify="left" if column == "operation" else "right")
        by_kind: dict[tuple[str, str], int] = {}
        for op in target.operations:
            kind = op.key.split(":", 1)[0]
            kind = "other" if op.type in GROUP_OPS or kind not in ("staff", "pupil") else kind
            by_kind[op.type.value, kind] = by_kind.get((op.type.value, kind), 0) + 1
        for op_type in OpType:
            row = [by_kind.get((op_type.value, kind), 0) for kind in ("staff", "pupil", "other")]
            if any(row):
                table.add_row(op_type.value.replace("_", " "), *(str(n) if n else "" for n in row))
        table.caption = f"{_count(len(target.operations), 'operation')}"
        if report.status in ("applied", "partial", "failed"):
            table.caption += f", {target.failed} failed"
        out.print(table)
        if target.stopped:
            out.print(f"[red]{escape(target.stopped)}[/red]")
        if show_operations:
            notable = [op for op in target.operations if op.type in NOTABLE]
            for op in notable[:show_operations]:
                out.print(f"  {op.type.value:<16} {op.key:<20} {escape(op.reason)}")
            if len(notable) > show_operations:
                out.print(f"  ... and {len(notable) - show_operations} more")
    if report.problems:
        out.print(
            f"[yellow]{_count(len(report.problems), 'record')} could not be used"
            " (the people they belong to were left as they were):[/yellow]"
        )
        for problem in report.problems[:20]:
            out.print(f"  - {escape(problem)}")
    if report.issues:
        out.print(f"[yellow]{_count(len(report.issues), 'thing')} to look at:[/yellow]")
        for issue in report.issues[:20]:
            out.print(f"  - {escape(issue)}")
    for reason in report.stop_reasons:
        out.print(f"[yellow]Stopped:[/yellow] {escape(reason)}")


# -- commands -----------------------------------------------------------------------------


@app.command()
def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the demo board lives.")
    ] = DEMO_DIR,
    staff: Annotated[int, typer.Option(help="Staff members of the generated board.")] = 60,
    pupils: Annotated[int, typer.Option(help="Pupils of the generated board.")] = 700,
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 2026,
    fresh: Annotated[bool, typer.Option(help="Throw the demo board away and start again.")] = False,
    hr: Annotated[
        str, typer.Option(help="Read staff from: csv, afas or youforce (an emulator).")
    ] = "csv",
    sis: Annotated[
        str,
        typer.Option(
            help="Read pupils from: oneroster, somtoday, parnassys or magister (an emulator)."
        ),
    ] = "oneroster",
    sis_staff: Annotated[
        bool, typer.Option(help="Also keep staff accounts in that SIS in step with HR.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Generate a realistic demo board (once) and run a full sync of it.

    The board is written as HR, SIS and consent files with a configuration beside them; the
    sync applies to the built-in reference directory and to a Microsoft 365 tenant served by
    the built-in Graph emulator, both kept in the same folder. Run it twice: the second run
    plans nothing and writes nothing.
    """
    with clean_failures(as_json):
        report = _demo(directory, staff, pupils, seed, fresh, hr, sis, sis_staff, as_json)
    if as_json:
        print(json.dumps(report.as_json()))
    else:
        _show_report(report, show_operations=12)
        config_path = directory / "provisioner.toml"
        out.print(
            f"\nInspect it: provisioner runs show {report.run_id} -c {config_path}   "
            f"|   provisioner audit verify -c {config_path}"
        )
    raise typer.Exit(report.exit_code())


def _demo(
    directory: Path,
    staff: int,
    pupils: int,
    seed: int,
    fresh: bool,
    hr: str,
    sis: str,
    sis_staff: bool,
    as_json: bool,
) -> RunReport:
    from provisioner.app.demo.existing import seed_existing_accounts
    from provisioner.app.demo.generator import generate_board
    from provisioner.execution.engine import today_in_amsterdam

    config_path = directory / "provisioner.toml"
    if fresh and directory.exists():
        import shutil

        shutil.rmtree(directory)
    if not config_path.exists():
        generate_board(
            directory,
            today=today_in_amsterdam(),
            seed=seed,
            staff=staff,
            pupils=pupils,
            m365_emulator=True,
        )
        seed_existing_accounts(config_path)
        if not as_json:
            out.print(
                f"Generated a demo board with {staff} staff and {pupils} pupils in {directory}/"
            )
    from provisioner.app.demo.systems import HR_SYSTEMS, SIS_SYSTEMS, serve_systems

    if hr not in HR_SYSTEMS or sis not in SIS_SYSTEMS:
        raise ConfigError(
            f"--hr is one of {', '.join(HR_SYSTEMS)}; --sis one of {', '.join(SIS_SYSTEMS)}"
        )
    today = today_in_amsterdam()

    def systems(config: Config, stack: ExitStack) -> Config:
        return serve_systems(
            config, directory, hr=hr, sis=sis, today=today, stack=stack, sis_staff=sis_staff
        )

    return _run_sync(config_path, SyncRequest(), as_json, prepare=systems)


@app.command()
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
        today = _date(as_of) if as_of else None
        request = SyncRequest(dry_run=dry_run, approve=approve, scope=person, today=today)
        report = _run_sync(config, request, as_json)
    if as_json:
        print(json.dumps(report.as_json()))
    else:
        _show_report(report, show_operations=20 if dry_run else 0)
    raise typer.Exit(report.exit_code())


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
    sessions = _sessions_only(config)
    with sessions() as session:
        rows = (
            session.execute(select(SyncRun).order_by(SyncRun.started_at.desc()).limit(limit))
            .scalars()
            .all()
        )
    if as_json:
        print(json.dumps([_run_json(r) for r in rows]))
        return
    table = Table(title="Runs")
    for column in ("run", "started (UTC)", "status", "by", "operations", "failed", "why stopped"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.id,
            f"{_utc(r.started_at):%Y-%m-%d %H:%M}",
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
    sessions = _sessions_only(config)
    with sessions() as session:
        run = session.get(SyncRun, run_id)
        if run is None:
            raise ConfigError(f"there is no run {run_id}")
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
    out.print(
        f"Run [bold]{run.id}[/bold] by {run.actor}: {run.status}, "
        f"{run.total} operations, {run.failed} failed"
    )
    for reason in run.stop_reasons:
        out.print(f"[yellow]Stopped:[/yellow] {escape(reason)}")
    for problem in run.problems:
        out.print(f"  - {escape(problem)}")
    summary: dict[str, int] = {}
    for o in outcomes:
        summary[o.outcome] = summary.get(o.outcome, 0) + 1
    if summary:
        out.print("Objects: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.items())))
    table = Table(title="Outcomes needing attention")
    for column in ("target", "object", "outcome", "reason"):
        table.add_column(column)
    for o in outcomes:
        if o.outcome in ("failed", "rejected", "skipped"):
            table.add_row(o.target, o.object_key, o.outcome, escape(o.reason))
    if table.row_count:
        out.print(table)
    if drift:
        # One line each (no table), so a line never wraps and a script can grep it.
        out.print(f"Drift found and repaired ({len(drift)}):")
        for entry in drift:
            out.print(
                f"  - {escape(entry.target)} {escape(entry.object_key)}: "
                f"{escape(_drift_repair(entry))} ({escape(entry.reason)})",
                soft_wrap=True,
            )


def _drift_repair(entry: JournalEntry) -> str:
    """What the run did about one piece of drift, in words (keys only, no names)."""
    group = entry.group_key or "?"
    if entry.op_type == OpType.REMOVE_MEMBER.value:
        return f"member added by hand, removed from group {group}"
    if entry.op_type == OpType.REVOKE_LIBRARY.value:
        return "access given by hand (a grant or a nested group), taken away"
    if entry.op_type == OpType.GRANT_LIBRARY.value:
        return f"permissions missing or changed by hand, set again for group {group}"
    return entry.op_type.replace("_", " ")


@audit_app.command("verify")
def audit_verify(
    config: ConfigOption = DEFAULT_CONFIG,
    anchors: Annotated[
        list[Path] | None,
        typer.Option(
            "--anchors",
            help="Chain heads published off the box: the [audit] anchor_file, or an export "
            "of the morning reports (mbox, .eml, Slack, text with 'Audit anchor: seq N, "
            "sha256 H'). May be given more than once.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check that no audit record was edited, inserted or deleted, that the append-only
    triggers are in place and, with --anchors, that every published head is still there."""
    from provisioner.audit.anchor_check import verify_trail
    from provisioner.audit.anchors import read_anchors

    try:
        published, notes = read_anchors(anchors or [])
    except ConfigError as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": str(exc)}))
        else:
            err.print(f"[red]Cannot continue:[/red] {escape(str(exc))}")
        raise typer.Exit(3) from exc
    sessions = _sessions_only(config)
    with sessions() as session:
        result = verify_trail(session, published, notes)
    if as_json:
        body = {"ok": result.ok, "checked": result.checked, "anchors": result.anchors}
        print(json.dumps(body | {"problems": result.problems, "notes": result.notes}))
        raise typer.Exit(0 if result.ok else 1)
    against = f", against {result.anchors} published heads" if result.anchors else ""
    if result.ok:
        out.print(
            f"[green]The audit trail is intact[/green]: {result.checked} records checked{against}."
        )
    else:
        out.print(
            f"[red]The audit trail was tampered with[/red] ({result.checked} records "
            f"checked{against}):"
        )
        for problem in result.problems:
            out.print(f"  - {escape(problem)}")
    for note in result.notes:
        out.print(f"  [yellow]Note:[/yellow] {escape(note)}")
    raise typer.Exit(0 if result.ok else 1)


@audit_app.command("show")
def audit_show(
    config: ConfigOption = DEFAULT_CONFIG,
    person: Annotated[str | None, typer.Option(help="staff:<nr>, pupil:<id>, or an actor.")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this date (YYYY-MM-DD).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many records.")] = 200,
    as_json: JsonOption = False,
) -> None:
    """Who changed what, when and why: filtered by person and period, newest first."""
    from provisioner.audit.service import show

    sessions = _sessions_only(config)
    with sessions() as session:
        events = show(
            session,
            person=person,
            since=_moment(since) if since else None,
            until=_moment(until) if until else None,
            limit=limit,
        )
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "seq": e.seq,
                        "at": _utc(e.at).isoformat(),
                        "actor": e.actor,
                        "action": e.action,
                        "target": e.target,
                        "object": e.object_key,
                        "run_id": e.run_id,
                        "reason": e.reason,
                        "change": json.loads(e.change),
                    }
                    for e in events
                ]
            )
        )
        return
    table = Table(title="Audit trail")
    for column in ("#", "when (UTC)", "actor", "action", "target", "object", "reason"):
        table.add_column(column)
    for e in events:
        table.add_row(
            str(e.seq),
            f"{_utc(e.at):%Y-%m-%d %H:%M:%S}",
            e.actor,
            e.action,
            e.target or "",
            e.object_key or "",
            escape(e.reason),
        )
    out.print(table)


@config_app.command("check")
def config_check(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Explain every problem in the configuration and its input files."""
    from provisioner.app.config_check import check

    problems = check(config)
    if not problems:
        out.print(f"[green]{config} is fine.[/green]")
        return
    out.print(f"[red]{len(problems)} problem(s) in {config}:[/red]")
    for problem in problems:
        out.print(f"  - {problem}")
    raise typer.Exit(3)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = DEFAULT_CONFIG) -> None:
    """Create or upgrade the state store's schema (also done before every command)."""
    env_url = os.environ.get("PROVISIONER_DATABASE_URL")
    url = (
        env_url
        if env_url and not config.exists()
        else database_url(load_config(config), config.parent)
    )
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine)() as session:
        runs = session.execute(select(func.count()).select_from(SyncRun)).scalar_one()
    out.print(f"The state store is up to date ({runs} runs kept).")


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


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _utc(moment: datetime) -> datetime:
    """SQLite gives naive UTC back, PostgreSQL an aware time in the server's zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"'{value}' is not a date (YYYY-MM-DD)") from exc


def _moment(value: str) -> datetime:
    return datetime.combine(_date(value), datetime.min.time(), tzinfo=UTC)
