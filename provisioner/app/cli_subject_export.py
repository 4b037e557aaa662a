"""``provisioner subject export PERSON``: the bundle of everything the product holds about one
person, as JSON and as a readable document (HTML, PDF) in the board's language.

The export is audited (``subject.export``: who made it, when, in which forms), never its
content. ``--live`` also reads each configured target's current account of the person
(the targets are built in dry-run, so nothing can be written; a target that cannot be read
is named with the kind of error).
"""

from __future__ import annotations

import getpass
import json
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.subject_document import render_html, render_pdf
from provisioner.accountability.subject_export import ExportRequest, collect
from provisioner.accountability.subject_requests import SubjectError
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
from provisioner.i18n import N_, cli_language, tr

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

#: The sections the summary at the terminal counts.
SECTIONS = {
    "accounts": N_("accounts"),
    "groups": N_("access groups"),
    "consents": N_("consent answers"),
    "tasks": N_("manual tasks"),
    "requests": N_("requests"),
    "breaches": N_("breaches"),
    "audit_events": N_("audit events"),
}


def export(
    person: Annotated[str, typer.Argument(metavar="PERSON", help="staff:<nr> or pupil:<id>.")],
    html: Annotated[Path | None, typer.Option("--html", help="Write the document here.")] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the document as PDF.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write <person>.json and <person>.html here.")
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="Also read each target's current account.")
    ] = False,
    chat_user: Annotated[
        str | None, typer.Option("--chat-user", help="The person's chat user id (Slack U...).")
    ] = None,
    on: Annotated[str | None, typer.Option("--on", help="The bundle's day; today.")] = None,
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
) -> None:
    """Everything the product holds about PERSON, without other people's data (Art. 15)."""
    with clean_failures(as_json):
        today = parse_date(on) if on else datetime.now(AMSTERDAM).date()
        board, sessions = open_board(config)
        current = read_live(board, person) if live else None
        request = ExportRequest(person, today, chat_user=chat_user, live=current)
        try:
            bundle = collect(sessions, request)
        except SubjectError as exc:
            raise Unusable(exc.message, **exc.values) from exc
        language = board.board.language
        wanted = html is not None or pdf is not None or out_dir is not None
        document = (
            render_html(bundle, board=board.board.name, language=language) if wanted else None
        )
        files = _files(person, html, pdf, out_dir)
        _audit(sessions, person, sorted({*files, *(["json"] if as_json else [])}), live, chat_user)
        _write(files, bundle, document)
    if as_json:
        print(json.dumps(bundle, ensure_ascii=False, default=str))
        return
    _summary(person, bundle, files)


def _files(
    person: str, html: Path | None, pdf: Path | None, out_dir: Path | None
) -> dict[str, Path]:
    files: dict[str, Path] = {}
    if out_dir is not None:
        stem = person.replace(":", "-")
        out_dir.mkdir(parents=True, exist_ok=True)
        files["json"], files["html"] = out_dir / f"{stem}.json", out_dir / f"{stem}.html"
    if html is not None:
        files["html"] = html
    if pdf is not None:
        files["pdf"] = pdf
    return files


def _write(files: dict[str, Path], bundle: dict[str, Any], document: str | None) -> None:
    for form, path in files.items():
        if form == "json":
            path.write_text(json.dumps(bundle, ensure_ascii=False, indent=1, default=str) + "\n",
                            encoding="utf-8")  # fmt: skip
        elif form == "html" and document is not None:
            path.write_text(document, encoding="utf-8")
        elif form == "pdf" and document is not None:
            path.write_bytes(render_pdf(document))


def _audit(
    sessions: sessionmaker[Session], person: str, forms: list[str], live: bool,
    chat_user: str | None,
) -> None:  # fmt: skip
    with sessions.begin() as session:
        record(
            session,
            actor=f"admin:{getpass.getuser()}",
            action="subject.export",
            target="subject_export",
            object_key=person,
            reason="bundle of personal data exported",
            change={"forms": forms or ["summary"], "live": live, "chat": chat_user is not None},
        )


def read_live(config: Config, person: str) -> dict[str, Any]:
    """Each target's current account(s) of ``person``, read through targets built in dry-run
    (they refuse every write); a target that cannot be read gives ``{"error": <kind>}``."""
    from provisioner.app.wiring import build_targets

    found: dict[str, Any] = {}
    with ExitStack() as stack:
        for target in build_targets(config, dry_run=True, stack=stack):
            try:
                accounts = target.find_accounts(person)
            except Exception as exc:  # one unreadable target does not stop the bundle
                found[target.name] = {"error": type(exc).__name__}
                continue
            found[target.name] = [
                {"remote_id": a.remote_id, "username": a.username,
                 "display_name": a.display_name, "given_name": a.given_name,
                 "family_name": a.family_name, "enabled": a.enabled,
                 "attributes": dict(a.attributes), "licences": sorted(a.licences)}
                for a in accounts
            ]  # fmt: skip
    return found


def _summary(person: str, bundle: dict[str, Any], files: dict[str, Path]) -> None:
    language = cli_language()
    counts = ", ".join(
        f"{len(bundle.get(name) or [])} {tr(language, label)}" for name, label in SECTIONS.items()
    )
    out.print(escape(tr(language, "Bundle of {person}: {counts}.", person=person, counts=counts)))
    for form, path in files.items():
        out.print(escape(tr(language, "Written ({form}): {path}", form=form, path=str(path))))
    if not files:
        out.print(
            escape(tr(language, "Write it with --json, --html FILE, --pdf FILE or --out DIR."))
        )
