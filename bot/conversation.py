"""The contract between the conversation engine and the flows (offboarding, consent, breach).

A *flow* is one kind of conversation. It never talks to Slack or a terminal: it receives what
the person typed or pressed, with who they are, and returns a :class:`Turn`: the replies to
show, the state to keep for the next message (``None`` when the conversation is over) and
notices for other people (the privacy officer, the central office, the requester later).
The engine (``bot/engine.py``) picks the flow, keeps the state between messages, enforces
rate limits, audits, and hands replies to a front end (Slack in ``bot/slack_app.py``, the
terminal in ``bot/console.py``), which renders them: Block Kit there, text or JSON here.

Flows are plain classes; everything they need from the rest of the system reaches them
through :class:`FlowContext`. Their state must be JSON-serialisable (it is stored between
messages so that any ``serve`` replica can pick up the next message).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session, sessionmaker

from provisioner.config import Config
from provisioner.directory import Directory, StaffEntry

Language = Literal["nl", "en"]


class Audience(StrEnum):
    """Who a :class:`Notice` is for, besides the person in the conversation."""

    PRIVACY_OFFICER = "privacy_officer"  # functionaris gegevensbescherming (FG)
    CENTRAL_OFFICE = "central_office"  # stafbureau: HR and ICT
    PERSON = "person"  # one staff member, by key (e.g. the requester, later)


@dataclass(frozen=True)
class Asker:
    """The person in the conversation, as HR knows them (resolved by the engine from the
    chat account's verified e-mail address). Unknown people never reach a flow."""

    chat_user: str  # "U0123ABCD" in Slack, "console:<email>" in the terminal
    staff: StaffEntry
    is_central_office: bool = False
    is_privacy_officer: bool = False

    @property
    def actor(self) -> str:
        """How this person appears in the audit trail: ``chat:U0123ABCD``."""
        return f"chat:{self.chat_user}"


@dataclass(frozen=True)
class Button:
    """A choice the person can press. ``action`` is the flow's own name for it; ``value`` a
    short string the flow gets back (an id, "yes", "no"). No personal data in ``value``
    beyond ids: Slack echoes it in payloads."""

    label: str
    action: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None


@dataclass(frozen=True)
class Reply:
    """One message from the bot.

    ``text`` is short, plain text with Slack-style ``*bold*`` allowed. ``facts`` are label /
    value pairs shown as a list (a confirmation summary). ``data`` is the machine-readable
    content for ``--json`` mode and tests (``{"allowed": false, "reason": "withdrawn"}``).
    ``private`` replies (the default) are seen only by the asker: ephemeral or a direct
    message, never the channel. ``expects_text``: the question wants a typed answer (a
    number, a date, a description) and its buttons are only shortcuts, so a front end must
    never read a typed number as a button press ("how many people?" -- "2").
    """

    text: str
    facts: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    private: bool = True
    expects_text: bool = False


@dataclass(frozen=True)
class Notice:
    """A message for someone other than the asker (the FG about a breach, the central office
    about an offboarding step, the requester when everything is done)."""

    audience: Audience
    reply: Reply
    person_key: str | None = None  # for Audience.PERSON


@dataclass(frozen=True)
class Turn:
    """What a flow answers to one message or button press."""

    replies: tuple[Reply, ...]
    state: dict[str, Any] | None = None  # None: the conversation is over
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class FlowContext:
    """Everything a flow may use. ``now`` is timezone-aware (Europe/Amsterdam)."""

    asker: Asker
    language: Language
    now: datetime
    config: Config
    sessions: sessionmaker[Session]
    directory: Directory
    services: Mapping[str, Any] = field(default_factory=dict)  # e.g. "sync": a callable
    #: Sends a notice now and returns how many people it reached (0: nobody is configured,
    #: or nobody could be reached). A flow that must say "the FG has been told" sends the
    #: notice this way and says so only when the count is above 0. None: this front end
    #: cannot deliver now (the notice goes back in the :class:`Turn` instead).
    deliver: Callable[[Notice], int] | None = None


class Flow(Protocol):
    """One kind of conversation."""

    #: "offboarding", "consent" or "breach": stored with the state, used in the audit trail.
    name: str
    #: Slash commands that start this flow: ("/uitdienst", "/offboard").
    commands: tuple[str, ...]
    #: A report that may never be swallowed as the answer to another flow's open question
    #: (a breach report): when it wants a message, it starts, whatever else is open.
    urgent: bool

    def wants(self, text: str) -> bool:
        """Whether free text reads as a new request for this flow."""
        ...

    def accepts(self, text: str, state: dict[str, Any]) -> bool:
        """Whether ``text`` answers the question open in ``state`` (a date when a date was
        asked, yes/no at a confirmation, a medium when a medium was asked), rather than being
        a new request. The engine asks this before it lets a new request win."""
        ...

    def topic(self, ctx: FlowContext, state: dict[str, Any]) -> str:
        """What the open conversation is about, in a few words and ``ctx.language``, for
        "I put aside ..." and "... has expired": "het uit dienst melden van Jan de Vries"."""
        ...

    def start(self, ctx: FlowContext, text: str) -> Turn:
        """The first message (the slash command's text, or the direct message)."""
        ...

    def answer(self, ctx: FlowContext, text: str, state: dict[str, Any]) -> Turn:
        """A later message in the same conversation."""
        ...

    def press(self, ctx: FlowContext, action: str, value: str, state: dict[str, Any]) -> Turn:
        """A button pressed in one of this flow's replies (``state`` may be empty for a
        button pressed by someone else, e.g. the central office approving a step)."""
        ...
