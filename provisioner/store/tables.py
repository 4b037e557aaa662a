"""The state store's tables. Changes here need a new Alembic migration in ``migrations/``.

What is kept:
- ``sync_runs``: one row per run, with its status, counts and why it stopped;
- ``journal``: every planned operation of a run and whether it was applied (crash recovery);
- ``links``: which remote object belongs to which person or group, per target;
- ``sync_outcomes``: one row per object per run, for the morning report;
- ``target_locks``: one run at a time per target (a lease);
- ``account_names``: the user name each person got, so it never changes by accident;
- ``overrides``: offboardings requested in chat, fed into the same policy as HR;
- ``consents``: photo/video consent answers with their history (who gave them, how obtained);
- ``consent_reminders``: the yearly reminders that consent can be withdrawn, per location;
- ``audit_events`` + ``audit_head``: the append-only, hash-chained audit trail;
- ``directory_people`` + ``directory_groups``: who is who at the last full read of HR and the
  SIS (for the chat bot: who is asking, whom they may ask about);
- ``manual_tasks``: steps a person must do by hand (no API), tracked until done;
- ``breaches``: the breach register (GDPR Art. 33(5));
- ``chat_conversations``: the state of open chat conversations, so any replica can continue;
- ``chat_actions``: every irreversible chat action (a confirmation, an approval, a Slack
  delivery) by its idempotency key, so it applies once however often it arrives.
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
    #: The BRIN6 codes of the posts (aanstellingen) it ends, space-separated; NULL: every post.
    locations: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)


class Consent(Base):
    """One answer of the consent history: who gave it (``given_by``) and how it was obtained
    (``mechanism``; NULL: the source did not say, the board's default applies)."""

    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint(
            "pupil_id", "medium", "school_year", "recorded_on", "status", "given_by",
            name="uq_consents_answer",
        ),
        Index("ix_consents_pupil", "pupil_id"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pupil_id: Mapped[str] = mapped_column(String(200))
    medium: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    school_year: Mapped[str] = mapped_column(String(9))
    recorded_on: Mapped[date] = mapped_column(Date)
    given_by: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(100))
    mechanism: Mapped[str | None] = mapped_column(String(30), nullable=True, default=None)


class ConsentReminder(Base):
    """The yearly reminder (jaarlijkse herinnering): a location told parents, and pupils from
    16, that they can change or withdraw their photo consent. One row per sending."""

    __tablename__ = "consent_reminders"
    __table_args__ = (
        UniqueConstraint("location", "school_year", "sent_on", name="uq_consent_reminders"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location: Mapped[str] = mapped_column(String(6))  # BRIN6
    school_year: Mapped[str] = mapped_column(String(9))
    sent_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(100))  # "command" or the imported file's name


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


class DirectoryPerson(Base):
    """A staff member or pupil as the last full read of the sources described them."""

    __tablename__ = "directory_people"
    __table_args__ = (Index("ix_directory_people_email", "email"),)

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # staff:<n> | pupil:<id>
    kind: Mapped[str] = mapped_column(String(10))  # staff | pupil
    given: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(100), default="")
    family: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(500))  # lower case, no accents
    email: Mapped[str | None] = mapped_column(String(320))  # work address (lower case)
    #: staff: [{"location", "role", "function_title", "start", "end"}]; pupil: []
    posts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    location: Mapped[str | None] = mapped_column(String(20))  # pupil's BRIN6
    #: the pupil's ECK iD (the chain pseudonym) as the SIS gave it; never generated
    eck_id: Mapped[str | None] = mapped_column(String(200), default=None)
    group_id: Mapped[str | None] = mapped_column(String(200))  # pupil's own group
    birth_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DirectoryGroup(Base):
    __tablename__ = "directory_groups"

    group_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(20))
    teacher_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ManualTaskRow(Base):
    """A step without an API: a person does it by hand and marks it done."""

    __tablename__ = "manual_tasks"
    __table_args__ = (Index("ix_manual_tasks_open", "status", "assignee"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(60))  # sis_account, portal_access, approve_deletion
    system: Mapped[str] = mapped_column(String(100))  # parnassys, mijn-vensters, schooldossier
    title: Mapped[str] = mapped_column(String(300))
    instructions: Mapped[str] = mapped_column(Text, default="")
    #: location_leader | central_office | privacy_officer | staff:<n>
    assignee: Mapped[str] = mapped_column(String(200))
    person_key: Mapped[str | None] = mapped_column(String(200), index=True)
    location: Mapped[str | None] = mapped_column(String(20))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | done | cancelled
    origin: Mapped[str] = mapped_column(String(200))  # run id, "chat:<user>"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")


class Breach(Base):
    """One entry of the breach register (datalekkenregister, GDPR Art. 33(5))."""

    __tablename__ = "breaches"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # DL-2026-0001
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reported_by: Mapped[str] = mapped_column(String(200))
    discovered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    aware_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    location: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="open")
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deadlines: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notified: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reminders: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(String(200))


class ChatConversation(Base):
    """An open conversation with the bot: which flow, and the flow's state."""

    __tablename__ = "chat_conversations"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)  # slack:U1:D1
    user_id: Mapped[str] = mapped_column(String(200))
    flow: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5), default="nl")
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChatAction(Base):
    """One irreversible chat action, by its idempotency key (``offboarding-confirm:<nonce>``,
    ``task-done:<id>``, ``slack-event:<event id>``). The key is the primary key: the database
    decides which of two simultaneous arrivals (a double press, a Slack retry, two replicas)
    applies; the other finds the row and its ``result``."""

    __tablename__ = "chat_actions"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# the accountability tables, in modules of their own, registered on Base.metadata
from provisioner.store import (  # noqa: E402, I001
    tables_interns as tables_interns,
    tables_retention as tables_retention,
    tables_subjects as tables_subjects,
)
