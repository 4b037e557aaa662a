"""The bot in a running process (``provisioner serve``): engine, Slack app, periodic work.

    runtime = BotRuntime(config, sessions, services=default_services(config, sessions))
    status, headers, body = runtime.handle_http(body, headers)   # POST /slack/events
    runtime.start_socket_mode()                                  # or: Socket Mode
    runtime.tick(now)                                            # every minute
    runtime.close()

Built once per process. Without Slack credentials (``[bot.slack]``) the engine and
:meth:`tick` still work; :meth:`handle_http` answers 503 and Socket Mode refuses to start.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import Audience, Language, Notice, Reply
from bot.engine import ChatEngine, now_in_amsterdam
from bot.flows import available_flows
from bot.flows.offboarding import run_due_offboardings
from bot.once import forget_old_actions
from bot.slack_app import SlackFront, create_app
from provisioner import metrics
from provisioner.config import Config
from provisioner.errors import ConfigError
from provisioner.logging_setup import correlation

log = logging.getLogger("provisioner.bot")


class AckFirst:
    """Acknowledgements before the work behind them. Slack's requests being answered are
    counted; work after an acknowledgement waits to start until none is being answered and
    none has been for ``quiet`` seconds (at most ``longest`` seconds). In one process the
    interpreter lock is one core's worth of Python for everything: a burst of 200 requests
    would otherwise share it with the work of the requests answered just before, and the
    last acknowledgement would wait for all of it (``benchmarks/bot.py``)."""

    def __init__(self, quiet: float = 0.02, longest: float = 2.0) -> None:
        self.quiet, self.longest = quiet, longest
        self._answering = 0
        self._last = 0.0
        self._changed = threading.Condition()

    def begin(self) -> None:
        with self._changed:
            self._answering += 1

    def end(self) -> None:
        with self._changed:
            self._answering -= 1
            self._last = time.monotonic()
            if not self._answering:
                self._changed.notify_all()

    def wait_turn(self) -> None:
        """Return when no acknowledgement is pending (or after ``longest`` seconds)."""
        deadline = time.monotonic() + self.longest
        with self._changed:
            while True:
                now = time.monotonic()
                if now >= deadline:
                    return
                if not self._answering:
                    calm = self._last + self.quiet - now
                    if calm <= 0:
                        return
                    self._changed.wait(min(calm, deadline - now))
                else:
                    self._changed.wait(deadline - now)


class TrackingExecutor(ThreadPoolExecutor):
    """Where the Slack listeners' work runs after the acknowledgement, in the caller's
    context (its correlation id), each piece after the acknowledgements in hand (``ack_first``);
    it can also wait until the work in hand is done (tests, a clean shutdown)."""

    def __init__(
        self, max_workers: int = 2, name: str = "bot-listener", ack_first: AckFirst | None = None
    ) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self._futures: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self.ack_first = ack_first

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn`` in a worker with a copy of the caller's context variables: the work
        after an acknowledgement logs under the interaction's correlation id."""
        context = contextvars.copy_context()
        future = super().submit(context.run, self._in_turn, fn, *args, **kwargs)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)
        return future

    def _in_turn(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if self.ack_first is not None:
            self.ack_first.wait_turn()
        return fn(*args, **kwargs)

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)

    def idle(self) -> bool:
        with self._lock:
            return not self._futures

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no submitted work is running; False when ``timeout`` passed first."""
        while True:
            with self._lock:
                pending = set(self._futures)
            if not pending:
                return True
            _done, not_done = wait(pending, timeout=timeout)
            if not_done:
                return False


class BotRuntime:
    def __init__(
        self,
        config: Config,
        sessions: sessionmaker[Session],
        *,
        slack_client: WebClient | None = None,
        services: Mapping[str, Any],
        clock: Callable[[], datetime] = now_in_amsterdam,
        workers: int = 2,
    ) -> None:
        self.config = config
        self.sessions = sessions
        # What flows may call besides the database (the core sync for one person): given by
        # the composition root (provisioner.app.bot_services); required, so a runtime never
        # records offboardings that nothing runs. Tests pass {} to leave runs out.
        self.services = dict(services)
        # Runs started by a chat confirmation go to a pool of their own: a slow target never
        # holds up the listeners (Slack's acknowledgement and everyone else's messages).
        self.ack_first = AckFirst()
        self.runs = TrackingExecutor(2, name="bot-run", ack_first=self.ack_first)
        self.services.setdefault("background", self.in_background)
        self.engine = ChatEngine(
            config, sessions, available_flows(), services=self.services, clock=clock
        )
        self.front = SlackFront(self.engine)
        self.executor = TrackingExecutor(workers, ack_first=self.ack_first)
        slack = config.bot.slack
        token = slack.secret_value("bot_token")
        secret = slack.secret_value("signing_secret")
        if slack_client is None and token is not None:
            slack_client = WebClient(
                token=token,
                base_url=slack.api_url,
                retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
            )
        self.client = slack_client
        self._app: App | None = None
        if slack_client is not None and secret is not None:
            self._app = create_app(
                self.front,
                signing_secret=secret,
                client=slack_client,
                listener_executor=self.executor,
            )
        self._socket: Any = None

    @property
    def slack_app(self) -> App:
        if self._app is None:
            raise ConfigError(
                "the Slack app is not configured: set the bot token and the signing secret "
                f"({self.config.bot.slack.bot_token_env}, "
                f"{self.config.bot.slack.signing_secret_env})"
            )
        return self._app

    def handle_http(
        self, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request from Slack (Events API, commands, interactivity); the signature
        is checked by Bolt (401 when wrong or older than 5 minutes)."""
        if self._app is None:
            return 503, {"Content-Type": "text/plain"}, b"the Slack app is not configured"
        started = time.perf_counter()
        self.ack_first.begin()
        try:
            try:
                request = BoltRequest(body=body.decode("utf-8"),
                                      headers={k: v for k, v in headers.items()})
            except ValueError:  # not UTF-8, or a body Bolt cannot parse: not from Slack
                log.warning("slack request refused: its body cannot be read")
                return 401, {"Content-Type": "text/plain"}, b"unreadable request"
            response = self._app.dispatch(request)
        finally:
            self.ack_first.end()
        metrics.bot_ack_seconds.observe(time.perf_counter() - started)
        out = {name: ", ".join(values) for name, values in response.headers.items()}
        payload = response.body if isinstance(response.body, str) else str(response.body)
        return response.status, out, payload.encode("utf-8")

    def start_socket_mode(self) -> None:
        """Connect over Socket Mode (no public URL needed); returns at once."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        app_token = self.config.bot.slack.secret_value("app_token")
        if app_token is None:
            raise ConfigError(
                f"Socket Mode needs the app-level token in {self.config.bot.slack.app_token_env}"
            )
        self._socket = SocketModeHandler(self.slack_app, app_token)
        self._socket.connect()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait for work started after acknowledgements and the runs they started (tests,
        shutdown)."""
        deadline = time.monotonic() + timeout
        while True:
            if not self.executor.wait_idle(max(0.0, deadline - time.monotonic())):
                return False
            if not self.runs.wait_idle(max(0.0, deadline - time.monotonic())):
                return False
            if self.executor.idle() and self.runs.idle():
                return True

    def in_background(self, job: Callable[[], list[Notice]], flow: str) -> None:
        """Run ``job`` (an offboarding's sync) in the run pool, then deliver the notices it
        returns (the requester hears the outcome as a direct message)."""

        def run() -> None:
            try:
                notices = job()
            except Exception as exc:  # the job records its own failures; this is a bug
                log.error("background %s job failed: %s", flow, type(exc).__name__)
                return
            if notices:
                self.deliver(notices, flow=flow)

        self.runs.submit(run)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self.executor.shutdown(wait=True)
        self.runs.shutdown(wait=True)

    # -- periodic work ----------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        """Every minute: run offboardings whose day has come (and tell the requesters); send
        breach deadline reminders to the privacy officer. Each tick that does something logs
        under a correlation id of its own (``tick-...``)."""
        with correlation(prefix="tick"):
            offboarding = run_due_offboardings(self.config, self.sessions, self.services, now)
            if offboarding:
                self.deliver(offboarding, flow="offboarding")
            reminders = self._breach_reminders(now)
            if reminders:
                self.deliver(reminders, flow="breach")
            if now.minute == 0:  # hourly is plenty
                forget_old_actions(self.sessions, now)

    def deliver(self, notices: list[Notice], flow: str | None) -> int:
        """Send notices as Slack direct messages; how many reached someone."""
        if self.client is None:
            log.warning("%d notice(s) not delivered: Slack is not configured", len(notices))
            return 0
        return self.front.notify(self.client, notices, flow)

    def deliverer(self) -> Callable[[Notice, str], int] | None:
        """A front end's ``deliver`` through this runtime's Slack (the console in tests and
        for admins: what a flow sends now reaches people's Slack), or None without Slack."""
        if self.client is None:
            return None
        return self.front.deliverer(self.client)

    def _breach_reminders(self, now: datetime) -> list[Notice]:
        try:
            from provisioner.privacy.breaches import BreachRegister
        except ImportError:
            return []
        register = BreachRegister(self.sessions)
        language: Language = "en" if self.config.bot.languages[:1] == ["en"] else "nl"
        notices = []
        for reminder in register.due_reminders(now):
            if register.mark_reminded(reminder, now=now):  # once, even with several replicas
                notices.append(Notice(
                    Audience.PRIVACY_OFFICER,
                    Reply(reminder.text(language, now),
                          data={"breach": reminder.breach_id, "deadline": reminder.kind}),
                ))
        return notices
