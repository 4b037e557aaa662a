"""What the nightly job does for retention, after the sync: record the registers' clocks
(breaches closed, consents withdrawn), open the tasks of the lines due today, and purge the
product's own store of what is past its period. One transaction; audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.retention_purge import purge_store
from provisioner.accountability.retention_store import open_due_tasks
from provisioner.accountability.retention_watch import record_register_clocks
from provisioner.config import Config

__all__ = ["RetentionNight", "nightly_retention"]


@dataclass
class RetentionNight:
    clocks_started: int = 0
    tasks_opened: list[int] = field(default_factory=list)
    purged: dict[str, int] = field(default_factory=dict)


def nightly_retention(
    sessions: sessionmaker[Session], config: Config, *, on: date, actor: str = "nightly"
) -> RetentionNight:
    """The night's retention work for ``on`` (the board's day)."""
    night = RetentionNight()
    locations = tuple(location.brin6 for location in config.locations)
    with sessions() as session:
        night.clocks_started = record_register_clocks(session, origin="nightly", actor=actor)
        opened = open_due_tasks(session, config.retention, on=on, language=config.board.language,
                                locations=locations, origin="nightly", actor=actor)  # fmt: skip
        night.tasks_opened = [task.id for _, task in opened]
        night.purged = purge_store(session, config.retention.store, on=on, actor=actor)
        session.commit()
    return night
