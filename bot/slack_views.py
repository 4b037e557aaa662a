"""The offboarding modal's submit (``view_submission``): the form's answers go to the
offboarding flow as the command's text, and the conversation goes on in a direct message."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks import OFFBOARDING_MODAL, modal_text
from bot.engine import Incoming
from bot.slack_deps import SlackDeps


def register_views(app: App, deps: SlackDeps) -> None:
    app.view(OFFBOARDING_MODAL)(partial(on_offboarding_modal, deps))


def on_offboarding_modal(
    deps: SlackDeps, ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    ack()
    deps.background(lambda: handle_offboarding_modal(deps, view, context, client))


def handle_offboarding_modal(
    deps: SlackDeps, view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    who: Incoming = context["who"]
    channel = client.conversations_open(users=who.user)["channel"]["id"]
    in_dm = Incoming("slack", who.user, str(channel), who.email)
    english = str(view.get("private_metadata", "")).startswith("en|")
    text = ("offboard " if english else "") + modal_text(view["state"]["values"])
    outcome = deps.engine.command(
        in_dm, "/offboard" if english else "/uitdienst", text, deliver=deps.front.deliverer(client)
    )
    deps.front.to_channel(client, str(channel), outcome, who.user, None)
