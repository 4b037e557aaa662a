"""Button presses (``block_actions``, ``action_id`` ``<flow>:<action>:<n>``)."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks import parse_action_id
from bot.engine import Incoming
from bot.slack_deps import SlackDeps

FLOW_ACTION = re.compile(r"^[a-z_]+:[a-z_]+")


def register_actions(app: App, deps: SlackDeps) -> None:
    app.action(FLOW_ACTION)(partial(on_press, deps))


def on_press(
    deps: SlackDeps,
    ack: Ack,
    action: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    ack()
    deps.background(lambda: handle_press(deps, action, body, context, client, respond))


def handle_press(
    deps: SlackDeps,
    action: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    if not deps.first_delivery(body, context.user_id):
        return
    flow, name = parse_action_id(str(action["action_id"]))
    who: Incoming = context["who"]
    outcome = deps.engine.press(
        who, flow, name, str(action.get("value") or ""), deliver=deps.front.deliverer(client)
    )
    deps.front.to_channel(client, who.channel, outcome, who.user, respond)
