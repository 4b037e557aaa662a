"""Authorisation before any listener: who is asking (Slack user -> verified e-mail via
``users.info``, cached -> HR). Unknown people are refused on the spot; the refusal's audit
event is written after the acknowledgement, and a redelivery is refused only once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.blocks import fallback_text
from bot.conversation import Language
from bot.engine import Incoming
from bot.language import choose_language
from bot.slack_commands import ENGLISH_COMMANDS
from bot.slack_deps import SlackDeps

log = logging.getLogger("provisioner.bot.slack")


def register_asker_check(app: App, deps: SlackDeps) -> None:
    app.middleware(partial(resolve_asker, deps))


def resolve_asker(
    deps: SlackDeps,
    req: BoltRequest,
    context: BoltContext,
    body: dict[str, Any],
    next: Callable[[], None],
) -> BoltResponse | None:
    event = body.get("event") or {}
    user_id = context.user_id
    if body.get("type") == "url_verification" or not user_id:
        next()
        return None
    if event and (event.get("bot_id") or event.get("subtype")):
        next()  # the bot's own messages and edits: the listener ignores them
        return None
    log.debug("slack %s", body.get("command") or event.get("type") or body.get("type"))
    client = context.client
    assert client is not None
    channel = str(
        body.get("channel_id")
        or event.get("channel")
        or (body.get("channel") or {}).get("id")
        or ""
    )
    who = Incoming("slack", user_id, channel, deps.front.email_of(client, user_id))
    asker = deps.front.asker_of(who)
    if asker is None:
        return refuse_unknown(deps, who, body, client)
    context["who"] = who
    context["asker"] = asker
    next()
    return None


def refuse_unknown(
    deps: SlackDeps, who: Incoming, body: dict[str, Any], client: WebClient
) -> BoltResponse:
    """The answer to someone the directory does not know: ephemeral for a slash command,
    after the acknowledgement where a button was pressed, in a direct message, or else
    in a direct message to them. Nothing is written before the acknowledgement: a slash
    command's refusal is audited after it, and for the others (which Slack may deliver
    twice) whether this is a redelivery is asked after it too, so the answer never waits
    for the database (a nightly run may be writing to it)."""
    event = body.get("event") or {}
    command = str(body.get("command") or "")
    language = choose_language(
        str(body.get("text") or event.get("text") or ""),
        "en" if command in ENGLISH_COMMANDS else None,
        deps.engine.default_language,
    )
    if command:  # never redelivered: no key, refused at once
        reply = deps.engine.refuse_unknown(who, language, defer=deps.background).replies[0]
        return BoltResponse(
            status=200,
            body={"response_type": "ephemeral", "text": fallback_text(reply)},
            headers={"content-type": "application/json"},
        )
    deps.background(lambda: _refuse_after_ack(deps, who, body, client, language))
    return BoltResponse(status=200, body="")


def _refuse_after_ack(
    deps: SlackDeps, who: Incoming, body: dict[str, Any], client: WebClient, language: Language
) -> None:
    """A button press or a message from someone unknown, once (refused once, not again for
    a redelivery): audited, then answered where it was pressed or written."""
    user_id, channel = who.user, who.channel
    if not deps.first_delivery(body, user_id):
        return
    reply = deps.engine.refuse_unknown(who, language).replies[0]
    response_url = body.get("response_url")
    if response_url:  # a button: answer where it was pressed
        WebhookClient(str(response_url)).send(
            text=fallback_text(reply), response_type="ephemeral", replace_original=False
        )
    elif channel.startswith("D"):  # a direct message: answer there
        client.chat_postMessage(channel=channel, text=fallback_text(reply))
    else:
        deps.front.direct(client, user_id, reply, None)
