"""What a Slack request must be before Bolt sees it (:class:`RequestGate`), the app that asks
the gate first (:class:`CorrelatedApp`), and the key of a request Slack may deliver twice."""

from __future__ import annotations

import logging
import random
import re
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.signature import SignatureVerifier

from provisioner.logging_setup import correlation, correlation_id

log = logging.getLogger("provisioner.bot.slack")

TIMESTAMP = re.compile(r"[0-9]{1,12}")  # X-Slack-Request-Timestamp: seconds since 1970
CHAT_PREFIX = "chat-"


def chat_correlation_id() -> str:
    """A new ``chat-`` correlation id. From the process's pseudo-random generator, not
    ``uuid4``: the id only tells log lines apart, and reading the kernel's random source
    gives the interpreter lock away in the middle of an acknowledgement, which under load
    (a sync applying in another thread) costs up to a whole switch interval to get back."""
    return f"{CHAT_PREFIX}{random.getrandbits(48):012x}"


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
    probe = WebClient(
        token=client.token, base_url=client.base_url, timeout=10, ssl=client.ssl, proxy=client.proxy
    )
    team: object = None
    why = "it named no workspace"
    try:
        team = probe.auth_test().get("team_id")
    except SlackApiError as exc:
        why = str(exc.response.get("error"))
    except (SlackClientError, OSError) as exc:
        why = type(exc).__name__
    if not team:
        log.warning(
            "auth.test failed (%s): Slack requests are not checked for their "
            "workspace; set [bot.slack] team_id",
            why,
        )
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
        current = correlation_id()  # the HTTP endpoint's, when it gave the request one
        known = current if current and current.startswith(CHAT_PREFIX) else None
        with correlation(known or chat_correlation_id()):
            refused = self.gate.refusal(req)
            if refused is not None:
                return refused
            return super().dispatch(req)
