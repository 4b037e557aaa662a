"""Two front ends behind one driver interface, so that each scenario is written once.

    d.as_person(cast.leader_a)
    d.say("Inge de Haan gaat per 31-12 uit dienst")     # -> the replies, as Msg
    d.press("Bevestigen")                                 # a button of the last replies
    d.notices_for(cast.central_office)                    # what reached someone else
    d.advance(16); d.tick()                               # the engine's clock, the scheduler

:class:`ConsoleDriver` talks to :class:`bot.console.Console` in-process, as
``provisioner bot console`` does (its own engine; an offboarding's run happens at once).

:class:`SlackDriver` posts signed Slack requests (slash commands, ``message.im`` events,
``block_actions`` presses, Slack's redeliveries) to :meth:`bot.runtime.BotRuntime.handle_http`
and reads what the app sent to the fake Slack Web API (``chat.postMessage``,
``chat.postEphemeral``, ``response_url``, or the slash command's own HTTP answer). Buttons
are pressed with the ``action_id`` and ``value`` of the message as Slack received it. Slack
carries no ``data``: the driver records the engine's replies and notices as they leave the
engine (a spy on the engine and on the front's notify) and pairs each Slack message with the
reply it was rendered from by its text, so the scenarios can assert ``data`` on both fronts;
a Slack message no reply explains (the front's own hint) gets empty ``data``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, Self

from slack_sdk import WebClient

from bot.blocks import fallback_text, parse_action_id
from bot.console import Console, notice_dict
from bot.conversation import Audience, Notice, Reply
from bot.engine import ChatEngine, Outcome
from bot.flows import available_flows
from bot.flows.offboarding import run_due_offboardings
from bot.runtime import BotRuntime
from connectors.emulators.slack import SlackEmulator, SlackRequests
from provisioner.app.bot_services import default_services
from provisioner.directory import StaffEntry
from tests.conversations.world import World, signing_secret

Who = StaffEntry | str  # a staff member, or the e-mail address of someone HR does not know


@dataclass(frozen=True)
class Btn:
    """A button as the person saw it."""

    label: str
    action: str  # the flow's name for it: "confirm", "pick", "task_done", ...
    flow: str | None
    value: str
    where: str = ""  # Slack: the channel of the message; "" in the console
    action_id: str = ""  # Slack: as the message carried it


@dataclass(frozen=True)
class Msg:
    """One message from the bot to one person."""

    text: str
    facts: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Btn, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    to: str = ""  # the recipient's e-mail address
    kind: str = "reply"  # "reply" (to the speaker) or "notice" (to someone else, or later)
    raw: str = ""  # everything the front end sent, as JSON (Slack: text and blocks)

    @property
    def shown(self) -> str:
        """The text and every fact, as one string to look for words in."""
        return "\n".join([self.text, *(f"{label}: {value}" for label, value in self.facts)])

    def fact(self, label: str) -> str:
        return next(value for name, value in self.facts if name == label)


class Driver(Protocol):
    front: str
    world: World

    def as_person(self, who: Who) -> Driver: ...
    def say(self, text: str) -> list[Msg]: ...
    def press(self, button: str | Btn) -> list[Msg]: ...
    def redeliver(self) -> list[Msg]: ...
    def replies(self) -> list[Msg]: ...
    def button(self, label_or_action: str) -> Btn: ...
    def inbox(self, who: Who) -> list[Msg]: ...
    def notices_for(self, who: Who) -> list[Msg]: ...
    def advance(self, minutes: float) -> None: ...
    def tick(self) -> None: ...
    def hr_change(self, number: str,
                  change: Callable[[dict[str, str]], dict[str, str] | None]) -> None: ...
    def close(self) -> None: ...


def email_of(who: Who) -> str:
    if isinstance(who, str):
        return who.lower()
    assert who.email, who.key
    return who.email.lower()


class BaseDriver:
    """What both front ends share: the speaker, the clock, the record of messages."""

    front = "base"

    def __init__(self, world: World) -> None:
        self.world = world
        self.speaker: str = ""
        self._last: list[Msg] = []
        self._all: list[Msg] = []  # every message to anyone, in order

    def as_person(self, who: Who) -> Self:
        self.speaker = email_of(who)
        return self

    def replies(self) -> list[Msg]:
        return list(self._last)

    def button(self, label_or_action: str) -> Btn:
        """The button with this label or action name in the speaker's latest messages that
        have one (the newest first)."""
        mine = [m for m in self._all if m.to == self.speaker and m.buttons]
        for message in reversed(mine):
            for candidate in message.buttons:
                if label_or_action in (candidate.label, candidate.action):
                    return candidate
        shown = [[b.label for b in m.buttons] for m in mine[-3:]]
        raise AssertionError(f"no button {label_or_action!r} for {self.speaker}: {shown}")

    def inbox(self, who: Who) -> list[Msg]:
        email = email_of(who)
        return [m for m in self._all if m.to == email]

    def notices_for(self, who: Who) -> list[Msg]:
        return [m for m in self.inbox(who) if m.kind == "notice"]

    def advance(self, minutes: float) -> None:
        self.world.now = self.world.now + timedelta(minutes=minutes)

    def hr_change(self, number: str,
                  change: Callable[[dict[str, str]], dict[str, str] | None]) -> None:
        self.world.hr_change(number, change)

    def _record(self, messages: Sequence[Msg]) -> list[Msg]:
        self._all += messages
        self._last = [m for m in messages if m.kind == "reply" and m.to == self.speaker]
        return list(self._last)

    def recipients(self, audience: str, person_key: str | None) -> list[str]:
        """The e-mail addresses a notice goes to (as both fronts resolve them)."""
        bot = self.world.config.bot
        if audience == Audience.CENTRAL_OFFICE.value:
            return [e.lower() for e in bot.central_office]
        if audience == Audience.PRIVACY_OFFICER.value:
            return [e.lower() for e in bot.privacy_officers]
        person = self.world.directory().staff(person_key or "")
        return [person.email.lower()] if person is not None and person.email else []


# -- the console ------------------------------------------------------------------------------


class ConsoleDriver(BaseDriver):
    """``bot.console.Console`` in-process: one Console per person on one engine."""

    front = "console"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        services = dict(world.services)
        self.services = services
        self.engine = ChatEngine(world.config, world.sessions(), available_flows(),
                                 services=services, clock=world.clock)
        self.consoles: dict[str, Console] = {}
        self._repeat: Callable[[], list[Msg]] | None = None

    def _console(self) -> Console:
        if self.speaker not in self.consoles:
            self.consoles[self.speaker] = Console(
                self.world.config, self.world.sessions(), as_email=self.speaker,
                engine=self.engine)
        return self.consoles[self.speaker]

    def say(self, text: str) -> list[Msg]:
        def act() -> list[Msg]:
            return self._after(self._console().say(text))

        self._repeat = act
        return act()

    def press(self, button: str | Btn) -> list[Msg]:
        chosen = self.button(button) if isinstance(button, str) else button

        def act() -> list[Msg]:
            return self._after(self._console().press(chosen.action, chosen.value,
                                                     flow=chosen.flow))

        self._repeat = act
        return act()

    def redeliver(self) -> list[Msg]:
        """The console has no transport that redelivers: the same input, once more."""
        assert self._repeat is not None
        return self._repeat()

    def tick(self) -> None:
        """The scheduler's minute (``provisioner serve`` runs it beside the console)."""
        notices = run_due_offboardings(self.world.config, self.world.sessions(), self.services,
                                       self.world.now)
        self._all += [m for n in notices for m in self._notice(notice_dict(n, "offboarding"))]

    def _after(self, replies: list[dict[str, Any]]) -> list[Msg]:
        console = self._console()
        messages = [_console_msg(r, self.speaker, "reply") for r in replies]
        for console_ in self.consoles.values():
            fresh, console_.notices = console_.notices, []
            for notice in fresh:
                messages += self._notice(notice)
        assert console is self._console()
        return self._record(messages)

    def _notice(self, notice: dict[str, Any]) -> list[Msg]:
        return [_console_msg(notice, email, "notice")
                for email in self.recipients(str(notice["to"]), notice.get("person_key"))]

    def close(self) -> None:
        pass


def _console_msg(reply: dict[str, Any], to: str, kind: str) -> Msg:
    return Msg(
        text=str(reply["text"]),
        facts=tuple((str(label), str(value)) for label, value in reply["facts"]),
        buttons=tuple(Btn(str(b["label"]), str(b["action"]), b["flow"], str(b["value"]))
                      for b in reply["buttons"]),
        data=dict(reply["data"]),
        to=to,
        kind=kind,
        raw=json.dumps(reply, ensure_ascii=False),
    )


# -- Slack ------------------------------------------------------------------------------------


@dataclass
class _Sent:
    """A reply or notice as it left the engine, waiting to be paired with a Slack call."""

    reply: Reply
    kind: str
    to: set[str]  # Slack user ids it may reach


class SlackDriver(BaseDriver):
    """Signed Slack requests to the runtime; the fake Slack Web API's record as the answer."""

    front = "slack"
    CHANNEL = "C0GENERAL"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.slack = SlackEmulator().start()
        client = WebClient(token=self.slack.bot_token, base_url=self.slack.base_url)
        with signing_secret() as secret:
            self.runtime = BotRuntime(world.config, world.sessions(), slack_client=client,
                                      services=dict(world.services)
                                      or default_services(world.config, world.sessions()),
                                      clock=world.clock)
        self.requests = SlackRequests(secret, response_url=self.slack.response_url())
        self.users: dict[str, str] = {}  # e-mail -> Slack user id
        self._sent: list[_Sent] = []
        self._lock = threading.Lock()
        self._seen = 0  # Slack calls read so far
        self._last_request: tuple[bytes, dict[str, str]] | None = None
        self._spy()

    # -- who is who ---------------------------------------------------------------------------

    def user(self, who: Who) -> str:
        email = email_of(who)
        if email not in self.users:
            digits = "".join(c for c in (who.key if isinstance(who, StaffEntry) else "") if
                             c.isdigit())
            uid = "U" + (digits or "X" + hashlib.sha1(email.encode()).hexdigest()[:8].upper())
            self.slack.add_user(uid, email, name=uid)
            self.users[email] = uid
        return self.users[email]

    def as_person(self, who: Who) -> Self:
        super().as_person(who)
        self.user(who)
        return self

    def _everyone(self) -> None:
        """Everyone a notice may reach has a Slack account (as at a real board)."""
        bot = self.world.config.bot
        for email in (*bot.central_office, *bot.privacy_officers):
            self.user(email.lower())

    # -- the spy: what left the engine -----------------------------------------------------------

    def _spy(self) -> None:
        engine, front = self.runtime.engine, self.runtime.front

        def outcome_of(method: Callable[..., Outcome]) -> Callable[..., Outcome]:
            def wrapped(*args: Any, **kwargs: Any) -> Outcome:
                outcome = method(*args, **kwargs)
                who = args[0]
                with self._lock:
                    self._sent += [_Sent(r, "reply", {who.user}) for r in outcome.replies]
                return outcome
            return wrapped

        for name in ("command", "message", "press", "refuse_unknown"):
            setattr(engine, name, outcome_of(getattr(engine, name)))
        notify = front.notify

        def notify_spy(client: WebClient, notices: tuple[Notice, ...] | list[Notice],
                       flow: str | None) -> Any:
            with self._lock:
                for notice in notices:
                    emails = self.recipients(notice.audience.value, notice.person_key)
                    self._sent.append(_Sent(notice.reply, "notice",
                                            {self.users.get(e, "?") for e in emails}))
            return notify(client, notices, flow)

        front.notify = notify_spy  # type: ignore[method-assign]

    # -- acting -------------------------------------------------------------------------------

    def say(self, text: str) -> list[Msg]:
        self._everyone()
        uid = self.user(self.speaker)
        stripped = text.strip()
        command, _, rest = stripped.partition(" ")
        if stripped.startswith("/") and self.runtime.engine.flow_for_command(command):
            request = self.requests.slash(command, rest.strip(), user=uid, channel=self.CHANNEL)
        else:
            request = self.requests.dm(text, user=uid)
        return self._send(request)

    def press(self, button: str | Btn) -> list[Msg]:
        self._everyone()
        chosen = self.button(button) if isinstance(button, str) else button
        assert chosen.action_id, "a Slack button comes from a Slack message"
        uid = self.user(self.speaker)
        where = chosen.where or self.CHANNEL
        if where.startswith("D") and where != "D" + uid.removeprefix("U"):
            where = "D" + uid.removeprefix("U")  # someone else's message: pressed in my own DM
        return self._send(self.requests.action(chosen.action_id, chosen.value, user=uid,
                                               channel=where))

    def redeliver(self) -> list[Msg]:
        """Slack's retry of the last delivery: the same body, ``X-Slack-Retry-Num: 1``."""
        assert self._last_request is not None
        return self._send(self.requests.redeliver(self._last_request), keep=False)

    def tick(self) -> None:
        self._everyone()
        self.runtime.tick(self.world.now)
        assert self.runtime.wait_idle()
        self._all += self._read(None)

    def _send(self, request: tuple[bytes, dict[str, str]], keep: bool = True) -> list[Msg]:
        if keep:
            self._last_request = request
        status, _, body = self.runtime.handle_http(*request)
        assert status == 200, (status, body)
        assert self.runtime.wait_idle()
        messages = self._read(body)
        with self._lock:  # every reply the engine gave reached Slack
            lost = [s.reply.text for s in self._sent if s.kind == "reply"]
        assert not lost, f"replies that never reached Slack: {lost}"
        return self._record(messages)

    # -- reading what Slack received -----------------------------------------------------------

    def _read(self, body: bytes | None) -> list[Msg]:
        calls = self.slack.calls()
        fresh, self._seen = calls[self._seen:], len(calls)
        speaker = self.users.get(self.speaker, "")
        messages: list[Msg] = []
        if body:  # a slash command answered in its HTTP response (an unknown person)
            answer = json.loads(body) if body.startswith(b"{") else {}
            if answer.get("text"):
                messages.append(self._pair(speaker, {"text": answer["text"]}, ""))
        for call in fresh:
            if call.status != 200 or not call.args.get("text"):
                continue
            if call.method == "response_url":
                messages.append(self._pair(speaker, call.args, self.CHANNEL))
            elif call.method == "chat.postEphemeral":
                messages.append(self._pair(str(call.args.get("user")), call.args,
                                           str(call.args["channel"])))
            elif call.method == "chat.postMessage":
                channel = str(call.args["channel"])
                messages.append(self._pair(self._owner(channel), call.args, channel))
        return messages

    def _owner(self, channel: str) -> str:
        """The user of a direct-message channel (the emulator names it D + the id)."""
        return "U" + channel.removeprefix("D") if channel.startswith("D") else ""

    def _pair(self, uid: str, args: Mapping[str, Any], channel: str) -> Msg:
        text = str(args["text"])
        with self._lock:
            sent = next((s for s in self._sent
                         if uid in s.to and fallback_text(s.reply) == text), None)
            if sent is not None:
                sent.to.discard(uid)
                if not sent.to:
                    self._sent.remove(sent)
        email = next((e for e, u in self.users.items() if u == uid), uid)
        return Msg(
            text=text,
            facts=_facts(args.get("blocks") or []),
            buttons=_buttons(args.get("blocks") or [], channel),
            data=dict(sent.reply.data) if sent is not None else {},
            to=email,
            kind=sent.kind if sent is not None else "reply",
            raw=json.dumps({"text": text, "blocks": args.get("blocks") or []},
                           ensure_ascii=False),
        )

    def close(self) -> None:
        self.runtime.close()
        self.slack.stop()


def _facts(blocks: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    facts = []
    for block in blocks:
        for item in block.get("fields", []) if block.get("type") == "section" else []:
            label, _, value = str(item["text"]).partition("\n")
            facts.append((label.strip("*"), value))
    return tuple(facts)


def _buttons(blocks: Sequence[Mapping[str, Any]], channel: str) -> tuple[Btn, ...]:
    found = []
    for block in blocks:
        if block.get("type") != "actions":
            continue
        for element in block["elements"]:
            flow, action = parse_action_id(str(element["action_id"]))
            found.append(Btn(str(element["text"]["text"]), action, flow,
                             str(element.get("value", "")), channel,
                             str(element["action_id"])))
    return tuple(found)


FRONTS: dict[str, Callable[[World], Driver]] = {"console": ConsoleDriver,
                                                    "slack": SlackDriver}
