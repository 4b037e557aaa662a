"""Direct messages in free text (Events API ``message.im``); everything else that arrives as
a ``message`` event (channels, the bot's own messages, edits) is acknowledged and ignored."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks import unescape_mrkdwn
from bot.engine import Incoming
from bot.slack_deps import SlackDeps


def register_messages(app: App, deps: SlackDeps) -> None:
    app.event("message")(partial(on_message, deps))


def on_message(
    deps: SlackDeps,
    ack: Ack,
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
) -> None:
    ack()
    deps.background(lambda: handle_message(deps, event, body, context, client))


def handle_message(
    deps: SlackDeps,
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
) -> None:
    if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
        return
    if not deps.first_delivery(body, context.user_id):
        return
    who: Incoming = context["who"]
    outcome = deps.engine.message(
        who, unescape_mrkdwn(str(event.get("text") or "")), deliver=deps.front.deliverer(client)
    )
    deps.front.to_channel(client, who.channel, outcome, who.user, None)
