"""What the core hands a connector's ``build(config, context)``: the board, the run and the
ports a connector may use. The connectors themselves are listed in ``connectors/registry.py``;
the core never imports them."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol, TypeVar

from provisioner.errors import ConfigError

if TYPE_CHECKING:
    from provisioner.config import Config
    from provisioner.task_desk import TaskDesk

KeptT = TypeVar("KeptT")


class KeptObjects(Protocol):
    """What a long-running process keeps from one run to the next (a connector's access
    token cache), by a key the connector chooses. Closed with the process."""

    def get(self, key: tuple[str, ...], make: Callable[[], KeptT]) -> KeptT:
        """The object kept under ``key``; ``make()`` makes it the first time."""
        ...


@dataclass(frozen=True)
class BuildContext:
    """The board and the run a connector is built for.

    ``slot``: where the connector is configured (``hr``, ``sis``, ``consent``, or the
    target's name). ``today``: the run's day (``None``: each read takes the clock's day).
    ``stack``: closes what a target opens when the run ends (targets only). ``tasks``: the
    manual-task desk, for a system without a write interface. ``kept``: objects a
    long-running process keeps between runs (``serve``, the bot); ``None`` in one-off runs."""

    config: Config
    slot: str
    today: date | None = None
    dry_run: bool = False
    stack: ExitStack | None = None
    tasks: TaskDesk | None = None
    kept: KeptObjects | None = None

    @property
    def locations(self) -> frozenset[str]:
        """The BRIN6 of every configured location."""
        return frozenset(location.brin6 for location in self.config.locations)

    @property
    def org_units(self) -> dict[str, str]:
        """HR org unit -> BRIN6."""
        return self.config.org_units

    def run_stack(self) -> ExitStack:
        """What closes when the run ends; ConfigError outside a run (targets only)."""
        if self.stack is None:
            raise ConfigError(f"{self.slot}: a target is built only inside a run")
        return self.stack

    def close_later(self, close: Callable[[], None]) -> None:
        """Call ``close`` when the run ends."""
        self.run_stack().callback(close)

    def task_desk(self) -> TaskDesk:
        """The manual-task desk; ConfigError when the run has no store."""
        if self.tasks is None:
            raise ConfigError(f"target {self.slot}: manual tasks need the store")
        return self.tasks
