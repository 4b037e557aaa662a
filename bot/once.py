"""Do something once, decided by the database: one row in ``chat_actions`` per key.

    if first_time(sessions, f"slack-event:{event_id}", actor="chat:U123"):
        ...  # the first arrival: do the work
    else:
        ...  # a redelivery, a double press or another replica got there first

One INSERT of the key (the table's primary key). Of two arrivals at the same moment, on
SQLite or PostgreSQL, in one process or in several ``serve`` replicas, the database lets
exactly one insert succeed; the other fails on the primary key and gets ``False``. Any other
database error is raised (the caller cannot know whether it was the first time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from provisioner.store.tables import ChatAction


def first_time(
    sessions: sessionmaker[Session],
    key: str,
    actor: str,
    result: dict[str, Any] | None = None,
) -> bool:
    """Record ``key``; True when this call recorded it, False when it was there already."""
    with sessions() as session:
        try:
            session.execute(
                insert(ChatAction).values(
                    key=key, actor=actor, result=result or {}, created_at=datetime.now(UTC)
                )
            )
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


#: Slack redelivers within minutes; a week covers every retry with room to spare.
DELIVERY_KEYS_KEPT = timedelta(days=7)
#: A confirmation's key answers a late press of its button ("already confirmed"); after a
#: quarter the plan is long stale anyway.
CONFIRMATION_KEYS_KEPT = timedelta(days=90)


def forget_old_actions(sessions: sessionmaker[Session], now: datetime) -> int:
    """Delete keys that can no longer arrive again: Slack deliveries (``slack-``) after a
    week, everything else after 90 days. Returns how many went."""
    moment = now.astimezone(UTC)
    with sessions() as session:
        gone: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            delete(ChatAction).where(
                or_(
                    (ChatAction.key.startswith("slack-", autoescape=True))
                    & (ChatAction.created_at < moment - DELIVERY_KEYS_KEPT),
                    ChatAction.created_at < moment - CONFIRMATION_KEYS_KEPT,
                )
            )
        )
        session.commit()
        return int(gone.rowcount or 0)
