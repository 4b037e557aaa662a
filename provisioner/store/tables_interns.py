"""The state store's tables for interns (docs/accountability.md); imported by
:mod:`provisioner.store.tables`, so :data:`Base.metadata` holds them.

- ``internships``: every internship the sources named (the intern list, or an HR post that
  maps to ``intern``), once per intern, school and first day, with the supervisors
  (*werkplekbegeleider*, *schoolopleider*, as staff keys) and the institute from the intern
  list, so the end-of-internship tasks and a later access bundle can use them. No names: the
  intern is ``person_key``. ``closed_on`` is the last day whose end was handled (access
  ended, the destruction tasks opened, the retention clock started); a later end (the
  internship extended) is handled again when it has passed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.tables import Base

__all__ = ["Base", "InternshipRow"]


class InternshipRow(Base):
    """One internship of one intern at one school (BRIN6), from its first day."""

    __tablename__ = "internships"
    __table_args__ = (
        UniqueConstraint("person_key", "location", "start_on", name="uq_internships"),
        Index("ix_internships_person", "person_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_key: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(20))  # BRIN6
    start_on: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)  # None: HR gives no end yet
    study_end: Mapped[date | None] = mapped_column(Date)
    institute: Mapped[str] = mapped_column(String(200))
    workplace_supervisor: Mapped[str | None] = mapped_column(String(200))  # staff key
    school_trainer: Mapped[str | None] = mapped_column(String(200))  # staff key
    origin: Mapped[str] = mapped_column(String(20))  # "interns" (the list) or "hr"
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_on: Mapped[date | None] = mapped_column(Date)  # the last day whose end was handled
    closed_by_run: Mapped[str | None] = mapped_column(String(64))
    reflection_task: Mapped[int | None] = mapped_column(ForeignKey("manual_tasks.id"))
    recordings_task: Mapped[int | None] = mapped_column(ForeignKey("manual_tasks.id"))
