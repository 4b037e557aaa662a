"""The Slack front end: a Bolt app built once by :func:`create_app`.

Layers, as in Bolt: the adapter (HTTP via :meth:`bot.runtime.BotRuntime.handle_http`, or
Socket Mode); a gate before Bolt (:class:`RequestGate`: the signature, 401 when it is wrong,
stale or its timestamp is not a number; requests from another Slack workspace than the
board's are acknowledged with an empty 200 and dropped); a middleware that resolves who is
asking (Slack user -> verified e-mail via ``users.info``, cached -> HR) and refuses unknown
people on the spot (the refusal's audit event is written after the acknowledgement); and
one listener per kind of request:

- slash commands ``/uitdienst /toestemming /datalek`` and ``/offboard /consent /databreach``
  (``/uitdienst`` without text opens a modal form);
- direct messages in free text (Events API ``message.im``);
- button presses (``block_actions``, ``action_id`` ``<flow>:<action>:<n>``);
- the offboarding modal's submit (``view_submission``).

Every listener acknowledges at once in the request's own thread and hands its work to the
runtime's executor (``process_before_response=True``: the HTTP answer leaves when the
listener returns, which is right after the ack), so Slack gets its answer well within 3 s
however long the work takes. Not Bolt's lazy listeners: they deep-copy every request first,
which was most of the acknowledgement's cost (``benchmarks/bot.py``).
Slack's redeliveries (an Events API retry of the same ``event_id``, a button press with the
same ``action_ts`` from the same person) are acknowledged and then dropped: the work after
the acknowledgement starts by recording the delivery in ``chat_actions``
(:func:`bot.once.first_time`), and only the first records it.
Replies go to the asker only: ephemeral (``response_url``) in a channel, or the direct
message channel. Notices for others (the central office, the privacy officer, a requester)
go as direct messages. Nothing personal is logged: only ids and error types. Every text
goes through :mod:`bot.blocks` (``reply_blocks``, ``fallback_text``), which escapes it for
Slack's mrkdwn.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.blocks import (
    OFFBOARDING_MODAL,
    fallback_text,
    modal_text,
    offboarding_modal,
    parse_action_id,
    reply_blocks,
    unescape_mrkdwn,
)
from bot.conversation import Asker, Audience, Language, Notice, Reply
from bot.engine import ChatEngine, Incoming, Outcome
from bot.language import choose_language
from bot.once import first_time
from provisioner.logging_setup import correlation

log = logging.getLogger("provisioner.bot.slack")

COMMANDS = ("/uitdienst", "/offboard", "/toestemming", "/consent", "/datalek", "/databreach")
ENGLISH_COMMANDS = frozenset({"/offboard", "/consent", "/databreach"})
EMAIL_TTL_SECONDS = 600.0
TIMESTAMP = re.compile(r"[0-9]{1,12}")  # X-Slack-Request-Timestamp: seconds since 1970


class SlackFront:
    """What the listeners share: the engine, the e-mail cache and delivery of replies."""

    def __init__(self, engine: ChatEngine, *, email_ttl: float = EMAIL_TTL_SECONDS) -> None:
        self.engine = engine
        self.email_ttl = email_ttl
        self._emails: dict[str, tuple[str | None, float]] = {}
        self._user_ids: dict[str, str] = {}
        self._askers: dict[tuple[str, str | None], tuple[Asker | None, float]] = {}
        self._lock = threading.Lock()

    # -- who is asking ----------------------------------------------------------------------

    def email_of(self, client: WebClient, user_id: str) -> str | None:
        """The verified e-mail address on the Slack profile (``users:read.email``), cached."""
        now = time.monotonic()
        with self._lock:
            cached = self._emails.get(user_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info failed for a user: %s", exc.response.get("error"))
            return None
        profile = user.get("profile") or {}
        email: str | None = profile.get("email")
        if user.get("deleted") or user.get("is_bot") or user.get("is_email_confirmed") is False:
            email = None
        with self._lock:
            self._emails[user_id] = (email, now + self.email_ttl)
        return email

    def asker_of(self, who: Incoming) -> Asker | None:
        """The engine's answer to "who is this?", cached as long as the e-mail address."""
        now = time.monotonic()
        key = (who.user, who.email)
        with self._lock:
            cached = self._askers.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        asker = self.engine.resolve(who)
        with self._lock:
            self._askers[key] = (asker, now + self.email_ttl)
        return asker

    def user_id_for(self, client: WebClient, email: str) -> str | None:
        with self._lock:
            known = self._user_ids.get(email.lower())
        if known:
            return known
        try:
            user_id = str(client.users_lookupByEmail(email=email)["user"]["id"])
        except SlackApiError as exc:
            log.warning("users.lookupByEmail failed: %s", exc.response.get("error"))
            return None
        with self._lock:
            self._user_ids[email.lower()] = user_id
        return user_id

    # -- delivery ---------------------------------------------------------------------------

    def to_channel(self, client: WebClient, channel: str, outcome: Outcome, user: str,
                   respond: Respond | None) -> None:
        """Replies for the asker: in a DM as messages; elsewhere ephemeral."""
        for reply in outcome.replies:
            blocks = reply_blocks(reply, outcome.flow)
            if channel.startswith("D"):
                client.chat_postMessage(channel=channel, text=fallback_text(reply), blocks=blocks)
            elif respond is not None:
                respond(
                    text=fallback_text(reply),
                    blocks=blocks,
                    response_type="ephemeral" if reply.private else "in_channel",
                    replace_original=False,
                )
            elif reply.private:
                client.chat_postEphemeral(
                    channel=channel, user=user, text=fallback_text(reply), blocks=blocks
                )
            else:
                client.chat_postMessage(channel=channel, text=fallback_text(reply), blocks=blocks)
        self.notify(client, outcome.notices, outcome.flow)

    def direct(self, client: WebClient, user_id: str, reply: Reply, flow: str | None) -> None:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.chat_postMessage(
            channel=channel, text=fallback_text(reply), blocks=reply_blocks(reply, flow)
        )

    def notify(self, client: WebClient, notices: tuple[Notice, ...] | list[Notice],
               flow: str | None) -> int:
        """Notices as direct messages to the people they are for; returns how many messages
        reached someone (what a flow may tell the asker: "the FG has been told")."""
        bot = self.engine.config.bot
        reached = 0
        for notice in notices:
            if notice.audience is Audience.CENTRAL_OFFICE:
                emails = list(bot.central_office)
            elif notice.audience is Audience.PRIVACY_OFFICER:
                emails = list(bot.privacy_officers)
            else:
                person = self.engine.directory.staff(notice.person_key or "")
                emails = [person.email] if person is not None and person.email else []
            if not emails:
                log.warning("a notice for %s has nobody to go to", notice.audience.value)
            for email in emails:
                user_id = self.user_id_for(client, email)
                if user_id is None:
                    log.warning("a notice for %s: no Slack account for a recipient",
                                notice.audience.value)
                    continue
                try:
                    self.direct(client, user_id, notice.reply, flow)
                    reached += 1
                except SlackApiError as exc:
                    log.warning("a notice could not be sent: %s", exc.response.get("error"))
        return reached

    def deliverer(self, client: WebClient) -> Callable[[Notice, str], int]:
        """What the engine gets as ``deliver``: send one notice now, count who got it."""
        return lambda notice, flow: self.notify(client, [notice], flow)


class RequestGate:
    """What a request must be before Bolt sees it.

    - HTTP mode: signed with the signing secret, no more than 5 minutes old; otherwise 401.
      A timestamp header that is missing, empty or not a number is a wrong signature (Bolt
      itself answers 500 to a non-numeric one), and nothing of the body is logged (Bolt's own
      check logs the whole body). Socket Mode's requests come over the app's own connection.
    - From the board's workspace (``team_id`` of a slash command or an Events API delivery,
      ``team.id`` of an interaction); a URL verification and an SSL check name no team. Any
      other request is acknowledged with an empty 200 and dropped: it is authentic (signed
      by this app) but not for this board, and an error status would only make Slack retry
      an event and, when it keeps failing, switch the app's event subscriptions off. It
      reaches neither the engine nor the audit trail; the log says only that it happened.
      ``workspace=None`` (unknown): every workspace passes. The workspace is
      ``[bot.slack] team_id``, else the bot token's (``auth.test``, once, when the app is
      built); when ``auth.test`` fails nothing is guessed: one warning, no workspace refused.
    """

    def __init__(self, signing_secret: str, workspace: str | None) -> None:
        self.verifier = SignatureVerifier(signing_secret)
        self.workspace = workspace

    def refusal(self, req: BoltRequest) -> BoltResponse | None:
        """The answer to a request that goes no further; None: let it through."""
        if req.mode != "socket_mode" and not self.signed(req):
            log.info("a Slack request without a valid signature was refused")
            return BoltResponse(status=401, body={"error": "invalid request"})
        if self.workspace is not None and not from_workspace(req.body, self.workspace):
            log.warning("a Slack request from another workspace was ignored")
            return BoltResponse(status=200, body="")
        return None

    def signed(self, req: BoltRequest) -> bool:
        timestamp = _header(req, "x-slack-request-timestamp")
        signature = _header(req, "x-slack-signature")
        if not TIMESTAMP.fullmatch(timestamp) or not signature:
            return False
        return self.verifier.is_valid(body=req.raw_body, timestamp=timestamp, signature=signature)


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace a request comes from: ``team_id`` (slash commands, the Events API),
    else ``team.id`` (interactivity)."""
    team = body.get("team_id")
    if not team and isinstance(body.get("team"), dict):
        team = body["team"].get("id")
    return str(team) if team else None


def from_workspace(body: dict[str, Any], workspace: str) -> bool:
    if body.get("type") == "url_verification" or body.get("ssl_check"):
        return True  # Slack's own checks of the request URL: no team, nothing done
    return team_of(body) == workspace


def workspace_of(client: WebClient) -> str | None:
    """The bot token's workspace (``auth.test``); None, with a warning, when Slack says no
    or cannot be reached."""
    probe = WebClient(token=client.token, base_url=client.base_url, timeout=10,
                      ssl=client.ssl, proxy=client.proxy)
    team: object = None
    why = "it named no workspace"
    try:
        team = probe.auth_test().get("team_id")
    except SlackApiError as exc:
        why = str(exc.response.get("error"))
    except (SlackClientError, OSError) as exc:
        why = type(exc).__name__
    if not team:
        log.warning("auth.test failed (%s): Slack requests are not checked for their "
                    "workspace; set [bot.slack] team_id", why)
        return None
    return str(team)


def delivery_key(body: dict[str, Any]) -> str | None:
    """The ``chat_actions`` key of a request Slack may deliver more than once: a direct
    message (``slack-event:<event_id>``) or a button press (``slack-action:<user>:<action_ts>``,
    so a double click, two presses with their own ``action_ts``, is not one). None: no key
    (the bot's own messages, slash commands, forms)."""
    if body.get("type") == "event_callback":
        event = body.get("event") or {}
        if event.get("bot_id") or event.get("subtype") or not event.get("user"):
            return None
        event_id = body.get("event_id")
        return f"slack-event:{event_id}" if event_id else None
    if body.get("type") == "block_actions":
        actions = body.get("actions") or [{}]
        action_ts = actions[0].get("action_ts")
        user = (body.get("user") or {}).get("id")
        return f"slack-action:{user}:{action_ts}" if action_ts and user else None
    return None


def _header(req: BoltRequest, name: str) -> str:
    values = req.headers.get(name) or []
    return str(values[0]) if values else ""


class CorrelatedApp(App):
    """A Bolt app that gives every request (HTTP and Socket Mode alike: both end in
    :meth:`dispatch`) its own ``chat-`` correlation id, and lets in only what the
    :class:`RequestGate` lets through. The middleware, the listener and the work after the
    acknowledgement (the executor copies the context) all log under the id."""

    def __init__(self, *, gate: RequestGate, **settings: Any) -> None:
        super().__init__(**settings)
        self.gate = gate

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        with correlation(prefix="chat"):
            refused = self.gate.refusal(req)
            if refused is not None:
                return refused
            return super().dispatch(req)


def create_app(
    front: SlackFront,
    *,
    signing_secret: str,
    client: WebClient,
    process_before_response: bool = True,
    listener_executor: Executor | None = None,
) -> App:
    """The Slack app, built once: the gate, middleware for redeliveries and for who is
    asking, then the listeners. The board's workspace: ``[bot.slack] team_id``, else
    ``auth.test`` of ``client``'s token, asked here once."""
    engine = front.engine
    workspace = engine.config.bot.slack.team_id or workspace_of(client)
    app = CorrelatedApp(
        gate=RequestGate(signing_secret, workspace),
        signing_secret=signing_secret,
        client=client,
        token_verification_enabled=False,
        process_before_response=process_before_response,
        listener_executor=listener_executor,
        logger=logging.getLogger("provisioner.bot.slack.bolt"),
        request_verification_enabled=False,  # the gate checks the signature
    )
    def background(work: Callable[[], object]) -> None:
        """Work after the acknowledgement, in the request's context (its correlation id):
        the runtime's executor copies it; a bare thread gets a copy here."""
        if listener_executor is not None:
            listener_executor.submit(_safely, work)
        else:
            context = contextvars.copy_context()
            threading.Thread(target=context.run, args=(_safely, work), daemon=True).start()

    # -- redeliveries: once, decided by the database -----------------------------------------

    def first_delivery(body: dict[str, Any], user_id: str | None) -> bool:
        """False for Slack's redelivery of a direct message or button press that was handled
        (or is being handled) already. Asked after the acknowledgement, so the answer to
        Slack never waits for the database; the redelivery is acknowledged like the first."""
        key = delivery_key(body)
        if key is None or first_time(engine.sessions, key, actor=f"chat:{user_id}"):
            return True
        log.info("a Slack redelivery was ignored")
        return False

    # -- authorisation: who is asking -------------------------------------------------------

    @app.middleware
    def resolve_asker(
        req: BoltRequest, context: BoltContext, body: dict[str, Any], next: Callable[[], None]
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
            body.get("channel_id") or event.get("channel") or (body.get("channel") or {}).get("id")
            or ""
        )
        who = Incoming("slack", user_id, channel, front.email_of(client, user_id))
        asker = front.asker_of(who)
        if asker is None:
            if not first_delivery(body, user_id):  # refused once, not again for a retry
                return BoltResponse(status=200, body="")
            command = str(body.get("command") or "")
            language = choose_language(
                str(body.get("text") or event.get("text") or ""),
                "en" if command in ENGLISH_COMMANDS else None,
                engine.default_language,
            )
            outcome = engine.refuse_unknown(who, language, defer=background)
            reply = outcome.replies[0]
            if body.get("command"):
                return BoltResponse(
                    status=200,
                    body={"response_type": "ephemeral", "text": fallback_text(reply)},
                    headers={"content-type": "application/json"},
                )
            response_url = body.get("response_url")
            if response_url:  # a button: answer where it was pressed
                background(lambda: WebhookClient(str(response_url)).send(
                    text=fallback_text(reply), response_type="ephemeral",
                    replace_original=False))
            elif channel.startswith("D"):  # a direct message: answer there
                background(lambda: client.chat_postMessage(channel=channel,
                                                           text=fallback_text(reply)))
            else:
                background(lambda: front.direct(client, user_id, reply, None))
            return BoltResponse(status=200, body="")
        context["who"] = who
        context["asker"] = asker
        next()
        return None

    # -- slash commands ---------------------------------------------------------------------

    def handle_command(command: dict[str, Any], context: BoltContext,
                       client: WebClient, respond: Respond) -> None:
        name = str(command["command"])
        text = unescape_mrkdwn(str(command.get("text") or "")).strip()
        if name in ("/uitdienst", "/offboard") and not text and command.get("trigger_id"):
            language: Language = "en" if name == "/offboard" else "nl"
            client.views_open(trigger_id=command["trigger_id"],
                              view=offboarding_modal(language, str(command["channel_id"])))
            return
        who: Incoming = context["who"]
        if engine.flow_for_command(name) is None:
            outcome = engine.message(who, "help", deliver=front.deliverer(client))
        else:
            outcome = engine.command(who, name, text, deliver=front.deliverer(client))
        asks = bool(outcome.replies) and "?" in outcome.replies[-1].text  # wants typed text
        if outcome.waiting and asks and not who.channel.startswith("D"):
            hint = Reply(
                "Je kunt hierop antwoorden in je privégesprek met mij (Apps > de bot)."
                if outcome.language == "nl"
                else "You can answer in your direct messages with me (Apps > the bot)."
            )
            outcome = dataclasses.replace(outcome, replies=(*outcome.replies, hint))
        front.to_channel(client, who.channel, outcome, who.user, respond)

    # -- direct messages --------------------------------------------------------------------

    @app.command(re.compile(r"^/[a-z]+$"))
    def on_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient,
                   respond: Respond) -> None:
        ack()
        background(lambda: handle_command(command, context, client, respond))

    def handle_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext,
                       client: WebClient) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        if not first_delivery(body, context.user_id):
            return
        who: Incoming = context["who"]
        outcome = engine.message(who, unescape_mrkdwn(str(event.get("text") or "")),
                                 deliver=front.deliverer(client))
        front.to_channel(client, who.channel, outcome, who.user, None)

    @app.event("message")
    def on_message(ack: Ack, event: dict[str, Any], body: dict[str, Any], context: BoltContext,
                   client: WebClient) -> None:
        ack()
        background(lambda: handle_message(event, body, context, client))

    # -- buttons ----------------------------------------------------------------------------

    def handle_press(action: dict[str, Any], body: dict[str, Any], context: BoltContext,
                     client: WebClient, respond: Respond) -> None:
        if not first_delivery(body, context.user_id):
            return
        flow, name = parse_action_id(str(action["action_id"]))
        who: Incoming = context["who"]
        outcome = engine.press(who, flow, name, str(action.get("value") or ""),
                               deliver=front.deliverer(client))
        front.to_channel(client, who.channel, outcome, who.user, respond)

    @app.action(re.compile(r"^[a-z_]+:[a-z_]+"))
    def on_press(ack: Ack, action: dict[str, Any], body: dict[str, Any], context: BoltContext,
                 client: WebClient, respond: Respond) -> None:
        ack()
        background(lambda: handle_press(action, body, context, client, respond))

    # -- the offboarding form ---------------------------------------------------------------

    def handle_offboarding_modal(view: dict[str, Any], context: BoltContext,
                                 client: WebClient) -> None:
        who: Incoming = context["who"]
        channel = client.conversations_open(users=who.user)["channel"]["id"]
        in_dm = Incoming("slack", who.user, str(channel), who.email)
        english = str(view.get("private_metadata", "")).startswith("en|")
        text = ("offboard " if english else "") + modal_text(view["state"]["values"])
        outcome = engine.command(in_dm, "/offboard" if english else "/uitdienst", text,
                                 deliver=front.deliverer(client))
        front.to_channel(client, str(channel), outcome, who.user, None)

    @app.view(OFFBOARDING_MODAL)
    def on_offboarding_modal(ack: Ack, view: dict[str, Any], context: BoltContext,
                             client: WebClient) -> None:
        ack()
        background(lambda: handle_offboarding_modal(view, context, client))

    @app.error
    def handle_error(error: Exception) -> None:
        incident = uuid.uuid4().hex[:8]
        log.error("slack listener failed (incident %s): %s", incident, type(error).__name__)

    return app


def _safely(work: Callable[[], object]) -> None:
    try:
        work()
    except Exception as exc:  # background delivery: nobody to raise to
        log.error("background slack work failed: %s", type(exc).__name__)
