"""One run at a time per target: a lease in the state store.

A lease works the same on SQLite and PostgreSQL and across machines: it expires unless the
holder renews it. A holder on this machine whose process is gone (killed) is recognised at
once, so a crashed run can be resumed without waiting for the lease to run out.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
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


def _holder_is_dead(owner: str) -> bool:
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


@dataclass
class Lease:
    target: str
    run_id: str
    owner: str
    expires_at: datetime


def acquire(sessions: sessionmaker[Session], target: str, run_id: str) -> tuple[Lease, str | None]:
    """Take the target's lease. Returns the lease and the run id of a dead holder, if the
    lease was taken over from a run that died (so that run can be resumed)."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    expires = _now() + LEASE
    with sessions() as session:
        row = session.execute(
            select(TargetLock).where(TargetLock.target == target).with_for_update()
        ).scalar_one_or_none()
        previous: str | None = None
        if row is not None:
            if _aware(row.expires_at) > _now() and not _holder_is_dead(row.owner):
                raise LockHeld(target, row.run_id)
            previous = row.run_id
            row.run_id, row.owner, row.expires_at = run_id, owner, expires
        else:
            session.add(TargetLock(target=target, run_id=run_id, owner=owner, expires_at=expires))
        try:
            session.commit()
        except IntegrityError as exc:  # another process inserted it between our read and write
            raise LockHeld(target, "(starting)") from exc
    return Lease(target, run_id, owner, expires), previous


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
