"""Block Kit views of the bot's replies: pure functions from data to Slack JSON.

A button's ``action_id`` is ``<flow>:<action>:<n>`` (unique within its message, as Slack
requires); :func:`parse_action_id` gives the flow and action back.

Every text that Slack reads as mrkdwn (a section's text, each fact's label and value, the
``text`` fallback of a message) goes through :func:`escape_mrkdwn` here, once, so no flow can
forget it: ``&``, ``<`` and ``>`` become ``&amp;``, ``&lt;`` and ``&gt;`` (Slack's documented
escaping), and a name from HR such as ``<!channel>``, ``<@U123>`` or
``<https://evil.example|klik hier>`` is shown as written, never as a mention or a link. The
flows therefore never produce links or mentions themselves. Button labels are plain_text
(shown as written by Slack itself). Text coming in from Slack arrives escaped the same way
and is read back with :func:`unescape_mrkdwn`.
"""

from __future__ import annotations

from typing import Any

from bot.conversation import Language, Reply

MAX_FIELDS = 10  # per section block
MAX_FIELD_CHARS = 2000
MAX_TEXT_CHARS = 3000  # a section's text, and the fallback text we send
MAX_LABEL_CHARS = 75  # a button's label
MAX_BUTTONS = 25  # per actions block
OFFBOARDING_MODAL = "offboarding-modal"


def action_id(flow: str, action: str, index: int) -> str:
    return f"{flow}:{action}:{index}"


def parse_action_id(value: str) -> tuple[str, str]:
    """``"offboarding:confirm:0"`` -> ``("offboarding", "confirm")``."""
    flow, _, rest = value.partition(":")
    action = rest.rsplit(":", 1)[0] if ":" in rest else rest
    return flow, action


def escape_mrkdwn(text: str) -> str:
    """``&``, ``<``, ``>`` as Slack wants them in mrkdwn: no mention, link or command can be
    made from ``text``. ``&`` first, so the escapes made here are not escaped again."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape_mrkdwn(text: str) -> str:
    """What a person typed, from the text Slack sends (it escapes ``&``, ``<``, ``>`` the
    same way): the inverse of :func:`escape_mrkdwn`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _cut(escaped: str, limit: int) -> str:
    """``escaped`` to at most ``limit`` characters without leaving half an ``&...;``."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[:limit]
    amp = cut.rfind("&", max(0, limit - 4))  # "&amp;" is the longest: five characters
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut


def reply_blocks(reply: Reply, flow: str | None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": fallback_text(reply)}}
    ]
    facts = list(reply.facts)
    for start in range(0, len(facts), MAX_FIELDS):
        blocks.append({
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": _cut(
                    f"*{escape_mrkdwn(label)}*\n{escape_mrkdwn(value)}", MAX_FIELD_CHARS)}
                for label, value in facts[start : start + MAX_FIELDS]
            ],
        })
    if reply.buttons and flow:
        elements = []
        for index, button in enumerate(reply.buttons[:MAX_BUTTONS]):
            element: dict[str, Any] = {
                "type": "button",
                "text": {"type": "plain_text", "text": button.label[:MAX_LABEL_CHARS]},
                "action_id": action_id(flow, button.action, index),
                "value": button.value,
            }
            if button.style:
                element["style"] = button.style
            elements.append(element)
        blocks.append({"type": "actions", "block_id": f"{flow}-actions", "elements": elements})
    return blocks


def fallback_text(reply: Reply) -> str:
    """The notification text (Slack shows it where blocks cannot be shown), escaped."""
    return _cut(escape_mrkdwn(reply.text), MAX_TEXT_CHARS)


def offboarding_modal(language: Language, channel: str) -> dict[str, Any]:
    """The offboarding form: who, and the last working day (a date picker)."""
    en = language == "en"
    return {
        "type": "modal",
        "callback_id": OFFBOARDING_MODAL,
        "private_metadata": f"{language}|{channel}",
        "title": {"type": "plain_text", "text": "Offboarding" if en else "Uit dienst"},
        "submit": {"type": "plain_text", "text": "Next" if en else "Verder"},
        "close": {"type": "plain_text", "text": "Cancel" if en else "Annuleren"},
        "blocks": [
            {
                "type": "input",
                "block_id": "person",
                "label": {"type": "plain_text",
                          "text": "Who is leaving?" if en else "Wie gaat er uit dienst?"},
                "element": {"type": "plain_text_input", "action_id": "name"},
            },
            {
                "type": "input",
                "block_id": "day",
                "label": {"type": "plain_text",
                          "text": "Last working day" if en else "Laatste werkdag"},
                "element": {"type": "datepicker", "action_id": "last_day"},
            },
        ],
    }


def modal_text(values: dict[str, Any]) -> str:
    """The offboarding modal's answers as the text the flow reads: "<name> <YYYY-MM-DD>"."""
    name = values.get("person", {}).get("name", {}).get("value") or ""
    day = values.get("day", {}).get("last_day", {}).get("selected_date") or ""
    return f"{name} {day}".strip()
