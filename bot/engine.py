"""The one conversation engine behind every front end (Slack, the terminal).

For each message or button press it:

1. resolves who is asking: chat user -> verified e-mail -> HR (the directory) -> :class:`Asker`;
   unknown people get a polite refusal and nothing else;
2. applies the per-user rate limit;
3. picks the flow: a slash command (``Flow.commands``), the open conversation, or free text
   (``Flow.wants``); a short help text when nothing fits;
4. loads and stores the flow's state in ``chat_conversations`` (with an expiry), so any
   replica can take the next message;
5. audits every refusal and every turn with the asker as actor (no message text: it may
   hold names).

Front ends render the :class:`Outcome`: the replies for the asker and the notices for others.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import engine_replies as texts
from bot.conversation import Asker, Flow, FlowContext, Language, Notice, Reply, Turn
from bot.language import choose_language
from provisioner import metrics
from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.directory import Directory
from provisioner.i18n import tr
from provisioner.logging_setup import correlation, correlation_id
from provisioner.store.tables import AuditEvent, ChatConversation

log = logging.getLogger("provisioner.bot")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STOP_WORDS = frozenset({"stop", "annuleer", "annuleren", "cancel", "laat maar", "never mind"})
#: A bare yes or no: an answer to a question, never a request of its own.
YES_WORDS = frozenset({"ja", "jawel", "ja hoor", "yes", "yep", "ok", "oké", "oke", "okay",
                       "bevestig", "bevestigen", "confirm", "klopt", "akkoord", "prima", "j", "y"})
NO_WORDS = frozenset({"nee", "neen", "no", "nope", "n", "niet doen"})

#: A front end's way to send a notice now: (notice, flow name) -> how many people it reached.
Deliver = Callable[[Notice, str], int]


def bare_answer(text: str) -> str | None:
    """"yes" / "no" when ``text`` is nothing but a yes or a no ("Ja!", "nee."), else None."""
    word = text.strip().strip("!.?, ").casefold()
    if word in YES_WORDS:
        return "yes"
    if word in NO_WORDS:
        return "no"
    return None


def now_in_amsterdam() -> datetime:
    return datetime.now(AMSTERDAM)


@dataclass(frozen=True)
class Incoming:
    """Who sent a message, as the front end knows them."""

    front: str  # "slack" | "console"
    user: str  # the chat user id ("U0123ABCD"; "console:<email>")
    channel: str  # where the conversation happens (a DM channel, "console")
    email: str | None  # the verified e-mail address of the chat account, if any

    @property
    def conversation_id(self) -> str:
        """One open conversation per person, wherever they type: a ``/datalek`` started in
        a channel continues in the direct message with the bot (Slack sends the bot no text
        typed in channels), and a button finds its conversation from any channel."""
        return f"{self.front}:{self.user}"


@dataclass(frozen=True)
class Outcome:
    """What the front end shows: replies for the asker, notices for others."""

    replies: tuple[Reply, ...]
    notices: tuple[Notice, ...] = ()
    language: Language = "nl"
    flow: str | None = None  # the flow that answered (for button ids)
    asker: Asker | None = None
    waiting: bool = False  # the flow waits for the person's next message


@dataclass(frozen=True)
class RateLimiter:
    """At most ``per_minute`` requests per chat user in any 60 seconds, across every ``serve``
    replica: every request leaves exactly one ``chat.*`` event in the audit trail, so the
    trail is the shared count (no second store, nothing to keep in step)."""

    per_minute: int
    sessions: sessionmaker[Session]

    def allow(self, actor: str) -> bool:
        since = datetime.now(UTC) - timedelta(seconds=60)
        with self.sessions() as session:
            recent = session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.actor == actor,
                    AuditEvent.at > since,
                    AuditEvent.action.like("chat.%"),
                )
            ).scalar_one()
        return recent < self.per_minute


class ChatEngine:
    """Routes messages to flows; the same instance serves every front end of a process."""

    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        flows: Sequence[Flow],
        *,
        services: Mapping[str, Any] | None = None,
        clock: Callable[[], datetime] = now_in_amsterdam,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.flows = {flow.name: flow for flow in flows}
        self.services = dict(services or {})
        self.clock = clock
        self.directory = Directory(sessions)
        self.limiter = RateLimiter(config.bot.rate_limit_per_minute, sessions)
        self.default_language: Language = (config.bot.languages or ["nl"])[0]

    # -- who is asking ----------------------------------------------------------------------

    def resolve(self, who: Incoming) -> Asker | None:
        """The staff member behind a chat account, or None (unknown, or no longer employed)."""
        if not who.email:
            return None
        staff = self.directory.staff_by_email(who.email)
        if staff is None or not staff.active_on(self.clock().date()):
            return None
        email = who.email.strip().lower()
        return Asker(
            chat_user=who.user,
            staff=staff,
            is_central_office=email in {e.lower() for e in self.config.bot.central_office},
            is_privacy_officer=email in {e.lower() for e in self.config.bot.privacy_officers},
        )

    def refuse_unknown(
        self,
        who: Incoming,
        language: Language | None = None,
        *,
        defer: Callable[[Callable[[], object]], None] | None = None,
    ) -> Outcome:
        """The polite refusal for someone HR does not know (audited), and nothing else.
        ``defer`` takes the audit write off the caller's thread (Slack's acknowledgement)."""

        def audit() -> None:
            self._audit(
                f"chat:{who.user}",
                "chat.refused",
                reason="unknown person: no current staff member with this chat account's "
                "e-mail address",
            )

        if defer is not None:
            defer(audit)
        else:
            audit()
        language = language or self.default_language
        return Outcome((texts.unknown(language),), language=language)

    def flow_for_command(self, command: str) -> Flow | None:
        for flow in self.flows.values():
            if command.lower() in flow.commands:
                return flow
        return None

    # -- entry points -----------------------------------------------------------------------

    def command(
        self, who: Incoming, command: str, text: str, *, deliver: Deliver | None = None
    ) -> Outcome:
        """A slash command: always starts its flow afresh (an open conversation is put aside,
        and the reply says so)."""
        return self._handle(who, text, command, None, deliver)

    def message(self, who: Incoming, text: str, *, deliver: Deliver | None = None) -> Outcome:
        """Free text: classified first (a new request wins over the open question, see
        :meth:`_route`), then continued or started."""
        return self._handle(who, text, None, None, deliver)

    def press(
        self, who: Incoming, flow_name: str | None, action: str, value: str, *,
        deliver: Deliver | None = None,
    ) -> Outcome:
        """A button press. ``flow_name`` comes with the button (Slack action id); without it
        the open conversation's flow gets it."""
        return self._handle(who, "", None, (flow_name, action, value), deliver)

    # -- the turn ---------------------------------------------------------------------------

    def _handle(
        self,
        who: Incoming,
        text: str,
        command: str | None,
        pressed: tuple[str | None, str, str] | None,
        deliver: Deliver | None,
    ) -> Outcome:
        # The front end's correlation id (Slack: one per request), else one per message here.
        with correlation(correlation_id(), prefix="chat"):
            return self._turn(who, text, command, pressed, deliver)

    def _turn(
        self,
        who: Incoming,
        text: str,
        command: str | None,
        pressed: tuple[str | None, str, str] | None,
        deliver: Deliver | None,
    ) -> Outcome:
        now = self.clock()
        asker = self.resolve(who)
        stored, lapsed = self._load(who.conversation_id, now)
        earlier = stored or lapsed
        language = choose_language(
            text, cast(Language, earlier.language) if earlier else None, self.default_language
        )
        if asker is None:
            return self.refuse_unknown(who, language)
        actor = asker.actor
        if not self.limiter.allow(actor):
            self._audit(actor, "chat.refused", reason="rate limit")
            return Outcome((texts.slow_down(language),), language=language, asker=asker)

        def context(flow_name: str) -> FlowContext:
            send = (lambda notice: deliver(notice, flow_name)) if deliver else None
            return FlowContext(asker=asker, language=language, now=now, config=self.config,
                               sessions=self.sessions, directory=self.directory,
                               services=self.services, deliver=send)

        preface: list[Reply] = []
        if lapsed is not None and lapsed.flow in self.flows and pressed is None:
            preface.append(texts.lapsed(language, self._topic(lapsed, context(lapsed.flow)),
                                   self.config.bot.conversation_minutes))
            self._audit(actor, "chat.expired", reason=f"{lapsed.flow}: conversation expired")
        route = self._route(stored, text, command, pressed, language)
        if isinstance(route, Reply):
            if route.data.get("stopped"):
                self._forget(who.conversation_id)
                self._audit(actor, "chat.stopped",
                            reason=f"{stored.flow if stored else '-'}: stopped by the asker")
            else:
                self._audit(actor, "chat.help", reason=f"-: {route.data.get('help', 'help')}")
            return Outcome((*preface, route), language=language, asker=asker)
        flow, kind, state, put_aside = route
        ctx = context(flow.name)
        if put_aside is not None:
            preface.append(texts.put_aside(language, self._topic(put_aside, ctx)))
            self._audit(actor, "chat.put_aside", reason=f"{put_aside.flow}: a new request won",
                        change={"flow": put_aside.flow, "by": flow.name})
        action, value = (pressed[1], pressed[2]) if pressed else ("", "")
        try:
            if kind == "press":
                turn = flow.press(ctx, action, value, state)
            elif kind == "answer":
                turn = flow.answer(ctx, text, state)
            else:
                turn = flow.start(ctx, text)
        except Exception as exc:  # a flow bug must not leave the person without an answer
            incident = uuid.uuid4().hex[:8]
            # Only the type and where it happened: an exception's message (and a traceback's
            # locals) may hold what the person typed -- names of pupils and colleagues.
            log.error("flow %s failed (incident %s, correlation %s): %s at %s", flow.name,
                      incident, correlation_id(), type(exc).__name__, _where(exc))
            self._audit(actor, "chat.error", reason=f"{flow.name}: {type(exc).__name__}",
                        change={"incident": incident})
            return Outcome((*preface, texts.failed(language, incident)), language=language,
                           asker=asker)

        if turn.state is None:
            if stored is not None and (pressed is None or stored.flow == flow.name):
                self._forget(who.conversation_id)
        else:
            self._save(who, flow.name, language, turn.state, now)
        self._audit_turn(actor, flow.name, f"press {action}" if kind == "press" else kind, turn)
        return Outcome(
            (*preface, *turn.replies), turn.notices, language, flow.name, asker,
            turn.state is not None,
        )

    def _route(
        self,
        stored: ChatConversation | None,
        text: str,
        command: str | None,
        pressed: tuple[str | None, str, str] | None,
        language: Language,
    ) -> tuple[Flow, str, dict[str, Any], ChatConversation | None] | Reply:
        """Which flow gets the message, and how: ``(flow, "start"|"answer"|"press", state,
        the conversation put aside or None)``, or the engine's own reply.

        The message is classified before it may answer anything: a stop word stops; a report
        of an *urgent* flow (a breach) always starts, whatever is open; the open flow gets
        the message only when it ``accepts`` it as the answer to its question; otherwise a
        message that reads as a new request starts that flow (the open one is put aside, and
        the reply says so). A bare "ja"/"nee" with nothing open is asked about, never guessed.
        """
        open_flow = self.flows.get(stored.flow) if stored is not None else None
        open_state = dict(stored.state) if stored is not None else {}
        if pressed is not None:
            flow_name, _action, _value = pressed
            name = flow_name or (stored.flow if stored else None)
            found = self.flows.get(name) if name else None
            if found is None:
                return texts.expired(language)
            state = open_state if open_flow is found else {}
            return found, "press", state, None
        if command is not None:
            started = self.flow_for_command(command)
            if started is None:
                return texts.help(language)
            return started, "start", {}, stored if open_flow is not None else None
        if text.strip().casefold() in STOP_WORDS:
            if stored is None:
                return texts.nothing_open(language)
            return texts.stopped(language)
        wanting = [f for f in self.flows.values() if f.wants(text)]
        wanting.sort(key=lambda f: not getattr(f, "urgent", False))  # urgent flows first
        if open_flow is not None:
            urgent = next((f for f in wanting if getattr(f, "urgent", False)
                           and f is not open_flow), None)
            if urgent is not None:
                return urgent, "start", {}, stored
            if open_flow.accepts(text, open_state):
                return open_flow, "answer", open_state, None
            if wanting:
                return wanting[0], "start", {}, stored
            return open_flow, "answer", open_state, None
        if bare_answer(text) is not None:
            return texts.what_do_you_mean(language)
        if wanting:
            return wanting[0], "start", {}, None
        return texts.help(language)

    def _topic(self, row: ChatConversation, ctx: FlowContext) -> str:
        flow = self.flows.get(row.flow)
        if flow is None:
            return row.flow
        try:
            return flow.topic(ctx, dict(row.state))
        except Exception as exc:  # a topic is a courtesy: never let it hide the answer
            log.warning("topic of flow %s failed: %s", row.flow, type(exc).__name__)
            return tr(ctx.language, "your earlier conversation")

    # -- conversation state -----------------------------------------------------------------

    def _load(
        self, conversation_id: str, now: datetime
    ) -> tuple[ChatConversation | None, ChatConversation | None]:
        """``(open conversation, None)``, or ``(None, the conversation that lapsed)`` when
        it was silent too long: it is forgotten, and the reply says so once."""
        with self.sessions() as session:
            row = session.get(ChatConversation, conversation_id)
            if row is None:
                return None, None
            session.expunge(row)
            if _utc(row.expires_at) <= now.astimezone(UTC):
                session.execute(
                    delete(ChatConversation).where(ChatConversation.id == conversation_id)
                )
                session.commit()
                return None, row
            return row, None

    def _save(
        self, who: Incoming, flow: str, language: Language, state: dict[str, Any], now: datetime
    ) -> None:
        # In UTC: SQLite keeps no offset, and a local time read back as UTC lived an hour
        # (in summer two) longer than bot.conversation_minutes.
        now = now.astimezone(UTC)
        expires = now + timedelta(minutes=self.config.bot.conversation_minutes)
        for attempt in (1, 2):  # two messages of one person at once: the second one updates
            with self.sessions() as session:
                row = session.get(ChatConversation, who.conversation_id)
                if row is None:
                    row = ChatConversation(id=who.conversation_id, user_id=who.user)
                    session.add(row)
                row.flow, row.language, row.state = flow, language, state
                row.updated_at, row.expires_at = now, expires
                try:
                    session.commit()
                    return
                except IntegrityError:
                    session.rollback()
                    if attempt == 2:
                        raise

    def _forget(self, conversation_id: str) -> None:
        with self.sessions() as session:
            session.execute(delete(ChatConversation).where(ChatConversation.id == conversation_id))
            session.commit()

    # -- audit ------------------------------------------------------------------------------

    def _audit(
        self,
        actor: str,
        action: str,
        *,
        reason: str,
        object_key: str | None = None,
        change: Mapping[str, Any] | None = None,
    ) -> None:
        flow = str((change or {}).get("flow") or reason.split(":", 1)[0])
        log.info("%s (%s)", action, flow if flow in self.flows else "-")  # no reason: no text
        metrics.bot_requests_total.labels(
            flow=flow if flow in self.flows else "none", outcome=action.removeprefix("chat.")
        ).inc()
        with self.sessions() as session:
            record(
                session,
                actor=actor,
                action=action,
                target="bot",
                object_key=object_key,
                reason=reason,
                change=change,
            )
            session.commit()

    def _audit_turn(self, actor: str, flow: str, kind: str, turn: Turn) -> None:
        """One event per turn; a refusal (a reply whose data has ``refused``) is named so."""
        refused = next((r.data["refused"] for r in turn.replies if r.data.get("refused")), None)
        subject = next(
            (str(r.data["person_key"]) for r in turn.replies if r.data.get("person_key")), None
        ) or next((f"class:{r.data['group']}" for r in turn.replies if r.data.get("group")), None)
        answer = next((r.data for r in turn.replies if "allowed" in r.data), None)
        if refused is None and answer is not None:  # a consent answer is part of the evidence
            self._audit(actor, "chat.answered", reason=f"{flow}: {answer.get('reason', '')}",
                        object_key=subject, change={"flow": flow, "allowed": answer["allowed"],
                                                    "medium": answer.get("medium")})
            return
        if refused is not None:
            self._audit(actor, "chat.refused", reason=f"{flow}: {refused}", object_key=subject,
                        change={"flow": flow, "step": kind})
        else:
            self._audit(actor, "chat.turn", reason=f"{flow}: {kind}", object_key=subject,
                        change={"flow": flow, "step": kind, "open": turn.state is not None})


def _where(exc: BaseException) -> str:
    """The innermost frames as ``file.py:line``: enough to find the bug, nothing personal."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)) or "?"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
