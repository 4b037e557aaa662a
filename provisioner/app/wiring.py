"""From configuration to the concrete sources and targets of one board."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.registry import source_connector, target_connector
from provisioner.config import Config
from provisioner.plugins import BuildContext
from provisioner.sources.models import Source
from provisioner.targets import Target
from provisioner.tasks import StoreTaskDesk

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from provisioner.execution.engine import Progress, RunReport, SyncRequest


KeptT = TypeVar("KeptT")


class KeptTokens:
    """What a long-running process (the bot in ``serve``) keeps from one run to the next:
    the connectors' access tokens (Microsoft 365: the app-only Graph token in msal's
    in-memory cache, see ``connectors/m365/plugin.py``), each under the key its connector
    chooses. Nothing else is kept: sources and targets are built per run, every source is
    read afresh and every target's state is read by the run itself. Thread-safe; implements
    :class:`provisioner.plugins.KeptObjects`."""

    def __init__(self) -> None:
        self._kept: dict[tuple[str, ...], Any] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], make: Callable[[], KeptT]) -> KeptT:
        with self._lock:
            if key not in self._kept:
                self._kept[key] = make()
            kept: KeptT = self._kept[key]
            return kept

    def close(self) -> None:
        with self._lock:
            kept, self._kept = list(self._kept.values()), {}
        for thing in kept:
            close = getattr(thing, "close", None)
            if callable(close):
                close()


def build_sources(config: Config, *, today: date | None = None) -> list[Source]:
    """The configured sources. ``today`` is the run's day (``SyncRequest.today``, ``sync
    --as-of``): every source that reads by date (the school year of ParnasSys, current
    groups in Somtoday and OneRoster, the valid version of a Youforce person) reads that day;
    ``None`` leaves each source to the clock's day at its read."""
    sources: list[Source] = []
    for slot in ("hr", "sis", "consent", "interns"):
        source = getattr(config.sources, slot)
        if source is not None:
            context = BuildContext(config, slot, today=today)
            sources.append(source_connector(source.type).build(source, context))
    return sources


def build_targets(
    config: Config,
    *,
    dry_run: bool,
    stack: ExitStack,
    sessions: sessionmaker[Session] | None = None,
    today: date | None = None,
    kept: KeptTokens | None = None,
) -> list[Target]:
    """The configured targets; everything they open is closed when ``stack`` closes.
    ``sessions`` (the store) is needed by targets that open manual tasks (ParnasSys staff);
    ``today`` is the run's day, for the SIS staff targets' end-of-service dates; ``kept``:
    Graph tokens kept from earlier runs of this process (see :class:`KeptTokens`)."""
    desk = StoreTaskDesk(sessions) if sessions is not None else None
    targets: list[Target] = []
    for target in config.targets:
        context = BuildContext(
            config, target.name, today=today, dry_run=dry_run, stack=stack, tasks=desk, kept=kept
        )
        targets.append(target_connector(target.type).build(target, context))
    return targets


def target_settings(config: Config) -> dict[str, dict[str, Any]]:
    return {
        t.name: {
            "include_pupils": t.include_pupils,
            "licences": t.licences,
            "sis_roles": t.sis_roles,
        }
        for t in config.targets
    }


def run_sync(
    config: Config,
    sessions: sessionmaker[Session],
    request: SyncRequest,
    progress: Progress | None = None,
    *,
    kept: KeptTokens | None = None,
) -> RunReport:
    """One run of the core engine with the board's configured sources and targets.

    The nightly job, ``provisioner sync``, ``serve`` and the chat bot's offboarding all come
    here, so a person offboarded from chat goes through exactly the nightly code path.
    ``kept``: Graph tokens a long-running process keeps between its runs (the bot).
    """
    from provisioner.execution.engine import Engine, today_in_amsterdam

    # One day for the whole run: the engine's policy, every source and every target.
    today = request.today or today_in_amsterdam()
    request = dataclasses.replace(request, today=today)
    with ExitStack() as stack:
        engine = Engine(
            config,
            sessions,
            build_sources(config, today=today),
            build_targets(
                config,
                dry_run=request.dry_run,
                stack=stack,
                sessions=sessions,
                today=today,
                kept=kept,
            ),
            target_settings=target_settings(config),
        )
        report = engine.sync(request, progress=progress)
    # Counted here, so a run the bot starts inside serve shows in /metrics like a nightly one
    # (the nightly job counts its run too; a run is counted once).
    from provisioner import metrics

    metrics.observe_run(report)
    return report
