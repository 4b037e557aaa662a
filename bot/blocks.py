"""Block Kit views of the bot's replies: pure functions from data to Slack JSON.

A button's ``action_id`` is ``<flow>:<action>:<n>`` (unique within its message, as Slack
requires); :func:`parse_action_id` gives the flow and action back.
"""

from __future__ import annotations

from typing import Any

from bot.conversation import Language, Reply

MAX_FIELDS = 10  # per section block
MAX_FIELD_CHARS = 2000
MAX_BUTTONS = 25  # per actions block
OFFBOARDING_MODAL = "offboarding-modal"


def action_id(flow: str, action: str, index: int) -> str:
    return f"{flow}:{action}:{index}"


def parse_action_id(value: str) -> tuple[str, str]:
    """``"offboarding:confirm:0"`` -> ``("offboarding", "confirm")``."""
    flow, _, rest = value.partition(":")
    action = rest.rsplit(":", 1)[0] if ":" in rest else rest
    return flow, action


def reply_blocks(reply: Reply, flow: str | None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": reply.text[:3000]}}
    ]
    facts = list(reply.facts)
    for start in range(0, len(facts), MAX_FIELDS):
        blocks.append({
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{value}"[:MAX_FIELD_CHARS]}
                for label, value in facts[start : start + MAX_FIELDS]
            ],
        })
    if reply.buttons and flow:
        elements = []
        for index, button in enumerate(reply.buttons[:MAX_BUTTONS]):
            element: dict[str, Any] = {
                "type": "button",
                "text": {"type": "plain_text", "text": button.label[:75]},
                "action_id": action_id(flow, button.action, index),
                "value": button.value,
            }
            if button.style:
                element["style"] = button.style
            elements.append(element)
        blocks.append({"type": "actions", "block_id": f"{flow}-actions", "elements": elements})
    return blocks


def fallback_text(reply: Reply) -> str:
    """The notification text (Slack shows it where blocks cannot be shown)."""
    return reply.text[:3000]


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
