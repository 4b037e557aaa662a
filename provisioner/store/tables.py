"""The state store's tables. Changes here need a new Alembic migration in ``migrations/``.

What is kept:
- ``sync_runs``: one row per run, with its status, counts and why it stopped;
- ``journal``: every planned operation of a run and whether it was applied (crash recovery);
- ``links``: which remote object belongs to which person or group, per target;
- ``sync_outcomes``: one row per object per run, for the morning report;
- ``target_locks``: one run at a time per target (a lease);
- ``account_names``: the user name each person got, so it never changes by accident;
- ``overrides``: offboardings requested in chat, fed into the same policy as HR;
- ``consents``: photo/video consent answers with their history;
- ``audit_events`` + ``audit_head``: the append-only, hash-chained audit trail.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SyncRun(Base):
    __tablename__ = "sync_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: planning, running, applied, partial, failed, stopped, dry_run, interrupted
    status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str | None] = mapped_column(String(200))  # one person's key, or None
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    approves: Mapped[str | None] = mapped_column(String(40))  # the stopped run this one approves
    plan_fingerprint: Mapped[str | None] = mapped_column(
        String(80)
    )  # "plan:" or "sources:" + sha256
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    source_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stop_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    audit_head: Mapped[str | None] = mapped_column(String(64))


class JournalEntry(Base):
    __tablename__ = "journal"
    __table_args__ = (
        UniqueConstraint("run_id", "target", "seq"),
        Index("ix_journal_run_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("sync_runs.id"))
    target: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)
    op_type: Mapped[str] = mapped_column(String(40))
    object_key: Mapped[str] = mapped_column(String(200))
    group_key: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: pending -> sending -> applied | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Link(Base):
    __tablename__ = "links"

    target: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # account | group
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(200))
    disabled_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SyncOutcome(Base):
    __tablename__ = "sync_outcomes"
    __table_args__ = (Index("ix_outcomes_run", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("sync_runs.id"))
    target: Mapped[str] = mapped_column(String(100))
    object_key: Mapped[str] = mapped_column(String(200))
    #: created | updated | adopted | enabled | disabled | deleted | rejected | failed | skipped
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")


class TargetLock(Base):
    __tablename__ = "target_locks"

    target: Mapped[str] = mapped_column(String(100), primary_key=True)
    run_id: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(200))  # host:pid:token
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AccountName(Base):
    __tablename__ = "account_names"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Override(Base):
    __tablename__ = "overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_key: Mapped[str] = mapped_column(String(200), index=True)
    last_day: Mapped[date] = mapped_column(Date)
    requested_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("pupil_id", "medium", "school_year", "recorded_on", "status"),
        Index("ix_consents_pupil", "pupil_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pupil_id: Mapped[str] = mapped_column(String(200))
    medium: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    school_year: Mapped[str] = mapped_column(String(9))
    recorded_on: Mapped[date] = mapped_column(Date)
    given_by: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(100))


class AuditEvent(Base):
    """Append-only: database triggers refuse UPDATE and DELETE; the hash chain shows any
    change made around them."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_object", "object_key"), Index("ix_audit_at", "at"))

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(100))
    object_key: Mapped[str | None] = mapped_column(String(200))
    run_id: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    change: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON, no secrets
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last sequence number and hash. Appending updates it first, which
    serialises writers on both SQLite and PostgreSQL."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
