"""The ``provisioner serve`` process: one object that starts, runs and stops everything.

Threads, each a plain loop that waits on one stop event:

- ``schedule``: looks at the schedule every ``service.poll_seconds``; when the nightly moment
  is due (or at start with ``--run-now``, or at the moment of ``--run-at``) it runs the
  nightly job under the nightly lease; when another process holds it, this one does not run;
- ``bot-tick``: every ``service.tick_seconds`` calls ``BotRuntime.tick(now)`` (scheduled
  offboarding steps, deadline reminders) when the Slack bot is configured;
- ``http``: health, readiness, metrics and Slack's HTTP mode (:mod:`provisioner.app.service.http`).

The database decides what the process may do: a schema from a newer release stops the
process (exit 3, nothing touched); an older schema is migrated at start with ``--migrate``,
otherwise the process waits, not ready, until ``provisioner db upgrade`` has run.
"""

from __future__ import annotations

import logging
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from provisioner.app.bot_services import default_services
from provisioner.app.config import load_config
from provisioner.app.service.http import make_server, serve_in_background
from provisioner.app.service.nightly import last_full_run_started, run_nightly
from provisioner.app.service.schedule import due_moment, next_moment
from provisioner.config import Config, database_url
from provisioner.execution.engine import close_dead_runs
from provisioner.execution.locks import LockHeld
from provisioner.logging_setup import correlation
from provisioner.store.db import (
    DatabaseFromTheFuture,
    SchemaStatus,
    current_revision,
    make_engine,
    schema_status,
    session_factory,
    upgrade,
)

log = logging.getLogger("provisioner.serve")
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServeOptions:
    host: str | None = None
    port: int | None = None
    migrate: bool = False
    run_now: bool = False
    #: with ``run_now``: not at start but at this moment (naive: the schedule's time zone)
    run_at: datetime | None = None


class Service:
    def __init__(self, config_path: Path, options: ServeOptions, clock: Clock = _now) -> None:
        self.config_path = config_path
        self.options = options
        self.clock = clock
        self.config: Config = load_config(config_path)
        self.engine: Engine = make_engine(database_url(self.config, config_path.parent))
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        self.zone = ZoneInfo(self.config.schedule.timezone)
        if options.run_at is not None and options.run_at.tzinfo is None:
            options.run_at = options.run_at.replace(tzinfo=self.zone)
        self.bot: Any = None
        self.fatal: Exception | None = None
        self._stop = threading.Event()
        self._stopping = threading.Lock()
        self._stopped = False
        self._serving = False
        self._threads: list[threading.Thread] = []
        self._run_now_pending = options.run_now
        self.server = make_server(
            options.host or self.config.service.host,
            self.config.service.port if options.port is None else options.port,
            self,
            lambda: self.bot,
        )

    # -- probes ---------------------------------------------------------------------------

    def healthy(self) -> tuple[bool, str]:
        if self.fatal is not None:
            return False, f"stopping: {self.fatal}"
        dead = [t.name for t in self._threads if not t.is_alive()]
        if dead:
            return False, f"stopped threads: {', '.join(dead)}"
        return True, "ok"

    def ready(self) -> tuple[bool, str]:
        try:
            status = schema_status(self.engine)
        except Exception as exc:  # the probe reports, it does not crash
            return False, f"the database cannot be reached ({type(exc).__name__})"
        if status is SchemaStatus.CURRENT:
            return self._slack_ready()
        if status is SchemaStatus.AHEAD:
            return False, "the database was upgraded by a newer release"
        return False, "the database schema is older than this release: run provisioner db upgrade"

    def _slack_ready(self) -> tuple[bool, str]:
        """Not ready while the bot runs with a Slack app whose credentials are incomplete
        (a token without the signing secret, Socket Mode without its app token): Slack's
        requests could not be answered. The reason names the variables, never a value."""
        from provisioner.app.config_check import incomplete_slack_text, slack_credentials_missing

        if not self._has_bot_section():
            return True, "ready"
        missing = slack_credentials_missing(self.config.bot.slack)
        if missing:
            return False, incomplete_slack_text(missing)
        return True, "ready"

    # -- life cycle -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def prepare(self) -> None:
        """Check the schema before anything starts: refuse a future one, migrate if asked."""
        if self._schema() is SchemaStatus.BEHIND:
            if self.options.migrate:
                upgrade(self.engine)
            else:
                log.warning(
                    "the database schema is older than this release; not ready until "
                    "'provisioner db upgrade' has run (or start with --migrate)"
                )

    def start(self) -> None:
        self.prepare()
        self._close_dead_runs()
        self._threads.append(serve_in_background(self.server))
        self._serving = True
        self._start_thread("schedule", self._schedule_loop)
        self._start_bot()
        log.info(
            "serving on port %d; next scheduled sync %s",
            self.port,
            self._next_moment_text(),
        )

    def _close_dead_runs(self) -> None:
        """Runs whose process died (a replica killed mid-run) are closed as ``interrupted``
        at start, not left ``running`` until the next sync; never fatal for the start."""
        if self._schema() is not SchemaStatus.CURRENT:
            return
        try:
            for note in close_dead_runs(self.sessions, closer="serve at start"):
                log.info("%s", note)
        except Exception as exc:  # the next run closes them too
            log.warning("could not close dead runs at start: %s", type(exc).__name__)

    def wait(self) -> None:
        while not self._stop.wait(1):
            pass

    def stop(self) -> None:
        with self._stopping:
            if self._stopped:
                return
            self._stopped = True
        self._stop.set()
        log.info("stopping")
        if self._serving:  # shutdown() waits for a serve loop, so only when one runs
            self.server.shutdown()
        self.server.server_close()
        if self.bot is not None:
            try:
                self.bot.close()
            except Exception:
                log.exception("the bot did not close cleanly")
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=10)
        self.engine.dispose()

    def _start_thread(self, name: str, loop: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                loop()
            except Exception as exc:
                log.exception("the %s thread stopped", name)
                self._fail(exc)

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _fail(self, exc: Exception) -> None:
        self.fatal = exc
        self._stop.set()

    # -- the schedule -----------------------------------------------------------------------

    def _next_moment_text(self) -> str:
        if not self.config.schedule.enabled:
            return "never (schedule.enabled = false)"
        moment = next_moment(self.config.schedule.sync, self.zone, self.clock())
        return f"{moment:%Y-%m-%d %H:%M %Z}"

    def _due(self) -> datetime | None:
        schedule = self.config.schedule
        return due_moment(
            schedule.sync,
            self.zone,
            self.clock(),
            catch_up=timedelta(hours=schedule.catch_up_hours),
            last_full_run=last_full_run_started(self.sessions),
        )

    def _schedule_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.check_schedule()
            except DatabaseFromTheFuture as exc:
                log.error("%s", exc)
                self._fail(exc)
                return
            except Exception:
                log.exception("looking at the schedule failed; trying again")
            self._stop.wait(self._until_next_look())

    def _until_next_look(self) -> float:
        """Seconds until the schedule is looked at again: the poll interval, or less when a
        job asked for with ``--run-at`` falls due before then (so it starts on the moment)."""
        wait = self.config.service.poll_seconds
        if self._run_now_pending and self.options.run_at is not None:
            left = (self.options.run_at - self.clock()).total_seconds()
            wait = min(wait, max(left, 0.0))
        return wait

    def _run_now_due(self) -> bool:
        if not self._run_now_pending:
            return False
        return self.options.run_at is None or self.clock() >= self.options.run_at

    def _schema(self) -> SchemaStatus:
        """The schema's state; a schema from a newer release stops everything."""
        status = schema_status(self.engine)
        if status is SchemaStatus.AHEAD:
            revision = current_revision(self.engine)
            assert revision is not None
            raise DatabaseFromTheFuture(revision)
        return status

    def check_schedule(self) -> None:
        """Run the nightly job when it is due (or asked for with --run-now)."""
        if self._schema() is SchemaStatus.BEHIND:
            log.info("waiting for the database schema to be upgraded")
            return
        still_due: Callable[[], bool] | None
        if self._run_now_due():
            self._run_now_pending = False
            still_due = None
            log.info("running the nightly job now, as asked")
        elif self.config.schedule.enabled and self._due() is not None:
            still_due = lambda: self._due() is not None  # noqa: E731
        else:
            return
        try:
            result = run_nightly(self.config_path, self.sessions, still_due=still_due)
        except LockHeld as exc:
            log.info("another process is running the nightly sync (holder: %s)", exc.run_id)
            return
        if result is not None:
            log.info("next scheduled sync %s", self._next_moment_text())

    # -- the bot ----------------------------------------------------------------------------

    def _has_bot_section(self) -> bool:
        """The bot runs when the file has a ``[bot]`` table (the model always has defaults)."""
        return "bot" in tomllib.loads(self.config_path.read_text(encoding="utf-8"))

    def _start_bot(self) -> None:
        if not self._has_bot_section():
            log.info("no [bot] in the configuration: the chat bot is off")
            return
        from bot.runtime import BotRuntime

        self.bot = BotRuntime(
            self.config, self.sessions, services=default_services(self.config, self.sessions)
        )
        slack = self.config.bot.slack
        if slack.secret("app_token"):
            self.bot.start_socket_mode()
            log.info("the chat bot is connected to Slack in Socket Mode")
        elif slack.secret("bot_token"):
            log.info("the chat bot answers Slack at POST /slack/events")
        else:
            log.info("no Slack credentials: the bot's scheduled steps run, Slack is off")
        self._start_thread("bot-tick", self._tick_loop)

    def _tick_loop(self) -> None:
        while not self._stop.wait(self.config.service.tick_seconds):
            with correlation(prefix="tick"):
                try:
                    self.bot.tick(self.clock())
                except Exception:
                    log.exception("the bot's scheduled steps failed; trying again next tick")
