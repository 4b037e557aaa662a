"""The product's own retention: what it keeps of people in its store, and for how long
(``[retention.store]``, docs/accountability.md "The product's own data").

- ``chat_conversations``: a conversation's state, counted from when it expired;
- ``chat_actions``: the idempotency record of a chat action, from when it was made;
- ``directory_gone``: a person the sources still list though deregistered or left, in the
  directory snapshot, from the day they went (people gone from the sources leave the
  snapshot at the next applied run, which replaces it);
- ``consent_history``: the consent answers of a deregistered pupil, from the deregistration;
- ``journal``: the journal and the outcomes of a finished run, and its list of problems (they
  name records), from when it finished; the run's record itself (counts, audit head) stays.

The audit trail is never purged: it is the evidence (AVG art. 5(2)) that everything else was
done and destroyed on time, its rows are append-only and hash-chained, and its anchors are
published outside the store. Each purge records its counts in it, never what was deleted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from provisioner.accountability.retention_config import StoreRetention
from provisioner.accountability.retention_rules import ClockEvent, Period
from provisioner.audit.service import record
from provisioner.store.tables import (
    Base,
    ChatAction,
    ChatConversation,
    Consent,
    DirectoryPerson,
    JournalEntry,
    SyncOutcome,
    SyncRun,
)
from provisioner.store.tables_retention import RetentionEvent

__all__ = ["STORE_PARTS", "purge_directory", "purge_store"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
STORE_PARTS = (
    "chat_conversations", "chat_actions", "directory_people", "consents", "journal",
    "sync_outcomes",
)  # fmt: skip
_UNFINISHED = ("planning", "running")


def _cutoff(period: Period, on: date) -> datetime:
    """The start (Europe/Amsterdam) of the day ``period`` before ``on``, in UTC: what is
    older is past its period."""
    return datetime.combine(period.before(on), time.min, tzinfo=AMSTERDAM).astimezone(UTC)


def _deregistered_before(session: Session, period: Period, on: date) -> set[str]:
    """Pupils deregistered (and not back) longer than ``period`` before ``on``."""
    rows = session.execute(
        select(RetentionEvent.person_key, RetentionEvent.occurred_on).where(
            RetentionEvent.event == ClockEvent.PUPIL_DEREGISTERED.value,
            RetentionEvent.subject == "",
            RetentionEvent.returned_on.is_(None),
        )
    )
    return {key for key, day in rows if period.after(day) <= on}


def _gone_people(session: Session, period: Period, on: date) -> list[str]:
    gone = _deregistered_before(session, period, on)
    keys: list[str] = []
    for key, kind, active, posts in session.execute(
        select(DirectoryPerson.key, DirectoryPerson.kind, DirectoryPerson.active,
               DirectoryPerson.posts)
    ):  # fmt: skip
        pupil_gone = kind == "pupil" and not active and key in gone
        staff_gone = (
            kind == "staff"
            and bool(posts)
            and all(_ended_before(post, period, on) for post in posts)
        )
        if pupil_gone or staff_gone:
            keys.append(key)
    return keys


def _ended_before(post: dict[str, str | None], period: Period, on: date) -> bool:
    end = post.get("end")
    return end is not None and period.after(date.fromisoformat(end)) < on


def purge_directory(
    session: Session, settings: StoreRetention, *, on: date, actor: str, dry_run: bool = False
) -> int:
    """Delete from the directory snapshot the people gone longer than ``directory_gone``;
    audited with the count. Runs in the caller's transaction."""
    gone = _purge_directory(session, settings, on, dry_run)
    if gone and not dry_run:
        _audit(session, actor, on, {"directory_people": gone})
    return gone


def _purge_directory(session: Session, settings: StoreRetention, on: date, dry_run: bool) -> int:
    keys = _gone_people(session, settings.period("directory_gone"), on)
    if keys and not dry_run:
        session.execute(delete(DirectoryPerson).where(DirectoryPerson.key.in_(keys)))
    return len(keys)


def purge_store(
    session: Session, settings: StoreRetention, *, on: date, actor: str, dry_run: bool = False
) -> dict[str, int]:
    """Delete what is past its period on ``on`` (nothing with ``dry_run``); returns the
    counts per part and audits them (never what was deleted). The caller commits."""
    counts = dict.fromkeys(STORE_PARTS, 0)
    expired = _cutoff(settings.period("chat_conversations"), on)
    counts["chat_conversations"] = _purge(
        session, ChatConversation, ChatConversation.id, ChatConversation.expires_at < expired,
        dry_run,
    )  # fmt: skip
    made = _cutoff(settings.period("chat_actions"), on)
    counts["chat_actions"] = _purge(
        session, ChatAction, ChatAction.key, ChatAction.created_at < made, dry_run
    )
    counts["directory_people"] = _purge_directory(session, settings, on, dry_run)
    pupils = _deregistered_before(session, settings.period("consent_history"), on)
    ids = [key.removeprefix("pupil:") for key in pupils]
    counts["consents"] = _purge(session, Consent, Consent.id, Consent.pupil_id.in_(ids), dry_run)
    counts["journal"], counts["sync_outcomes"] = _purge_runs(
        session, _cutoff(settings.period("journal"), on), dry_run
    )
    if not dry_run and any(counts.values()):
        _audit(session, actor, on, counts)
    return counts


def _purge(
    session: Session,
    table: type[Base],
    key: InstrumentedAttribute[Any],
    condition: ColumnElement[bool],
    dry_run: bool,
) -> int:
    found = list(session.execute(select(key).where(condition)).scalars())
    if found and not dry_run:
        session.execute(delete(table).where(key.in_(found)))
    return len(found)


def _purge_runs(session: Session, before: datetime, dry_run: bool) -> tuple[int, int]:
    runs = list(
        session.execute(
            select(SyncRun.id).where(
                SyncRun.finished_at.is_not(None),
                SyncRun.finished_at < before,
                SyncRun.status.not_in(_UNFINISHED),
            )
        ).scalars()
    )
    journal = _count(session, JournalEntry.id, JournalEntry.run_id.in_(runs))
    outcomes = _count(session, SyncOutcome.id, SyncOutcome.run_id.in_(runs))
    if runs and not dry_run:
        session.execute(delete(JournalEntry).where(JournalEntry.run_id.in_(runs)))
        session.execute(delete(SyncOutcome).where(SyncOutcome.run_id.in_(runs)))
        session.execute(update(SyncRun).where(SyncRun.id.in_(runs)).values(problems=[]))
    return journal, outcomes


def _count(
    session: Session, column: InstrumentedAttribute[Any], condition: ColumnElement[bool]
) -> int:
    return len(list(session.execute(select(column).where(condition)).scalars()))


def _audit(session: Session, actor: str, on: date, counts: dict[str, int]) -> None:
    record(
        session,
        actor=actor,
        action="retention.store_purged",
        target="retention",
        reason=f"the product's own retention on {on.isoformat()}",
        change={"on": on.isoformat(), "deleted": {k: v for k, v in counts.items() if v}},
    )
