"""``provisioner audit verify`` and ``audit show``: is the trail intact, who changed what."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from provisioner.app.cli_common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    err,
    out,
    sessions_only,
    start_of_day,
    utc,
)
from provisioner.errors import ConfigError
from provisioner.i18n import N_, cli_language, tr

if TYPE_CHECKING:
    from provisioner.audit.service import VerifyResult

audit_app = typer.Typer(help="The audit trail: verify it, or show who changed what.")


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
            label = tr(cli_language(), "Cannot continue:")
            err.print(f"[red]{label}[/red] {escape(str(exc))}")
        raise typer.Exit(3) from exc
    sessions = sessions_only(config)
    with sessions() as session:
        result = verify_trail(session, published, notes)
    if as_json:
        body = {"ok": result.ok, "checked": result.checked, "anchors": result.anchors}
        print(json.dumps(body | {"problems": result.problems, "notes": result.notes}))
        raise typer.Exit(0 if result.ok else 1)
    _show_verdict(result)
    raise typer.Exit(0 if result.ok else 1)


def _show_verdict(result: VerifyResult) -> None:
    language = cli_language()
    ok, checked, anchors = result.ok, result.checked, result.anchors
    if anchors:
        checked_text = tr(
            language,
            "{checked} records checked, against {anchors} published heads",
            checked=checked,
            anchors=anchors,
        )
    else:
        checked_text = tr(language, "{checked} records checked", checked=checked)
    if ok:
        intact = tr(language, "The audit trail is intact")
        out.print(f"[green]{intact}[/green]: {checked_text}.")
    else:
        tampered = tr(language, "The audit trail was tampered with")
        out.print(f"[red]{tampered}[/red] ({checked_text}):")
        for problem in result.problems:
            out.print(f"  - {escape(problem)}")
    label = tr(language, "Note:")
    for note in result.notes:
        out.print(f"  [yellow]{label}[/yellow] {escape(note)}")


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

    sessions = sessions_only(config)
    with sessions() as session:
        events = show(
            session,
            person=person,
            since=start_of_day(since) if since else None,
            until=start_of_day(until) if until else None,
            limit=limit,
        )
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "seq": e.seq,
                        "at": utc(e.at).isoformat(),
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
    language = cli_language()
    table = Table(title=tr(language, "Audit trail"))
    table.add_column("#")
    for column in (
        N_("when (UTC)"),
        N_("actor"),
        N_("action"),
        N_("target"),
        N_("object"),
        N_("reason"),
    ):
        table.add_column(tr(language, column))
    for e in events:
        table.add_row(
            str(e.seq),
            f"{utc(e.at):%Y-%m-%d %H:%M:%S}",
            e.actor,
            e.action,
            e.target or "",
            e.object_key or "",
            escape(e.reason),
        )
    out.print(table)
