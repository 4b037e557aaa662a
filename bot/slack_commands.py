"""Slash commands ``/uitdienst /toestemming /datalek`` and ``/offboard /consent /databreach``;
``/uitdienst`` without text opens the offboarding form (see :mod:`bot.slack_views`)."""

from __future__ import annotations

import dataclasses
import re
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks import offboarding_modal, unescape_mrkdwn
from bot.conversation import Language, Reply
from bot.engine import Incoming
from bot.slack_deps import SlackDeps
from provisioner.i18n import tr

COMMANDS = ("/uitdienst", "/offboard", "/toestemming", "/consent", "/datalek", "/databreach")
ENGLISH_COMMANDS = frozenset({"/offboard", "/consent", "/databreach"})
SLASH_COMMAND = re.compile(r"^/[a-z]+$")


def register_commands(app: App, deps: SlackDeps) -> None:
    app.command(SLASH_COMMAND)(partial(on_command, deps))


def on_command(
    deps: SlackDeps,
    ack: Ack,
    command: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    ack()
    deps.background(lambda: handle_command(deps, command, context, client, respond))


def handle_command(
    deps: SlackDeps,
    command: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    engine, front = deps.engine, deps.front
    name = str(command["command"])
    text = unescape_mrkdwn(str(command.get("text") or "")).strip()
    if name in ("/uitdienst", "/offboard") and not text and command.get("trigger_id"):
        language: Language = "en" if name == "/offboard" else "nl"
        client.views_open(
            trigger_id=command["trigger_id"],
            view=offboarding_modal(language, str(command["channel_id"])),
        )
        return
    who: Incoming = context["who"]
    if engine.flow_for_command(name) is None:
        outcome = engine.message(who, "help", deliver=front.deliverer(client))
    else:
        outcome = engine.command(who, name, text, deliver=front.deliverer(client))
    asks = bool(outcome.replies) and "?" in outcome.replies[-1].text  # wants typed text
    if outcome.waiting and asks and not who.channel.startswith("D"):
        hint = Reply(
            tr(outcome.language, "You can answer in your direct messages with me (Apps > the bot).")
        )
        outcome = dataclasses.replace(outcome, replies=(*outcome.replies, hint))
    front.to_channel(client, who.channel, outcome, who.user, respond)
