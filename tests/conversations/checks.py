"""Small assertions the scenarios share (pure functions over the driver's messages)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from provisioner.privacy.breaches import BreachRecord, BreachRegister
from tests.conversations.drivers import Driver, Msg


def having(messages: Sequence[Msg], key: str) -> Msg:
    """The first message whose ``data`` has ``key``."""
    for message in messages:
        if key in message.data:
            return message
    raise AssertionError(f"no message with data {key!r}: {[dict(m.data) for m in messages]}"
                         f" {[m.text[:80] for m in messages]}")


def none_having(messages: Sequence[Msg], key: str) -> None:
    assert not [m for m in messages if key in m.data], [m.text[:80] for m in messages]


def shown(messages: Sequence[Msg]) -> str:
    return "\n".join(m.shown for m in messages)


def as_shown(d: Driver, text: str) -> str:
    """``text`` (a name from HR) as the front end shows it: Slack's mrkdwn escapes ``&``,
    ``<`` and ``>``; the terminal shows it as written."""
    if d.front != "slack":
        return text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(message: Msg) -> list[str]:
    """Every text of a Slack message that Slack reads as mrkdwn (mentions, links): the
    fallback ``text``, section texts and fields. Button labels are ``plain_text``: shown as
    written, never read as markup."""
    sent = json.loads(message.raw)
    texts = [str(sent.get("text", ""))]
    for block in sent.get("blocks", []):
        for item in [block.get("text") or {}, *block.get("fields", [])]:
            if item.get("type") == "mrkdwn":
                texts.append(str(item["text"]))
    return texts


def breaches(d: Driver) -> list[BreachRecord]:
    return BreachRegister(d.world.sessions()).list()


def change(event: Any) -> dict[str, Any]:
    """An audit event's ``change`` as a dict."""
    loaded = json.loads(event.change) if event.change else {}
    assert isinstance(loaded, dict)
    return loaded
