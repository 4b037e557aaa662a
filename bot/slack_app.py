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

Each kind has a module of its own with module-level handlers and a short ``register_*(app,
deps)`` (``slack_asker``, ``slack_commands``, ``slack_messages``, ``slack_actions``,
``slack_views``), sharing :class:`bot.slack_deps.SlackDeps`; the gate is in ``slack_gate``,
who is asking and delivery in ``slack_front``.

Every listener acknowledges at once in the request's own thread and hands its work to the
runtime's executor (``process_before_response=True``: the HTTP answer leaves when the
listener returns, which is right after the ack), so Slack gets its answer well within 3 s
however long the work takes. The executor starts that work once the requests in hand are
answered (:class:`bot.runtime.AckFirst`), and nothing before an acknowledgement writes to the
database. Not Bolt's lazy listeners: they deep-copy every request first,
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

import logging
import uuid
from concurrent.futures import Executor

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack_actions import register_actions
from bot.slack_asker import register_asker_check
from bot.slack_commands import COMMANDS, ENGLISH_COMMANDS, register_commands
from bot.slack_deps import SlackDeps
from bot.slack_front import EMAIL_TTL_SECONDS, SlackFront
from bot.slack_gate import (
    TIMESTAMP,
    CorrelatedApp,
    RequestGate,
    delivery_key,
    from_workspace,
    team_of,
    workspace_of,
)
from bot.slack_messages import register_messages
from bot.slack_views import register_views

__all__ = [
    "COMMANDS",
    "EMAIL_TTL_SECONDS",
    "ENGLISH_COMMANDS",
    "TIMESTAMP",
    "CorrelatedApp",
    "RequestGate",
    "SlackDeps",
    "SlackFront",
    "create_app",
    "delivery_key",
    "from_workspace",
    "team_of",
    "workspace_of",
]

log = logging.getLogger("provisioner.bot.slack")


def create_app(
    front: SlackFront,
    *,
    signing_secret: str,
    client: WebClient,
    process_before_response: bool = True,
    listener_executor: Executor | None = None,
) -> App:
    """The Slack app, built once: the gate, middleware for who is asking (redeliveries are
    dropped by each listener after its acknowledgement), then the listeners, one feature at
    a time. The board's workspace: ``[bot.slack] team_id``, else ``auth.test`` of
    ``client``'s token, asked here once."""
    workspace = front.engine.config.bot.slack.team_id or workspace_of(client)
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
    deps = SlackDeps(front, listener_executor)
    register_asker_check(app, deps)
    register_commands(app, deps)
    register_messages(app, deps)
    register_actions(app, deps)
    register_views(app, deps)
    app.error(handle_listener_error)
    return app


def handle_listener_error(error: Exception) -> None:
    incident = uuid.uuid4().hex[:8]
    log.error("slack listener failed (incident %s): %s", incident, type(error).__name__)
