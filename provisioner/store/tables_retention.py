"""The state store's tables for retention (docs/accountability.md); imported by
:mod:`provisioner.store.tables`, so :data:`Base.metadata` holds them.

- ``retention_events``: something that starts a retention clock happened (a pupil
  deregistered, a staff member left, an internship ended, a breach or complaint closed, a
  consent withdrawn), once per event, person and subject. ``person_key`` and ``subject`` are
  ``""`` when there is none, so the unique key holds on SQLite and PostgreSQL alike (NULLs are
  never equal). ``returned_on`` is set when a deregistered pupil or a leaver came back: the
  clock is stopped until they leave again (then it restarts from that day).
- ``retention_holds``: archive holds (Archiefwet, a legal procedure): nothing they cover is
  destroyed while they are not lifted.
- ``retention_tasks``: which due line has had its task opened, so a line is opened once
  however often the list is run. ``line_key`` names the line: category, clock and the day
  the clock started (a restarted clock is a new line), or category, school year and
  location for a rule that starts at the school year's end.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.tables import Base

__all__ = ["Base", "RetentionEvent", "RetentionHold", "RetentionTask"]


class RetentionEvent(Base):
    """An event that starts retention clocks (:class:`ClockEvent`)."""

    __tablename__ = "retention_events"
    __table_args__ = (
        UniqueConstraint("event", "person_key", "subject", name="uq_retention_events"),
        Index("ix_retention_events_person", "person_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event: Mapped[str] = mapped_column(String(40))
    person_key: Mapped[str] = mapped_column(String(200))  # "" when no person
    subject: Mapped[str] = mapped_column(String(200))  # "" when none: a breach id, a medium
    location: Mapped[str | None] = mapped_column(String(20))  # BRIN6
    occurred_on: Mapped[date] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)  # came back: the clock is stopped
    origin: Mapped[str] = mapped_column(String(200))  # run id, "command", "interns"
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))


class RetentionHold(Base):
    """An archive hold on one person, one category or one location; lifted, not deleted."""

    __tablename__ = "retention_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(20))  # person | category | location
    value: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lifted_by: Mapped[str | None] = mapped_column(String(200))


class RetentionTask(Base):
    """The manual task opened for one due line (its ``line_key``); a cancelled task is
    replaced by a new one when the line is due again (a hold lifted)."""

    __tablename__ = "retention_tasks"
    __table_args__ = (UniqueConstraint("line_key", name="uq_retention_tasks"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    line_key: Mapped[str] = mapped_column(String(300))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("retention_events.id"))
    category: Mapped[str] = mapped_column(String(60))
    due_on: Mapped[date] = mapped_column(Date)
    task_id: Mapped[int] = mapped_column(ForeignKey("manual_tasks.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
