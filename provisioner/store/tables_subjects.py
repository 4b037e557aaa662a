"""The state store's tables for subjects (docs/accountability.md); imported by
:mod:`provisioner.store.tables`, so :data:`Base.metadata` holds them.

- ``subject_requests``: a request of a person concerned (access, rectification, erasure,
  objection) with the day it was received, who made it, its legal deadline and, once, an
  extension with its reason (GDPR Art. 12(3)); closed with an outcome. The note and the
  outcome are free text and stay here, never in the audit trail.
- ``subject_breaches``: which people a breach of the register includes, so the bundle of
  :mod:`provisioner.accountability.subject_export` can list the breaches about a person
  (the ``breaches`` rows hold counts and categories, not who).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from provisioner.store.tables import Base

__all__ = ["Base", "SubjectBreach", "SubjectRequest"]


class SubjectRequest(Base):
    """One request of a person concerned (``SR-2026-0001``)."""

    __tablename__ = "subject_requests"
    __table_args__ = (
        Index("ix_subject_requests_person", "person_key"),
        Index("ix_subject_requests_open", "status", "due_on"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(200))  # staff:<n> | pupil:<id>
    kind: Mapped[str] = mapped_column(String(20))  # access | rectification | erasure | objection
    received_on: Mapped[date] = mapped_column(Date)
    #: self | parent | guardian | representative
    made_by: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date] = mapped_column(Date)  # the deadline by law (or the board's protocol)
    extended_to: Mapped[date | None] = mapped_column(Date)  # Art. 12(3): two months more, once
    extension_reason: Mapped[str | None] = mapped_column(Text)
    #: what to check: "age_unknown", "parent_for_16_plus"
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))


class SubjectBreach(Base):
    """A person a breach of the register includes."""

    __tablename__ = "subject_breaches"
    __table_args__ = (Index("ix_subject_breaches_person", "person_key"),)

    breach_id: Mapped[str] = mapped_column(ForeignKey("breaches.id"), primary_key=True)
    person_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))
