"""``provisioner report register``: the register of processing activities (AVG art. 30),
made from the configuration and the connectors' processing facts (docs/accountability.md).

The terminal shows it in the CLI's language; ``--html`` and ``--pdf`` write it in the
board's (``board.language``); ``--json`` prints ids, the same in every language. The
connected systems and their facts come from ``connectors/registry.py``, which is why this
lives in the composition root; building the register itself is pure
(:mod:`provisioner.accountability.register`).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from connectors.registry import source_connector, target_connector
from provisioner.accountability.register import (
    AgreementFinding,
    AgreementStatus,
    ConnectedSystem,
    Register,
    agreement_findings,
    build_register,
    configured_sources,
)
from provisioner.accountability.register_render import (
    HEADINGS,
    entry_views,
    register_html,
    register_json,
    register_pdf,
)
from provisioner.app.cli_common import DEFAULT_CONFIG, ConfigOption, JsonOption, out, parse_date
from provisioner.app.cli_failures import Unusable
from provisioner.app.config import load_config
from provisioner.config import Config
from provisioner.i18n import N_, Language, cli_language, tr

FileOption = Annotated[Path | None, typer.Option(help="Write the register to this file.")]
OnOption = Annotated[
    str | None, typer.Option("--on", help="The register's date (YYYY-MM-DD); today if not set.")
]


def connected_systems(config: Config) -> list[ConnectedSystem]:
    """Every configured source (by slot) and target (by name) with its connector's facts."""
    systems = [
        ConnectedSystem(slot, "source", source.type, source_connector(source.type).processing)
        for slot, source in configured_sources(config)
    ]
    sis = config.sources.sis
    for target in config.targets:
        type_name = f"{target.type} ({target.sis_system})" if target.sis_system else target.type
        facts = target_connector(target.type).processing
        same_sis = sis is not None and target.sis_system == sis.type  # one supplier, one contract
        covered = "sis" if same_sis else None
        systems.append(ConnectedSystem(target.name, "target", type_name, facts, covered))
    return systems


def board_register(config: Config) -> Register:
    """The board's register: its configuration and its connectors' facts."""
    slack = config.bot.slack.secret("bot_token") is not None
    return build_register(config, connected_systems(config), chat_in_slack=slack)


def agreement_warnings(config: Config, language: Language) -> list[str]:
    """``config check``'s warnings about processor agreements, in ``language``."""
    return [_warning(finding, language) for finding in agreement_findings(board_register(config))]


def _warning(finding: AgreementFinding, language: Language) -> str:
    if finding.status is None:
        message = N_("[processing.agreements.{key}]: no connected system is called {key}")
        return tr(language, message, key=finding.key)
    kind = finding.type_name or "bot"
    if finding.status is AgreementStatus.NO_DATE:
        message = N_("{key} ({kind}): no processor agreement date in [processing.agreements.{key}]")
    else:
        message = N_("{key} ({kind}): no processor agreement in [processing.agreements.{key}]")
    return tr(language, message, key=finding.key, kind=kind)


def register(
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: JsonOption = False,
    html: FileOption = None,
    pdf: FileOption = None,
    on: OnOption = None,
) -> None:
    """The register of processing activities (AVG art. 30): every processing the product
    performs or feeds, with each connected system's processor agreement."""
    board = load_config(config)
    made_on = parse_date(on) if on else datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    the_register = board_register(board)
    written = [path for path in (html, pdf) if path is not None]
    if written:
        page = register_html(the_register, board.board.language, made_on)
        if html is not None:
            _write(html, page.encode("utf-8"))
        if pdf is not None:
            _write(pdf, register_pdf(page))
    if as_json:
        print(json.dumps(register_json(the_register, made_on), ensure_ascii=False, indent=2))
    elif written:
        for path in written:
            out.print(tr(cli_language(), "Register written to {path}.", path=str(path)))
    else:
        _show(the_register, cli_language(), made_on)


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise Unusable(
            N_("cannot write {path}: {cause}"), path=str(path), cause=exc.strerror or str(exc)
        ) from exc


def _show(the_register: Register, language: Language, made_on: date) -> None:
    def heading(key: str) -> str:
        return tr(language, HEADINGS[key])

    not_stated = heading("not_stated")
    out.print(f"[bold]{escape(heading('title'))}[/bold]", highlight=False)
    out.print(f"{heading('controller')}: {escape(the_register.controller)}", highlight=False)
    contact = the_register.controller_contact or not_stated
    out.print(f"{heading('contact')}: {escape(contact)}", highlight=False)
    officer = the_register.privacy_officer or not_stated
    out.print(f"{heading('privacy_officer')}: {escape(officer)}", highlight=False)
    out.print(f"{heading('made_on')}: {made_on.isoformat()}", highlight=False)
    for view in entry_views(the_register, language):
        out.print("")
        colour = "bold" if view.declared else "bold red"
        out.print(f"[{colour}]{escape(view.title)}[/{colour}]", highlight=False)
        if not view.declared:
            out.print(f"  [red]{escape(heading('undeclared_note'))}[/red]", highlight=False)
        out.print(f"  {escape(view.kind)}", highlight=False)
        for key, values in (
            ("purposes", view.purposes),
            ("data", view.data),
            ("people", view.people),
            ("recipients", view.recipients),
            ("measures", view.measures),
        ):
            out.print(f"  {heading(key)}: {escape('; '.join(values))}", highlight=False)
        out.print(f"  {heading('retention')}: {escape(' '.join(view.retention))}", highlight=False)
        if view.agreement is not None:
            colour = "red" if view.agreement_state in ("missing", "no_date") else "green"
            line = f"[{colour}]{escape(view.agreement)}[/{colour}]"
            if view.agreement_state in ("signed", "no_date"):
                line += escape(f" ({view.processor}, {view.signed_on})")
            out.print(f"  {heading('agreement')}: {line}", highlight=False)
    if the_register.unknown_agreements:
        keys = ", ".join(the_register.unknown_agreements)
        out.print(f"\n[red]{heading('unknown_agreements')}:[/red] {escape(keys)}")
