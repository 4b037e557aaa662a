"""What every Slack listener needs, in one small dataclass: the front (engine, who is asking,
delivery), where the work after the acknowledgement runs, and whether a request is Slack's
redelivery of one handled already."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from bot.engine import ChatEngine
from bot.once import first_time
from bot.slack_front import SlackFront
from bot.slack_gate import delivery_key

log = logging.getLogger("provisioner.bot.slack")


@dataclass(frozen=True)
class SlackDeps:
    """Shared by the listeners of every feature (see ``bot.slack_app.create_app``)."""

    front: SlackFront
    listener_executor: Executor | None = None

    @property
    def engine(self) -> ChatEngine:
        return self.front.engine

    def background(self, work: Callable[[], object]) -> None:
        """Work after the acknowledgement, in the request's context (its correlation id):
        the runtime's executor copies it; a bare thread gets a copy here."""
        if self.listener_executor is not None:
            self.listener_executor.submit(_safely, work)
        else:
            context = contextvars.copy_context()
            threading.Thread(target=context.run, args=(_safely, work), daemon=True).start()

    def first_delivery(self, body: dict[str, Any], user_id: str | None) -> bool:
        """False for Slack's redelivery of a direct message or button press that was handled
        (or is being handled) already. Asked after the acknowledgement, so the answer to
        Slack never waits for the database; the redelivery is acknowledged like the first."""
        key = delivery_key(body)
        if key is None or first_time(self.engine.sessions, key, actor=f"chat:{user_id}"):
            return True
        log.info("a Slack redelivery was ignored")
        return False


def _safely(work: Callable[[], object]) -> None:
    try:
        work()
    except Exception as exc:  # background delivery: nobody to raise to
        log.error("background slack work failed: %s", type(exc).__name__)
