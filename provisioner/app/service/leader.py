"""One nightly sync at a time, whatever runs it: serve replicas, a CronJob, a systemd timer.

The lock is a lease row in ``target_locks`` under the name :data:`NIGHTLY` (no target can be
called that: target names cannot contain parentheses in practice, and the engine's own
per-target leases sit beside it). It is the same lease as the engine's
(:mod:`provisioner.execution.locks`), so it works on SQLite and PostgreSQL and across
machines, and a holder on this machine that was killed is recognised at once. While the job
runs, a thread renews the lease; should renewal ever fail (the lease was taken over after a
long stall), the engine's per-target leases still keep two runs off the same target.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from provisioner.execution import locks

NIGHTLY = "(nightly sync)"
log = logging.getLogger(__name__)


@contextmanager
def nightly_lock(sessions: sessionmaker[Session], label: str) -> Iterator[locks.Lease]:
    """Hold the nightly lease for the block; raises :class:`locks.LockHeld` when another
    process holds it. ``label`` (at most 40 characters) says who holds it."""
    lease, _previous = locks.acquire(sessions, NIGHTLY, label[:40])
    stop = threading.Event()

    def keep_renewing() -> None:
        while not stop.wait(locks.LEASE.total_seconds() / 4):
            try:
                locks.renew(sessions, lease)
            except locks.LockHeld:
                log.error("the nightly lease was taken over while this run was still going")
                return
            except Exception:
                log.exception("could not renew the nightly lease; trying again")

    renewer = threading.Thread(target=keep_renewing, name="nightly-lease", daemon=True)
    renewer.start()
    try:
        yield lease
    finally:
        stop.set()
        renewer.join()
        locks.release(sessions, lease)
