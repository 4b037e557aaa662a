"""``provisioner bot``: the chat bot from the terminal.

    provisioner bot console --as l.leider@bestuur.nl            # talk to the bot
    provisioner bot console --as l.leider@bestuur.nl --json     # one JSON object per reply

Type a message, or ``#N`` to press button N of the last answer (a bare number works too,
except where the question wants a typed answer, such as a breach report's "how many
people?": there ``2`` is the answer). In ``--json`` mode a line may also be
a JSON object ``{"action": "confirm", "value": "staff:100123"}`` (a button press); every
reply is one JSON object on its own line (``text``, ``facts``, ``buttons``, ``data``,
``private``), and messages the bot sends to other people are objects with a ``to`` key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from provisioner.i18n import cli_language, tr

app = typer.Typer(help="The chat bot: offboarding, photo consent and breach reports.")


@app.command("console")
def console(
    as_email: Annotated[
        str, typer.Option("--as", help="Talk as this staff member (their work e-mail address).")
    ],
    config: Annotated[
        Path,
        typer.Option(
            "--config", "-c", envvar="PROVISIONER_CONFIG", help="The board's provisioner.toml."
        ),
    ] = Path("provisioner.toml"),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per reply.")] = False,
) -> None:
    """Talk to the bot in the terminal: the same conversations as in Slack."""
    from bot.console import Console, render_text
    from provisioner.app.bot_services import default_services
    from provisioner.app.config import load_config
    from provisioner.config import database_url
    from provisioner.store.db import ensure_current, make_engine, session_factory

    board = load_config(config)
    engine = make_engine(database_url(board, config.parent))
    ensure_current(engine)
    sessions = session_factory(engine)
    chat = Console(board, sessions, as_email=as_email, services=default_services(board, sessions))
    interactive = sys.stdin.isatty() and not as_json
    if interactive:
        typer.echo(tr(cli_language(), "Type a message (or #number for a button); Ctrl-D stops."))

    def show(replies: list[dict[str, Any]], seen_notices: int) -> int:
        for reply in replies:
            print(json.dumps(reply, ensure_ascii=False) if as_json else render_text(reply))
        for notice in chat.notices[seen_notices:]:
            if as_json:
                print(json.dumps(notice, ensure_ascii=False))
            else:
                to = tr(cli_language(), "(to {to})", to=notice["to"])
                print(f"{to} " + render_text(notice, first_number=0))
        sys.stdout.flush()
        return len(chat.notices)

    seen = 0
    while True:
        if interactive:
            typer.echo("> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if as_json and text.startswith("{"):
            try:
                pressed = json.loads(text)
                action = str(pressed["action"])
            except (ValueError, KeyError, TypeError):
                expected = '{"action": ..., "value": ...}'
                typer.echo(
                    tr(
                        cli_language(),
                        "not a button press: expected {expected} on one line",
                        expected=expected,
                    ),
                    err=True,
                )
                continue
            replies = chat.press(action, str(pressed.get("value", "")), flow=pressed.get("flow"))
        else:
            replies = chat.enter(text)  # "#2" presses a button; "2" too, unless text is asked
        seen = show(replies, seen)
