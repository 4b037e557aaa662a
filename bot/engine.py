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

from bot.conversation import Asker, Flow, FlowContext, Language, Notice, Reply, Turn
from bot.language import choose_language
from provisioner import metrics
from provisioner.audit.service import record
from provisioner.config import Config
from provisioner.directory import Directory
from provisioner.logging_setup import correlation, correlation_id
from provisioner.store.tables import AuditEvent, ChatConversation

log = logging.getLogger("provisioner.bot")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STOP_WORDS = frozenset({"stop", "annuleer", "annuleren", "cancel", "laat maar", "never mind"})


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
        return Outcome((_unknown(language),), language=language)

    def flow_for_command(self, command: str) -> Flow | None:
        for flow in self.flows.values():
            if command.lower() in flow.commands:
                return flow
        return None

    # -- entry points -----------------------------------------------------------------------

    def command(self, who: Incoming, command: str, text: str) -> Outcome:
        """A slash command: always starts its flow afresh."""
        return self._handle(who, text, lambda asker, lang: self._start_command(who, command))

    def message(self, who: Incoming, text: str) -> Outcome:
        """Free text: continues the open conversation, else starts the flow that wants it."""
        return self._handle(who, text, None)

    def press(self, who: Incoming, flow_name: str | None, action: str, value: str) -> Outcome:
        """A button press. ``flow_name`` comes with the button (Slack action id); without it
        the open conversation's flow gets it."""
        return self._handle(who, "", None, pressed=(flow_name, action, value))

    # -- the turn ---------------------------------------------------------------------------

    def _handle(
        self,
        who: Incoming,
        text: str,
        starter: Callable[[Asker, Language], Flow | None] | None,
        pressed: tuple[str | None, str, str] | None = None,
    ) -> Outcome:
        # The front end's correlation id (Slack: one per request), else one per message here.
        with correlation(correlation_id(), prefix="chat"):
            return self._turn(who, text, starter, pressed)

    def _turn(
        self,
        who: Incoming,
        text: str,
        starter: Callable[[Asker, Language], Flow | None] | None,
        pressed: tuple[str | None, str, str] | None,
    ) -> Outcome:
        now = self.clock()
        asker = self.resolve(who)
        stored = self._load(who.conversation_id, now)
        language = choose_language(
            text, cast(Language, stored.language) if stored else None, self.default_language
        )
        if asker is None:
            return self.refuse_unknown(who, language)
        actor = asker.actor
        if not self.limiter.allow(actor):
            self._audit(actor, "chat.refused", reason="rate limit")
            return Outcome((_slow_down(language),), language=language, asker=asker)

        found: Flow | None
        state: dict[str, Any] = {}
        action = value = ""
        if pressed is not None:
            flow_name, action, value = pressed
            name = flow_name or (stored.flow if stored else None)
            found = self.flows.get(name) if name else None
            if found is None:
                return Outcome((_expired(language),), language=language, asker=asker)
            state = dict(stored.state) if stored and stored.flow == found.name else {}
            kind = "press"
        elif starter is not None:
            found = starter(asker, language)
            if found is None:
                return Outcome((_help(language),), language=language, asker=asker)
            kind = "start"
        elif stored is not None and text.strip().casefold() in STOP_WORDS:
            self._forget(who.conversation_id)
            self._audit(actor, "chat.stopped", reason=f"{stored.flow}: stopped by the asker")
            return Outcome((_stopped(language),), language=language, asker=asker)
        elif stored is not None and stored.flow in self.flows:
            found = self.flows[stored.flow]
            state = dict(stored.state)
            kind = "answer"
        else:
            found = next((f for f in self.flows.values() if f.wants(text)), None)
            if found is None:
                self._audit(actor, "chat.help", reason="no conversation matched the message")
                return Outcome((_help(language),), language=language, asker=asker)
            kind = "start"
        flow: Flow = found

        ctx = FlowContext(
            asker=asker,
            language=language,
            now=now,
            config=self.config,
            sessions=self.sessions,
            directory=self.directory,
            services=self.services,
        )
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
            return Outcome((_failed(language, incident),), language=language, asker=asker)

        if turn.state is None:
            if stored is not None and (pressed is None or stored.flow == flow.name):
                self._forget(who.conversation_id)
        else:
            self._save(who, flow.name, language, turn.state, now)
        self._audit_turn(actor, flow.name, f"press {action}" if kind == "press" else kind, turn)
        return Outcome(
            turn.replies, turn.notices, language, flow.name, asker, turn.state is not None
        )

    def _start_command(self, who: Incoming, command: str) -> Flow | None:
        self._forget(who.conversation_id)
        return self.flow_for_command(command)

    # -- conversation state -----------------------------------------------------------------

    def _load(self, conversation_id: str, now: datetime) -> ChatConversation | None:
        with self.sessions() as session:
            row = session.get(ChatConversation, conversation_id)
            if row is None:
                return None
            if _utc(row.expires_at) <= now.astimezone(UTC):
                session.execute(
                    delete(ChatConversation).where(ChatConversation.id == conversation_id)
                )
                session.commit()
                return None
            session.expunge(row)
            return row

    def _save(
        self, who: Incoming, flow: str, language: Language, state: dict[str, Any], now: datetime
    ) -> None:
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


# -- the engine's own replies ---------------------------------------------------------------


def _t(language: Language, nl: str, en: str) -> str:
    return en if language == "en" else nl


def _unknown(language: Language) -> Reply:
    return Reply(
        _t(
            language,
            "Sorry, ik kan je niet helpen: ik vind je niet als medewerker van het bestuur. "
            "Neem contact op met het Stafbureau als dit niet klopt.",
            "Sorry, I can't help you: I can't find you as a member of staff of the board. "
            "Please contact the central office if this is wrong.",
        ),
        data={"refused": "unknown_person"},
    )


def _slow_down(language: Language) -> Reply:
    return Reply(
        _t(
            language,
            "Even rustig aan: je stuurt veel berichten achter elkaar. Probeer het zo opnieuw.",
            "You are sending a lot of messages at once. Please try again in a minute.",
        ),
        data={"refused": "rate_limited"},
    )


def _expired(language: Language) -> Reply:
    return Reply(
        _t(
            language,
            "Dit gesprek is verlopen. Begin opnieuw, bijvoorbeeld met /uitdienst.",
            "This conversation has expired. Please start again, e.g. with /offboard.",
        ),
        data={"refused": "expired"},
    )


def _stopped(language: Language) -> Reply:
    return Reply(_t(language, "Goed, ik ben gestopt.", "OK, I stopped."), data={"stopped": True})


def _failed(language: Language, incident: str) -> Reply:
    return Reply(
        _t(
            language,
            f"Er ging iets mis aan mijn kant (melding {incident}). Het Stafbureau kan dit "
            "nakijken.",
            f"Something went wrong on my side (incident {incident}). The central office can "
            "look into it.",
        ),
        data={"error": incident},
    )


def _help(language: Language) -> Reply:
    return Reply(
        _t(
            language,
            "Ik help met drie dingen:\n"
            "• *Uit dienst*: \"Jan de Vries gaat per 1 december uit dienst\" of /uitdienst\n"
            "• *Fototoestemming*: \"Mag de foto van Sanne Jansen op de website?\" of /toestemming\n"
            "• *Datalek melden*: \"Ik ben een usb-stick kwijt met cijferlijsten\" of /datalek",
            "I can help with three things:\n"
            "• *Offboarding*: \"Jan de Vries leaves on 1 December\" or /offboard\n"
            "• *Photo consent*: \"Can the 7a class photo go in the newsletter?\" or /consent\n"
            "• *Data breach*: \"I lost a USB stick with grade lists\" or /databreach",
        ),
        data={"help": True},
    )


def _where(exc: BaseException) -> str:
    """The innermost frames as ``file.py:line``: enough to find the bug, nothing personal."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)) or "?"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
