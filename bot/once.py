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

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
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
