"""A local fake of the Slack Web API, and signed Slack requests, for tests and benchmarks.

    with SlackEmulator() as slack:
        slack.add_user("U100", "l.leider@bestuur.nl")
        client = WebClient(token=slack.bot_token, base_url=slack.base_url)
        ...
        slack.calls("chat.postMessage")         # what the app sent, in order

    requests = SlackRequests(SIGNING_SECRET, response_url=slack.response_url())
    body, headers = requests.slash("/uitdienst", "Jan de Vries per 1 december", user="U100")
    status, _, answer = runtime.handle_http(body, headers)
    runtime.handle_http(*requests.redeliver((body, headers)))   # Slack's retry of the same
    requests.for_team("T0OTHER").dm("hallo", user="U100")       # from another workspace

Faithful to the public Web API documentation where the bot relies on it: every method answers
HTTP 200 with ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}`` (``not_authed``
without a token, ``invalid_auth`` for a token that is not ours, ``user_not_found``,
``users_not_found``, ``channel_not_found``, ``invalid_arguments``, ``unknown_method``);
rate limiting is HTTP 429 with ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``.
Arguments come form-encoded or as JSON, the token as ``Authorization: Bearer`` or a ``token``
argument. ``response_url`` posts (``/response/<id>``) are recorded as method ``response_url``.
Methods: auth.test (with the emulated workspace's ``team_id``), users.info,
users.lookupByEmail, conversations.open, chat.postMessage, chat.postEphemeral, chat.update,
views.open, views.update, views.publish.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from connectors.emulators.loopback import Answer, LoopbackEmulator, LoopbackServer, json_answer

BOT_TOKEN = "xoxb-emulated-bot-token"
TEAM_ID = "T0EMULATED"
BOT_USER = "U0BOT"


@dataclass(frozen=True)
class Call:
    """One request the emulator received."""

    method: str  # "chat.postMessage", or "response_url"
    args: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)


class SlackEmulator(LoopbackEmulator):
    """The Slack Web API subset the bot uses, on 127.0.0.1."""

    def __init__(self, *, bot_token: str = BOT_TOKEN, team_id: str = TEAM_ID) -> None:
        self.bot_token = bot_token
        self.team_id = team_id  # the workspace: auth.test names it, users belong to it
        self.users: dict[str, dict[str, Any]] = {}
        self._calls: list[Call] = []
        self._limits: dict[str, list[int]] = {}  # method -> [remaining 429s, retry_after]
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._views = itertools.count(1)

    # -- set-up -----------------------------------------------------------------------------

    def start(self) -> SlackEmulator:
        if self._server is None:
            self._server = LoopbackServer(
                self._respond, name="slack-emulator", server_version="SlackEmulator",
                methods=("GET", "POST"),
            ).start()
        return self

    @property
    def base_url(self) -> str:
        """For ``WebClient(base_url=...)``: ``http://127.0.0.1:<port>/api/``."""
        return f"{self.root_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.root_url}/response/{name}"

    def add_user(
        self,
        user_id: str,
        email: str | None,
        *,
        name: str = "",
        is_bot: bool = False,
        deleted: bool = False,
        email_confirmed: bool = True,
        locale: str = "nl-NL",
    ) -> None:
        profile: dict[str, Any] = {"real_name": name or user_id, "display_name": name}
        if email is not None:
            profile["email"] = email
        with self._lock:
            self.users[user_id] = {
                "id": user_id,
                "team_id": self.team_id,
                "name": (name or user_id).lower().replace(" ", "."),
                "deleted": deleted,
                "is_bot": is_bot,
                "is_email_confirmed": email_confirmed,
                "locale": locale,
                "profile": profile,
            }

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls of ``method`` answer 429 with ``Retry-After``."""
        with self._lock:
            self._limits[method] = [times, retry_after]

    # -- the record -------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    # -- serving ----------------------------------------------------------------------------

    def _respond(self, verb: str, target: str, headers: Message, body: bytes) -> Answer:
        path = urlsplit(target).path
        args = _arguments(target, headers, body)
        if path.startswith("/response/"):
            return self._answer("response_url", args, 200, {"ok": True})
        if not path.startswith("/api/"):
            return json_answer(404, {"ok": False, "error": "not_found"}, {})
        method = path.removeprefix("/api/")
        with self._lock:
            limit = self._limits.get(method)
            if limit and limit[0] > 0:
                limit[0] -= 1
                retry_after = limit[1]
                self._calls.append(Call(method, args, 429))
                return json_answer(
                    429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
                )
        token = _token(headers, args)
        if token is None:
            return self._answer(method, args, 200, {"ok": False, "error": "not_authed"})
        if token != self.bot_token:
            return self._answer(method, args, 200, {"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return self._answer(method, args, 200, {"ok": False, "error": "unknown_method"})
        return self._answer(method, args, 200, handler(args))

    def _answer(self, method: str, args: dict[str, Any], status: int, body: Any) -> Answer:
        with self._lock:
            self._calls.append(Call(method, args, status))
        return json_answer(status, body, {})

    # -- methods ----------------------------------------------------------------------------

    def _m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://emulated.slack.com/", "team": "Emulated",
                "user": "provisioner", "team_id": self.team_id, "user_id": BOT_USER,
                "bot_id": "B0BOT"}

    def _m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).lower()
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email and not user["deleted"]:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", "")).split(",")
        if len(users) != 1 or users[0] not in self.users:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": "D" + users[0].removeprefix("U")}}

    def _m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        return {"ok": True, "channel": channel, "ts": ts,
                "message": {"text": args.get("text", ""), "ts": ts}}

    def _m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if str(args.get("user", "")) not in self.users:
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": f"{int(time.time())}.{next(self._ts):06d}"}

    def _m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("channel") or not args.get("ts"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id") or not args.get("view"):
            return {"ok": False, "error": "invalid_arguments"}
        view = args["view"] if isinstance(args["view"], dict) else json.loads(args["view"])
        return {"ok": True, "view": {"id": f"V{next(self._views):08d}", **view}}

    def _m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("view_id") and not args.get("external_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": args.get("view_id")}}

    def _m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}


def _arguments(target: str, headers: Message, body: bytes) -> dict[str, Any]:
    args: dict[str, Any] = dict(parse_qsl(urlsplit(target).query))
    kind = headers.get("Content-Type", "")
    if body and "json" in kind:
        loaded = json.loads(body)
        if isinstance(loaded, dict):
            args.update(loaded)
    elif body:
        args.update(parse_qsl(body.decode()))
        for name in ("blocks", "view", "attachments"):
            if isinstance(args.get(name), str):
                with contextlib.suppress(ValueError):
                    args[name] = json.loads(args[name])
    return args


def _token(headers: Message, args: Mapping[str, Any]) -> str | None:
    auth = headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return auth.removeprefix("Bearer ").strip() or None
    token = args.get("token")
    return str(token) if token else None


# -- signed requests, as Slack sends them -------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds: ``X-Slack-Request-Timestamp`` and ``X-Slack-Signature``
    (``v0=`` + HMAC-SHA256 of ``v0:<timestamp>:<body>``)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest.hexdigest()}


@dataclass
class SlackRequests:
    """Builds signed Slack requests: ``(body, headers)`` ready for the HTTP app."""

    signing_secret: str
    response_url: str = "https://hooks.slack.com/commands/T0/1/x"
    team_id: str = TEAM_ID
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _signed(self, body: bytes, content_type: str, timestamp: int | None) -> tuple[
        bytes, dict[str, str]
    ]:
        headers = {"Content-Type": content_type, **sign(self.signing_secret, body, timestamp)}
        return body, headers

    def for_team(self, team_id: str) -> SlackRequests:
        """The same builder for requests from another workspace (``team_id``, ``team.id``)."""
        return dataclasses.replace(self, team_id=team_id)

    def redeliver(
        self,
        request: tuple[bytes, dict[str, str]],
        *,
        retry_num: int = 1,
        reason: str = "http_timeout",
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """Slack's retry of a delivery: the same body (the same ``event_id``, the same
        ``action_ts``), signed anew, with ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``."""
        body, headers = request
        content_type = headers.get("Content-Type", "application/json")
        _, signed = self._signed(body, content_type, timestamp)
        return body, {**signed, "X-Slack-Retry-Num": str(retry_num),
                      "X-Slack-Retry-Reason": reason}

    def slash(
        self,
        command: str,
        text: str,
        *,
        user: str,
        channel: str = "C0GENERAL",
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A slash command (form-encoded, as Slack posts it)."""
        n = next(self._ids)
        form = {
            "token": "deprecated-verification-token",
            "team_id": self.team_id,
            "team_domain": "emulated",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0PROVISIONER",
            "response_url": self.response_url,
            "trigger_id": f"{n}.{n}.trigger",
        }
        return self._signed(
            urlencode(form).encode(), "application/x-www-form-urlencoded", timestamp
        )

    def action(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        channel: str = "C0GENERAL",
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A button press (interactivity ``block_actions``, form field ``payload``)."""
        n = next(self._ids)
        payload = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "emulated"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0PROVISIONER",
            "token": "deprecated-verification-token",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": channel,
                          "is_ephemeral": not channel.startswith("D")},
            "trigger_id": f"{n}.{n}.trigger",
            "channel": {"id": channel, "name": "directmessage"},
            "response_url": self.response_url,
            "actions": [{
                "type": "button",
                "action_id": action_id,
                "block_id": "actions",
                "text": {"type": "plain_text", "text": "button"},
                "value": value,
                "action_ts": f"{int(time.time())}.{n:06d}",
            }],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._signed(body, "application/x-www-form-urlencoded", timestamp)

    def view_submission(
        self,
        callback_id: str,
        values: Mapping[str, Mapping[str, Mapping[str, Any]]],
        *,
        user: str,
        private_metadata: str = "",
        timestamp: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A modal's submit (``view_submission``); ``values`` as Slack nests them:
        block id -> action id -> ``{"type": ..., "value": ...}``."""
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "emulated"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A0PROVISIONER",
            "token": "deprecated-verification-token",
            "trigger_id": "1.1.trigger",
            "view": {
                "id": "V00000001",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
            },
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._signed(body, "application/x-www-form-urlencoded", timestamp)

    def dm(
        self, text: str, *, user: str, channel: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A direct message to the app (Events API ``message.im``)."""
        n = next(self._ids)
        channel = channel or "D" + user.removeprefix("U")
        event = {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": f"{int(time.time())}.{n:06d}",
            "channel": channel,
            "event_ts": f"{int(time.time())}.{n:06d}",
        }
        envelope = {
            "token": "deprecated-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A0PROVISIONER",
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{n:08d}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": BOT_USER, "is_bot": True}],
        }
        return self._signed(json.dumps(envelope).encode(), "application/json", timestamp)
