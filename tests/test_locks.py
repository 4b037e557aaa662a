"""The one lock (``provisioner/execution/locks.py``): a lease per name in ``target_locks``,
taken by one statement the database decides (INSERT, or UPDATE of the row as it was read)."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from provisioner.execution import locks
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import TargetLock


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    upgrade(engine)
    return session_factory(engine)


def _set(sessions: sessionmaker[Session], name: str, **values: object) -> None:
    with sessions() as session:
        session.execute(update(TargetLock).where(TargetLock.target == name).values(**values))
        session.commit()


def test_a_live_lease_is_refused_and_a_released_one_taken(
    sessions: sessionmaker[Session],
) -> None:
    lease, previous = locks.acquire(sessions, "m365", "run-a")
    assert previous is None
    with pytest.raises(locks.LockHeld) as held:
        locks.acquire(sessions, "m365", "run-b")
    assert held.value.run_id == "run-a"
    locks.release(sessions, lease)
    again, previous = locks.acquire(sessions, "m365", "run-b")
    assert (again.run_id, previous) == ("run-b", None)


def test_an_expired_or_dead_holder_is_taken_over_and_named(
    sessions: sessionmaker[Session],
) -> None:
    locks.acquire(sessions, "ad", "run-a")
    _set(sessions, "ad", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    lease, previous = locks.acquire(sessions, "ad", "run-b")
    assert (lease.run_id, previous) == ("run-b", "run-a")  # so run-a can be resumed
    dead = f"{socket.gethostname()}:999999999:deadbeef"  # no such process on this machine
    _set(sessions, "ad", owner=dead)
    lease, previous = locks.acquire(sessions, "ad", "run-c")
    assert (lease.run_id, previous) == ("run-c", "run-b")


def test_of_many_claimants_at_once_exactly_one_holds_the_claim(
    sessions: sessionmaker[Session],
) -> None:
    start, held, results = threading.Barrier(6), threading.Event(), []

    def claim() -> None:
        start.wait()
        with locks.claimed(sessions, "(offboarding 7)", hold_for=timedelta(minutes=15)) as mine:
            results.append(mine)
            if mine:
                held.wait(5)  # hold it while the others try

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    while len(results) < 6 and any(t.is_alive() for t in threads):
        if results.count(False) == 5:
            break
        threading.Event().wait(0.01)
    held.set()
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [False] * 5 + [True]
    with locks.claimed(sessions, "(offboarding 7)", hold_for=timedelta(minutes=15)) as mine:
        assert mine  # released after the block
