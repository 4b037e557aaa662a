"""The terminal front end: the same engine and flows as Slack, for trying things out, for
admins without Slack, and for tests.

    console = Console(config, sessions, as_email="l.leider@bestuur.nl")
    console.say("Jan de Vries gaat per 1 december uit dienst")   # -> [reply dict, ...]
    console.press("confirm", "staff:100123")                     # a button of the last reply
    console.notices                                              # messages for other people

A reply as a dict: ``text``, ``facts`` (list of [label, value]), ``buttons`` (label, action,
value, style, flow), ``data``, ``private``, ``flow``. The command line
(``provisioner bot console --as EMAIL [--json]``) prints one per line in ``--json`` mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import Flow, Notice, Reply
from bot.engine import ChatEngine, Incoming, Outcome, now_in_amsterdam
from provisioner.config import Config


def reply_dict(reply: Reply, flow: str | None) -> dict[str, Any]:
    return {
        "text": reply.text,
        "facts": [[label, value] for label, value in reply.facts],
        "buttons": [
            {
                "label": b.label,
                "action": b.action,
                "value": b.value,
                "style": b.style,
                "flow": flow,
            }
            for b in reply.buttons
        ],
        "data": dict(reply.data),
        "private": reply.private,
        "expects_text": reply.expects_text,
        "flow": flow,
    }


def notice_dict(notice: Notice, flow: str | None) -> dict[str, Any]:
    return {"to": notice.audience.value, "person_key": notice.person_key,
            **reply_dict(notice.reply, flow)}


_BUTTON = re.compile(r"#\s*(\d+)|\[\s*(\d+)\s*\]")


class Console:
    """One person's conversation with the bot, in-process."""

    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        *,
        as_email: str,
        services: dict[str, Any] | None = None,
        clock: Callable[[], datetime] = now_in_amsterdam,
        flows: Sequence[Flow] | None = None,
        engine: ChatEngine | None = None,
        deliver: Callable[[Notice, str], int] | None = None,
    ) -> None:
        if engine is None:
            from bot.flows import available_flows

            engine = ChatEngine(
                config,
                sessions,
                list(flows) if flows is not None else available_flows(),
                services=services if services is not None else {},
                clock=clock,
            )
        self.engine = engine
        self.who = Incoming("console", f"console:{as_email.lower()}", "console", as_email)
        self.notices: list[dict[str, Any]] = []
        self.last: list[dict[str, Any]] = []
        self._reach = deliver
        self._seen: dict[tuple[str, str], str] = {}  # every button shown: its flow

    def say(self, text: str) -> list[dict[str, Any]]:
        """A message; ``/uitdienst ...`` and the other slash commands start their flow."""
        stripped = text.strip()
        if stripped.startswith("/"):
            command, _, rest = stripped.partition(" ")
            if self.engine.flow_for_command(command) is not None:
                return self._show(self.engine.command(self.who, command, rest.strip(),
                                                      deliver=self.deliver))
        return self._show(self.engine.message(self.who, stripped, deliver=self.deliver))

    def press(self, action: str, value: str = "", flow: str | None = None) -> list[dict[str, Any]]:
        """Press a button: its ``action`` (``"flow:action"`` also works) and ``value``. A
        value may be given by its first part: ``press("confirm", "staff:100123")`` presses
        the last shown confirm button of that person (its value also carries the plan's
        identity, ``staff:100123|2026-12-01|<fingerprint>|<nonce>``)."""
        if flow is None and ":" in action:
            prefix, _, rest = action.partition(":")
            if prefix in self.engine.flows:
                flow, action = prefix, rest
        shown = [b for r in self.last for b in r["buttons"] if b["action"] == action
                 and (b["value"] == value or str(b["value"]).split("|")[0] == value)]
        if shown and value and shown[-1]["value"] != value:
            value = str(shown[-1]["value"])
        if flow is None:
            flow = next((b["flow"] for b in shown), None) or self._seen.get((action, value))
        return self._show(self.engine.press(self.who, flow, action, value,
                                            deliver=self.deliver))

    def deliver(self, notice: Notice, flow: str) -> int:
        """A notice a flow sends now (the FG about a breach). The terminal reaches nobody
        but its own user, so unless the console was given a way to reach people
        (``deliver=``, e.g. the Slack runtime's) the count is 0 and the flow says so
        truthfully ("tell the FG yourself"). The notice is kept in :attr:`notices` either
        way, with its ``to``, so the person at the terminal sees what would have gone."""
        self.notices.append(notice_dict(notice, flow))
        return self._reach(notice, flow) if self._reach is not None else 0

    def enter(self, line: str) -> list[dict[str, Any]]:
        """A line typed in the terminal. ``#2`` (or ``[2]``) presses the second button of the
        last answer; a bare ``2`` does so only when that answer has buttons and does not
        want a typed answer (a breach report's "how many people?" takes "2" as the count).
        Anything else is a message."""
        text = line.strip()
        buttons = self.buttons()
        marked = _BUTTON.fullmatch(text)
        number = (marked.group(1) or marked.group(2)) if marked else None
        if number is None and text.isdigit() and not any(r["expects_text"] for r in self.last):
            number = text
        if number is not None and 1 <= int(number) <= len(buttons):
            button = buttons[int(number) - 1]
            return self.press(button["action"], button["value"], flow=button["flow"])
        return self.say(text)

    def buttons(self) -> list[dict[str, Any]]:
        """The buttons of the last answer, in order (the terminal numbers them from 1)."""
        return [b for reply in self.last for b in reply["buttons"]]

    def _show(self, outcome: Outcome) -> list[dict[str, Any]]:
        self.notices += [notice_dict(n, outcome.flow) for n in outcome.notices]
        self.last = [reply_dict(r, outcome.flow) for r in outcome.replies]
        for button in (b for r in self.last for b in r["buttons"] if b["flow"]):
            # a button pressed again later (a double press) still reaches its flow
            self._seen[(button["action"], str(button["value"]))] = str(button["flow"])
        return self.last


def render_text(reply: dict[str, Any], first_number: int = 1) -> str:
    """A reply for a human in a terminal."""
    lines = [reply["text"]]
    lines += [f"  {label}: {value}" for label, value in reply["facts"]]
    if reply["buttons"]:
        lines.append("  " + "   ".join(
            f"[{first_number + i}] {b['label']}" for i, b in enumerate(reply["buttons"])
        ))
    return "\n".join(lines)
