"""The whole sync on a generated demo board, against the reference directory, on SQLite and
PostgreSQL: what an IT admin relies on every night."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from provisioner.audit.service import show, verify
from provisioner.execution.locks import LockHeld, acquire
from provisioner.store.tables import Consent, JournalEntry, Override, SyncOutcome, SyncRun
from tests.board import TODAY, Board, make_board


@pytest.fixture
def board(tmp_path: Path, db_url: str) -> Board:
    return make_board(tmp_path, db_url)


def key_of(number: str) -> str:
    return f"staff:{number}"


def test_first_run_builds_the_board_and_the_second_plans_nothing(board: Board) -> None:
    first = board.sync()
    assert first.status == "applied", first.as_json()
    assert first.counts["create_account"] > 700 and first.failed == 0
    second = board.sync()
    assert (second.status, second.total) == ("applied", 0)
    with board.sessions()() as session:
        assert verify(session).ok
        # consent answers are kept with their history for the bot, once each
        stored = session.execute(select(func.count()).select_from(Consent)).scalar_one()
        withdrawn = session.execute(
            select(func.count()).select_from(Consent).where(Consent.status == "withdrawn")
        ).scalar_one()
    assert stored == first.source_counts["consent.consents"] and withdrawn > 0


def test_the_hierarchy_lands_in_the_target(board: Board) -> None:
    board.sync()
    target = board.target()
    by_key = {a.key: a for a in target.read().accounts}
    groups = {g.key: g.members for g in target.read().groups}
    anne = by_key["staff:100002"]  # teacher at 07XY00, care coordinator at 07XY01
    assert anne.remote_id in groups["loc:07XY01:care"]
    assert anne.remote_id not in groups["loc:07XY00:care"]
    assert anne.remote_id not in groups["loc:07XY00:management"]
    caretaker = by_key["staff:100005"]  # support staff
    assert not any(
        caretaker.remote_id in m for k, m in groups.items() if str(k).startswith("class:")
    )
    pupil = next(a for a in by_key.values() if a.key and a.key.startswith("pupil:"))
    pupil_groups = [k for k, m in groups.items() if pupil.remote_id in m]
    assert len(pupil_groups) == 1 and str(pupil_groups[0]).startswith("class:")


def test_a_truncated_hr_export_stops_before_anything_is_changed(board: Board) -> None:
    board.sync()
    writes_before = board.directory.joinpath("directory.jsonl").read_text()
    rows = board.hr_rows()
    board.write_hr(rows[: len(rows) // 10])  # the export came back with 10% of its rows
    report = board.sync()
    assert report.status == "stopped" and report.exit_code() == 2
    assert "hr.staff" in report.stop_reasons[0] and "fewer" in report.stop_reasons[0]
    assert board.directory.joinpath("directory.jsonl").read_text() == writes_before
    with board.sessions()() as session:
        assert (
            session.execute(
                select(JournalEntry).where(JournalEntry.run_id == report.run_id)
            ).first()
            is None
        )


def test_a_back_dated_leaver_is_disabled_signed_out_and_stripped_on_the_next_run(
    board: Board,
) -> None:
    board.sync()
    number = board.teacher_number()
    board.edit_hr(number, lambda row: {**row, "end_date": (TODAY - timedelta(days=45)).isoformat()})
    report = board.sync()
    assert report.status == "applied", report.as_json()
    mine = {
        op.type.value for t in report.targets for op in t.operations if op.key == key_of(number)
    }
    assert {"disable_account", "revoke_sessions", "remove_member", "remove_licence"} <= mine
    assert (
        "delete_account" not in mine
    )  # 45 days ago, but disabled only today: the grace starts now
    target = board.target()
    (account,) = target.find_accounts(key_of(number))
    assert not account.enabled and account.licences == frozenset()
    assert not any(account.remote_id in g.members for g in target.read().groups)
    assert target.sessions_revoked[account.remote_id] == 1
    assert board.sync(today=TODAY + timedelta(days=29)).counts.get("delete_account") is None
    assert board.sync(today=TODAY + timedelta(days=30)).counts == {"delete_account": 1}


def test_a_bad_row_leaves_that_person_exactly_as_they_are(board: Board) -> None:
    board.sync()
    number = board.teacher_number()
    board.edit_hr(number, lambda row: {**row, "start_date": "2026-02-30", "family_name": "Anders"})
    report = board.sync()
    assert report.total == 0
    assert any(f"record {number}" in p and "start_date" in p for p in report.problems)
    (account,) = board.target().find_accounts(key_of(number))
    assert account.enabled and account.family_name != "Anders"


def test_a_row_without_employee_number_keeps_people_missing_from_the_export(board: Board) -> None:
    board.sync()
    number = board.teacher_number()
    board.edit_hr(number, lambda row: {**row, "employee_number": ""})
    report = board.sync()
    assert report.counts.get("disable_account") is None
    assert any(key_of(number) in issue and "left as is" in issue for issue in report.issues)
    assert board.target().find_accounts(key_of(number))[0].enabled


LIMIT = "[safety.thresholds.disable_account]\nmax_count = 5\nmax_percent = 5"


def test_thresholds_stop_a_mass_disable_and_an_approval_of_the_same_plan_applies_it(
    tmp_path: Path, db_url: str
) -> None:
    board = make_board(tmp_path, db_url, extra_config=LIMIT)
    board.sync()
    rows = board.hr_rows()
    teachers = board.ordinary_teachers()[:8]
    past = (TODAY - timedelta(days=1)).isoformat()
    board.write_hr(
        [{**r, "end_date": past} if r["employee_number"] in teachers else r for r in rows]
    )
    stopped = board.sync()
    assert stopped.status == "stopped" and stopped.exit_code() == 2
    assert "8 accounts would be disabled in directory; the limit is 5" in stopped.stop_reasons[0]
    assert f"--approve {stopped.run_id}" in stopped.stop_reasons[-1]
    assert all(a.enabled for a in board.target().read().accounts)

    approved = board.sync(approve=stopped.run_id, approver="admin:test")
    assert approved.status == "applied", approved.as_json()
    assert approved.counts["disable_account"] == 8
    with board.sessions()() as session:
        assert [e.actor for e in show(session, action="approve_run")] == ["admin:test"]


def test_an_approval_does_not_cover_a_plan_that_changed_since(tmp_path: Path, db_url: str) -> None:
    board = make_board(tmp_path, db_url, extra_config=LIMIT)
    board.sync()
    rows = board.hr_rows()
    teachers = board.ordinary_teachers()
    past = (TODAY - timedelta(days=1)).isoformat()
    board.write_hr(
        [{**r, "end_date": past} if r["employee_number"] in teachers[:8] else r for r in rows]
    )
    stopped = board.sync()
    board.write_hr(
        [{**r, "end_date": past} if r["employee_number"] in teachers[:9] else r for r in rows]
    )
    again = board.sync(approve=stopped.run_id)
    assert again.status == "stopped"
    assert f"no longer the one stopped in run {stopped.run_id}" in again.stop_reasons[0]


def test_dry_run_shows_the_plan_and_changes_nothing(board: Board) -> None:
    report = board.sync(dry_run=True)
    assert report.status == "dry_run" and report.counts["create_account"] > 700
    assert (
        not board.directory.joinpath("directory.jsonl").exists()
        or board.directory.joinpath("directory.jsonl").read_text() == ""
    )


def test_an_offboarding_for_one_person_takes_the_nightly_path_for_only_that_person(
    board: Board,
) -> None:
    board.sync()
    number = board.teacher_number()
    other = board.hr_rows()[-1]["employee_number"]
    board.edit_hr(other, lambda row: {**row, "family_name": "Veranderd"})  # not part of this run
    with board.sessions()() as session:
        session.add(
            Override(
                person_key=key_of(number),
                last_day=TODAY - timedelta(days=1),
                requested_by="chat:U123",
                reason="leaver reported in chat",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    report = board.sync(scope=key_of(number), actor="chat:U123")
    assert report.status == "applied", report.as_json()
    assert {op.key for t in report.targets for op in t.operations} == {key_of(number)}
    assert not board.target().find_accounts(key_of(number))[0].enabled
    with board.sessions()() as session:
        events = [e for e in show(session, person=key_of(number)) if e.run_id == report.run_id]
        assert {e.action for e in events} >= {"disable_account", "revoke_sessions", "remove_member"}
        assert all(e.actor == "chat:U123" for e in events)
        outcomes = (
            session.execute(select(SyncOutcome).where(SyncOutcome.run_id == report.run_id))
            .scalars()
            .all()
        )
        assert [(o.object_key, o.outcome) for o in outcomes] == [(key_of(number), "disabled")]


def test_one_run_at_a_time_per_target(board: Board) -> None:
    board.sync()
    acquire(board.sessions(), "directory", "someone-else")  # a live run in this process
    with pytest.raises(LockHeld):
        board.sync()


def test_two_runs_started_together_never_both_write(board: Board) -> None:
    results: list[str] = []

    def run() -> None:
        try:
            results.append(board.sync().status)
        except LockHeld:
            results.append("busy")

    board.sessions()  # migrate first, as a process does before it starts working
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) in (["applied", "busy"], ["applied", "applied"])
    creates = [
        line
        for line in board.directory.joinpath("directory.jsonl").read_text().splitlines()
        if '"op": "create_account"' in line
    ]
    assert len(creates) == len({line.split('"key": ')[1].split(",")[0] for line in creates})


def test_a_run_that_died_while_planning_is_marked_interrupted(board: Board) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    with board.sessions()() as session:
        session.add(SyncRun(id="dead-run", started_at=long_ago, status="planning", actor="sync"))
        session.commit()
    board.sync()
    with board.sessions()() as session:
        dead = session.get(SyncRun, "dead-run")
        assert dead is not None and dead.status == "interrupted"
