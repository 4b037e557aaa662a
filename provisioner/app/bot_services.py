"""What the bot's flows may call besides the database: the core sync for one person.

The composition root gives it to the front ends (``serve``, ``bot console``); the bot itself
knows only the contract (``services["sync"]``: person key, actor, day -> a run report).

The bot runs exactly the nightly sync's code path (``Engine.sync``), scoped to one person,
with the requester as actor. Sources and targets are built per run and closed after it:
every source is read at the moment of the run. Only the Graph app tokens are kept from one
run to the next (:class:`provisioner.app.wiring.KeptTokens`: an offboarding minutes after the
last one does not fetch a token again).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from provisioner.config import Config
from provisioner.execution.engine import RunReport, SyncRequest

if TYPE_CHECKING:
    from provisioner.app.wiring import KeptTokens


class CoreSync:
    """``sync(person_key, actor, today)``: one scoped run of the core engine. ``close()``
    lets the kept tokens go (their HTTP session)."""

    def __init__(self, config: Config, sessions: sessionmaker[Session]) -> None:
        from provisioner.app.wiring import KeptTokens

        self.config = config
        self.sessions = sessions
        self.kept: KeptTokens = KeptTokens()

    def __call__(self, person_key: str, actor: str, today: date) -> RunReport:
        from provisioner.app.wiring import run_sync

        return run_sync(
            self.config,
            self.sessions,
            SyncRequest(scope=person_key, actor=actor, today=today),
            kept=self.kept,
        )

    def close(self) -> None:
        self.kept.close()


def default_services(config: Config, sessions: sessionmaker[Session]) -> dict[str, Any]:
    return {"sync": CoreSync(config, sessions)}
