"""``provisioner report checklist``: the yearly privacy checklist (seed 002, annex c) with the
evidence the provisioner keeps (docs/accountability.md, "The privacy checklist").

The year is a school year (``--year 2025-2026``: from ``[consent] school_year_start``, 1
August, to the day before the next one starts); by default the school year ``--on`` (today)
falls in, judged up to that day. ``--html`` and ``--pdf`` write the report in the board's
language (``board.language``), stamped with the audit chain head it was built from; each file
written is recorded in the audit trail (``checklist.built``) with its SHA-256, so the FG can
show later that a copy is the one that was made. ``--json`` prints the lines, their verdicts
and their figures. The terminal summary is in the CLI's language.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from provisioner.accountability.checklist import ChecklistReport, Verdict, build_checklist
from provisioner.accountability.checklist_facts import parse_school_year
from provisioner.accountability.checklist_parts import VERDICT_TEXT
from provisioner.accountability.checklist_render import render_html, render_pdf
from provisioner.accountability.checklist_store import gather, period_of
from provisioner.app.cli_common import (
    DEFAULT_CONFIG,
    ConfigOption,
    JsonOption,
    open_board,
    out,
    parse_date,
)
from provisioner.app.cli_failures import Unusable, clean_failures
from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.execution.reports import today_in_amsterdam
from provisioner.i18n import N_, Language, cli_language, tr

FileOption = Annotated[Path | None, typer.Option(help="Write the checklist to this file.")]
YearOption = Annotated[
    str | None,
    typer.Option(
        "--year",
        help="The school year, e.g. 2025-2026 (1 August to 31 July); default: the one --on "
        "falls in.",
    ),
]
OnOption = Annotated[
    str | None,
    typer.Option("--on", help="Judge as on this day (YYYY-MM-DD); today if not set."),
]


def checklist(
    config: ConfigOption = DEFAULT_CONFIG,
    year: YearOption = None,
    on: OnOption = None,
    html: FileOption = None,
    pdf: FileOption = None,
    as_json: JsonOption = False,
) -> None:
    """The privacy checklist of a school year: every line, with the figures, exceptions and
    verdict of the lines the audit trail and the registers evidence; the other lines are to
    be answered by the school."""
    language = None if as_json else cli_language()
    with clean_failures(as_json):
        report, files = build_and_write(
            config, year=year, on=on, html=html, pdf=pdf, terminal=language
        )
    if as_json:
        print(json.dumps(report.to_json() | {"files": files}, ensure_ascii=False, indent=2))
        return
    _show(report, files)


def build_and_write(
    config_path: Path,
    *,
    year: str | None = None,
    on: str | None = None,
    html: Path | None = None,
    pdf: Path | None = None,
    terminal: Language | None = None,
) -> tuple[ChecklistReport, dict[str, str]]:
    """Build the report; write the files asked for (in the board's language) and record
    them in the audit trail. Returns the report (in ``terminal``'s language when given, for
    the screen) and, per file written, its SHA-256."""
    board, sessions = open_board(config_path)
    day = parse_date(on) if on else today_in_amsterdam()
    period = period_of(board, day, _school_year(board, year, day))
    facts = gather(sessions, board, period, datetime.now(UTC))
    report = build_checklist(facts)
    shown = build_checklist(replace(facts, language=terminal)) if terminal else report
    files: dict[str, str] = {}
    if html is None and pdf is None:
        return shown, files
    page = render_html(report)
    if html is not None:
        files[str(html)] = _write(html, page.encode("utf-8"))
    if pdf is not None:
        files[str(pdf)] = _write(pdf, render_pdf(page))
    with sessions.begin() as session:
        record(
            session,
            actor=f"admin:{getpass.getuser()}",
            action="checklist.built",
            target="checklist",
            object_key=period.school_year,
            reason=f"privacy checklist {period.school_year} built from audit event "
            f"{report.head.seq}",
            change={
                "school_year": period.school_year,
                "up_to": period.last.isoformat(),
                "audit_head": {"seq": report.head.seq, "sha256": report.head.sha256},
                "files": {Path(name).name: digest for name, digest in files.items()},
            },
        )
    return shown, files


def write_demo_checklist(directory: Path) -> list[Path]:
    """The demo board's checklist of this school year, beside its configuration."""
    html, pdf = directory / "checklist.html", directory / "checklist.pdf"
    build_and_write(directory / "provisioner.toml", html=html, pdf=pdf)
    return [html, pdf]


def _school_year(board: Config, year: str | None, day: date) -> str | None:
    if year is None:
        return None
    first = parse_school_year(year)
    if first is None:
        raise Unusable(N_("'{year}' is not a school year like 2025-2026"), year=year)
    month, start = (int(p) for p in board.consent.school_year_start.split("-"))
    if date(first, month, start) > day:
        raise Unusable(
            N_("school year {year} has not started on {day}"), year=year, day=day.isoformat()
        )
    return year


def _write(path: Path, content: bytes) -> str:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise Unusable(
            N_("the checklist cannot be written to {path}: {cause}"),
            path=str(path),
            cause=exc.strerror or str(exc),
        ) from exc
    return hashlib.sha256(content).hexdigest()


def _show(report: ChecklistReport, files: dict[str, str]) -> None:
    language = cli_language()
    out.print(f"[bold]{escape(report.texts['title'])}[/bold]", highlight=False)
    out.print(escape(report.texts["subtitle"]), highlight=False)
    for line in report.lines:
        if line.verdict is Verdict.SCHOOL:
            continue
        verdict = tr(language, VERDICT_TEXT[line.verdict])
        out.print(f"{line.number:>2}. {escape(verdict)} ({line.paragraph})", highlight=False)
        for part in line.parts:
            out.print(f"    [bold]{escape(part.title)}[/bold]", highlight=False)
            for figure in part.figures:
                out.print(f"      {escape(figure)}", highlight=False)
            for item in part.exceptions:
                out.print(f"      [red]{escape(item)}[/red]", highlight=False)
    school = sum(1 for line in report.lines if line.verdict is Verdict.SCHOOL)
    out.print(tr(language, "{count} lines are to be answered by the school.", count=school))
    out.print(
        tr(language, "Built from the audit trail up to event {seq} (sha256 {sha256}).",
           seq=report.head.seq, sha256=report.head.sha256),
        highlight=False,
    )  # fmt: skip
    for path, digest in files.items():
        out.print(
            tr(language, "Written to {path} (sha256 {sha256}).", path=path, sha256=digest),
            highlight=False,
        )
