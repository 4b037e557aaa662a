"""What flows may call besides the database: the core sync for one person.

The bot runs exactly the nightly sync's code path (``Engine.sync``), scoped to one person,
with the requester as actor. Sources and targets are built per run and closed after it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from provisioner.config import Config
from provisioner.execution.engine import RunReport, SyncRequest


class CoreSync:
    """``sync(person_key, actor, today)``: one scoped run of the core engine."""

    def __init__(self, config: Config, sessions: sessionmaker[Session]) -> None:
        self.config = config
        self.sessions = sessions

    def __call__(self, person_key: str, actor: str, today: date) -> RunReport:
        from provisioner.wiring import run_sync

        return run_sync(
            self.config, self.sessions, SyncRequest(scope=person_key, actor=actor, today=today)
        )


def default_services(config: Config, sessions: sessionmaker[Session]) -> dict[str, Any]:
    return {"sync": CoreSync(config, sessions)}
