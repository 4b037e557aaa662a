"""Slack's acknowledgement comes first (issue 16, part 3): nothing is written to the store
before a request is answered, and the work behind a request starts once the requests being
answered are answered.

- with the store's file locked by another writer (a nightly run writing), a known person's
  slash command and button press and a stranger's button press (and its redelivery) are all
  acknowledged; the work behind them happens once the store is free, the stranger is refused
  once and audited once;
- :class:`bot.runtime.AckFirst`: work waits while a request is being answered, and starts
  when it has been.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from sqlalchemy import select

from bot.runtime import AckFirst
from provisioner.store.tables import AuditEvent
from tests.slack_harness import bot_board, leader_and_colleague

LEADER = "U0LEADER"
STRANGER = "U0STRANGER"


def test_requests_are_acknowledged_while_another_writer_holds_the_store(tmp_path: Path) -> None:
    with bot_board(tmp_path, staff=30, pupils=60) as bb:
        leader, person = leader_and_colleague(bb)
        bb.slack.add_user(LEADER, leader.email, name="leader")
        bb.slack.add_user(STRANGER, "someone@elsewhere.example")
        for user in (LEADER, STRANGER):  # who they are is known before the store is locked
            bb.post(*bb.requests.dm("hallo", user=user))
        assert bb.runtime.wait_idle()
        bb.slack.clear()
        press = bb.requests.action("offboarding:cancel:1", "x", user=STRANGER)
        requests = [
            bb.requests.slash("/uitdienst", f"{person.name.display} per 1 december", user=LEADER),
            bb.requests.action("offboarding:cancel:1", "x", user=LEADER),
            press,
            bb.requests.redeliver(press),
        ]
        writer = sqlite3.connect(tmp_path / "provisioner.db", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # the write lock, as a sync holds it
        try:
            answers = [bb.post(*request) for request in requests]
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert [(status, body) for status, _, body in answers] == [(200, b"")] * 4
        assert bb.runtime.wait_idle(60)

        replies = [str(c.args.get("text")) for c in bb.slack.calls("response_url")]
        assert sum("I can't find you" in r or "niet als medewerker" in r for r in replies) == 1
        assert len(replies) >= 3  # the leader's command and press were answered too
        with bb.board.sessions()() as session:
            refused = session.execute(select(AuditEvent).where(
                AuditEvent.actor == f"chat:{STRANGER}", AuditEvent.action == "chat.refused"
            )).scalars().all()
        assert len(refused) == 2  # the direct message before, the button press once


def waiting_worker(gate: AckFirst, started: threading.Event) -> threading.Thread:
    """A worker that starts its work (``started``) when the gate gives it its turn."""

    def work() -> None:
        gate.wait_turn()
        started.set()

    worker = threading.Thread(target=work)
    worker.start()
    return worker


def test_work_waits_while_a_request_is_being_answered() -> None:
    gate = AckFirst(quiet=0.0, longest=600.0)
    started = threading.Event()
    gate.begin()
    worker = waiting_worker(gate, started)
    assert not started.wait(0.2)  # still answering: the work has not started
    gate.end()
    assert started.wait(60)
    worker.join(60)


def test_work_starts_at_once_when_nothing_is_being_answered() -> None:
    gate = AckFirst(quiet=0.0, longest=600.0)
    started = threading.Event()
    worker = waiting_worker(gate, started)
    assert started.wait(60)
    worker.join(60)
