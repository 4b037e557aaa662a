"""The product's own retention (`provisioner retention purge`, [retention.store]): only what is
past its period is deleted, a dry run deletes nothing, the audit trail records counts and
never who; the nightly job does the same work (tasks of the day, purge)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from provisioner.accountability.retention_nightly import nightly_retention
from provisioner.report.morning import build_morning_report, gather
from provisioner.store.db import make_engine, session_factory
from provisioner.store.tables import (
    AuditEvent,
    ChatAction,
    ChatConversation,
    Consent,
    DirectoryPerson,
    JournalEntry,
    SyncOutcome,
    SyncRun,
)
from tests.board import Board, make_board
from tests.test_retention_cli import PUPIL, cli, cli_json, deregister, sync


@pytest.fixture
def board(tmp_path: Path) -> Board:
    made = make_board(tmp_path / "board", staff=30, pupils=60)
    sync(made, date(2026, 11, 22))
    return made


def _sessions(board: Board) -> sessionmaker[Session]:
    return session_factory(make_engine(board.db_url))


def _count(board: Board, table: type, *where: object) -> int:
    with _sessions(board)() as session:
        query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        return int(session.execute(query).scalar_one())


def _chat(board: Board) -> None:
    """Two conversations and two chat actions, one of each older than the other."""
    with _sessions(board)() as session:
        for name, expired in (("old", datetime(2027, 1, 1, 12, tzinfo=UTC)),
                              ("new", datetime(2027, 3, 1, 12, tzinfo=UTC))):  # fmt: skip
            session.add(ChatConversation(id=f"slack:{name}", user_id="U1", flow="consent",
                                         language="nl", state={"pupil": PUPIL},
                                         updated_at=expired, expires_at=expired))  # fmt: skip
            session.add(ChatAction(key=f"task-done:{name}", actor="chat:U1", result={},
                                   created_at=expired))  # fmt: skip
        session.commit()


def purge(board: Board, on: str, *extra: str) -> dict[str, int]:
    body = cli_json(board, "retention", "purge", "--on", on, *extra)
    assert body["on"] == on
    deleted: dict[str, int] = body["deleted"]
    return deleted


def test_chat_state_goes_after_its_period_and_no_earlier(board: Board) -> None:
    _chat(board)
    assert purge(board, "2027-01-31")["chat_conversations"] == 0  # expired 30 days: kept
    assert purge(board, "2027-02-01")["chat_conversations"] == 1
    assert _count(board, ChatConversation) == 1
    assert purge(board, "2027-04-01")["chat_actions"] == 0  # made 2027-01-01: 90 days
    assert purge(board, "2027-04-02")["chat_actions"] == 1
    assert _count(board, ChatAction) == 1


def test_a_deregistered_pupils_consents_and_directory_entry_go_after_their_periods(
    board: Board,
) -> None:
    deregister(board)  # 2026-11-30
    pupil_id = PUPIL.removeprefix("pupil:")
    answers = _count(board, Consent, Consent.pupil_id == pupil_id)
    with _sessions(board)() as session:
        query = select(DirectoryPerson.key).where(
            DirectoryPerson.kind == "pupil", DirectoryPerson.active.is_(True)
        )
        enrolled = [key.removeprefix("pupil:") for key in session.execute(query).scalars()]
    kept = _count(board, Consent, Consent.pupil_id.in_(enrolled))
    assert answers > 0 and kept > 0
    purge(board, "2027-11-29")
    assert _count(board, DirectoryPerson, DirectoryPerson.key == PUPIL) == 1
    gone = purge(board, "2027-11-30")["directory_people"]  # a year after the deregistration
    assert gone >= 1 and _count(board, DirectoryPerson, DirectoryPerson.key == PUPIL) == 0
    purge(board, "2031-11-29")
    assert _count(board, Consent, Consent.pupil_id == pupil_id) == answers
    assert purge(board, "2031-11-30")["consents"] >= answers  # five years
    assert _count(board, Consent, Consent.pupil_id == pupil_id) == 0
    assert _count(board, Consent, Consent.pupil_id.in_(enrolled)) == kept


def test_a_dry_run_deletes_nothing_and_the_audit_keeps_counts_only(board: Board) -> None:
    _chat(board)
    deregister(board)
    journal = _count(board, JournalEntry)
    assert journal > 0
    counts = purge(board, "2099-01-01", "--dry-run")
    assert counts["journal"] == journal and counts["chat_conversations"] == 2
    assert _count(board, JournalEntry) == journal and _count(board, ChatConversation) == 2
    assert purge(board, "2026-12-01")["journal"] == 0  # the runs finished after that day
    counts = purge(board, "2099-01-01")
    assert counts["journal"] == journal and counts["sync_outcomes"] > 0
    assert _count(board, JournalEntry) == 0 and _count(board, SyncOutcome) == 0
    with _sessions(board)() as session:
        events = session.execute(
            select(AuditEvent.change).where(AuditEvent.action == "retention.store_purged")
        ).scalars().all()  # fmt: skip
    assert len(events) == 1  # the dry runs and the empty purge record nothing
    change = json.loads(events[0])
    assert change["deleted"]["journal"] == journal and "L000001" not in events[0]
    assert _count(board, SyncRun) == 2  # the runs' records stay


def test_the_nightly_work_opens_the_days_tasks_and_purges(board: Board) -> None:
    _chat(board)
    deregister(board)
    config = board.config
    night = nightly_retention(_sessions(board), config, on=date(2028, 11, 30))
    assert night.tasks_opened and night.purged["chat_conversations"] == 2
    again = nightly_retention(_sessions(board), config, on=date(2028, 11, 30))
    assert again.tasks_opened == [] and not any(again.purged.values())
    code, out = cli(board, "retention", "due", "--on", "2028-11-30")
    assert code == 0 and "task" in out
    cli_json(board, "retention", "hold", "add", "--person", PUPIL, "--reason", "Archiefwet")
    later = datetime(2028, 12, 2, 6, tzinfo=UTC)
    text = build_morning_report(gather(_sessions(board), config, now=later)).text
    section = text[text.index("Bewaartermijnen") :]  # the board's language: Dutch
    overdue = len(night.tasks_opened) - 1  # the hold cancelled the pupil's pupil file task
    assert f"{overdue} over tijd" in section and "1 archiefblokkade(s) van kracht" in section
    assert "L000001" not in text
