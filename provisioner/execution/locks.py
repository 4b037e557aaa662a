"""One holder at a time: a lease in the state store (``target_locks``).

The one lock of the product. The nightly run holds a lease per target (and ``serve`` the
nightly lease), an offboarding run and its "everything done" notice hold a claim: all are
rows in ``target_locks``, taken and released here.

A lease works the same on SQLite and PostgreSQL and across machines: each step is a single
statement whose row count the database decides (an INSERT of a new key, or an UPDATE of the
row still as it was read: compare-and-swap), so two processes never both win. It expires
unless the holder renews it. A holder on this machine whose process is gone (killed) is
recognised at once, so a crashed run can be resumed without waiting for the lease to run out.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from provisioner.store.tables import TargetLock

LEASE = timedelta(minutes=5)


class LockHeld(Exception):
    """Another live run holds the target."""

    def __init__(self, target: str, run_id: str) -> None:
        super().__init__(f"run {run_id} is working on {target}; try again when it has finished")
        self.target = target
        self.run_id = run_id


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def holder_is_dead(owner: str) -> bool:
    """True when ``owner`` (host:pid:token) is a process of this machine that is gone."""
    host, pid, _token = owner.split(":", 2)
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def new_owner() -> str:
    """This process's name for a new lease: host:pid:token."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Lease:
    target: str
    run_id: str
    owner: str
    expires_at: datetime


def _take(
    sessions: sessionmaker[Session], target: str, run_id: str, owner: str, hold_for: timedelta
) -> tuple[bool, str | None, str]:
    """One attempt: (taken, run id of the dead or expired holder taken over, holder's run id)."""
    now = _now()
    values = {"run_id": run_id, "owner": owner, "expires_at": now + hold_for}
    with sessions() as session:
        try:
            session.execute(insert(TargetLock).values(target=target, **values))
            session.commit()
            return True, None, run_id
        except IntegrityError:
            session.rollback()
        row = session.execute(
            select(TargetLock.run_id, TargetLock.owner, TargetLock.expires_at).where(
                TargetLock.target == target
            )
        ).one_or_none()
        if row is None:  # released between our INSERT and our read: try again
            return False, None, "(starting)"
        held_by, held_owner, expires = row
        if _aware(expires) > now and not holder_is_dead(held_owner):
            return False, None, held_by
        swapped: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(TargetLock)
            .where(TargetLock.target == target, TargetLock.owner == held_owner)
            .values(**values)
        )
        session.commit()
        if swapped.rowcount == 1:
            return True, held_by, run_id
        return False, None, "(starting)"


def acquire(
    sessions: sessionmaker[Session], target: str, run_id: str, hold_for: timedelta = LEASE
) -> tuple[Lease, str | None]:
    """Take the target's lease. Returns the lease and the run id of a dead holder, if the
    lease was taken over from a run that died (so that run can be resumed).

    Raises :class:`LockHeld` when a live holder has it."""
    owner = new_owner()
    taken, previous, holder = _take(sessions, target, run_id, owner, hold_for)
    if not taken:
        raise LockHeld(target, holder)
    return Lease(target, run_id, owner, _now() + hold_for), previous


def renew(sessions: sessionmaker[Session], lease: Lease) -> None:
    """Extend the lease when less than half of it is left."""
    if lease.expires_at - _now() > LEASE / 2:
        return
    with sessions() as session:
        row = session.get(TargetLock, lease.target, with_for_update=True)
        if row is None or row.owner != lease.owner:
            raise LockHeld(lease.target, row.run_id if row else "(unknown)")
        lease.expires_at = _now() + LEASE
        row.expires_at = lease.expires_at
        session.commit()


def release(sessions: sessionmaker[Session], lease: Lease) -> None:
    with sessions() as session:
        session.execute(
            delete(TargetLock).where(
                TargetLock.target == lease.target, TargetLock.owner == lease.owner
            )
        )
        session.commit()


@contextmanager
def claimed(
    sessions: sessionmaker[Session],
    name: str,
    *,
    hold_for: timedelta,
    label: str = "claim",
    wait: float = 0.0,
) -> Iterator[bool]:
    """Hold the lease ``name`` for the block, so that of several ``serve`` replicas exactly
    one does the work: yields True for the one holder, False for everyone else (no
    exception). ``hold_for``: how long the claim holds when its holder neither finishes nor
    releases it (killed mid-way); ``wait`` seconds: keep trying while someone else holds it."""
    deadline = time.monotonic() + wait
    lease: Lease | None = None
    while lease is None:
        try:
            lease, _previous = acquire(sessions, name, label, hold_for)
        except LockHeld:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
    try:
        yield lease is not None
    finally:
        if lease is not None:
            release(sessions, lease)
