"""The safety gate on the demo board (60 staff, 700 pupils), night after night: the source
guard compares with the largest good export of a window of days (dry runs never count), the
thresholds count staff apart from pupils, and a dry run takes the target's lease."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from provisioner.execution.locks import LockHeld, acquire
from provisioner.store.tables import JournalEntry, SyncRun
from tests.board import TODAY, Board, make_board

YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
#: Only disables are limited, and never reached: these tests are about the source guard.
SOURCES_ONLY = "[safety.thresholds.disable_account]\nmax_percent = 100"


def keep_staff(board: Board, share: float) -> None:
    """The HR export comes back with only ``share`` of the people it had at the start."""
    rows = board.hr_rows()
    numbers = sorted({row["employee_number"] for row in rows})
    kept = set(numbers[: round(share * 60)])
    board.write_hr([row for row in rows if row["employee_number"] in kept])


def age(board: Board, run_id: str, days: int) -> None:
    """As if the run had started ``days`` days ago."""
    with board.sessions()() as session:
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(started_at=datetime.now(UTC) - timedelta(days=days))
        )
        session.commit()


@pytest.fixture
def board(tmp_path: Path, db_url: str) -> Board:
    board = make_board(tmp_path, db_url, extra_config=SOURCES_ONLY)
    first = board.sync()
    assert first.status == "applied" and first.source_counts["hr.staff"] == 60
    return board


def first_run(board: Board) -> str:
    with board.sessions()() as session:
        run = session.query(SyncRun).order_by(SyncRun.started_at).first()
        assert run is not None
        return run.id


# -- the source guard does not ratchet -------------------------------------------------------


def test_a_dry_run_never_moves_the_baseline(board: Board) -> None:
    """85% previewed, then 70% for real: 30% fewer than the last good run, so it stops."""
    keep_staff(board, 0.85)
    preview = board.sync(dry_run=True)
    assert preview.status == "dry_run" and preview.source_counts["hr.staff"] == 51
    keep_staff(board, 0.70)
    real = board.sync()
    assert real.status == "stopped" and real.exit_code() == 2, real.as_json()
    (reason,) = real.stop_reasons
    assert reason.startswith("source hr.staff (HR CSV) has 42 records, 18 fewer than the 60")
    assert f"in run {first_run(board)} of " in reason and preview.run_id not in reason
    assert "(the largest of the last 14 days): 30.0% fewer; the limit is 20%" in reason
    assert all(a.enabled for a in board.target().read().accounts if a.key)


def test_two_small_losses_in_a_row_add_up_to_a_stop(board: Board) -> None:
    """85% applied (15% fewer: passes), then 70%: 17.6% below the night before, but 30% below
    the largest export of the window."""
    keep_staff(board, 0.85)
    applied = board.sync()
    assert applied.status == "applied" and applied.counts["disable_account"] == 9
    keep_staff(board, 0.70)
    stopped = board.sync()
    assert stopped.status == "stopped" and stopped.exit_code() == 2
    (reason,) = stopped.stop_reasons
    assert "has 42 records, 18 fewer than the 60 in run" in reason and "30.0% fewer" in reason
    assert applied.run_id not in reason  # the window's largest, not the night before

    # an admin who checked the export approves it: the run applies, and the approved
    # export starts a new window, so the next night is not stopped again
    approved = board.sync(approve=stopped.run_id, approver="admin:test")
    assert approved.status == "applied" and approved.counts["disable_account"] == 9
    again = board.sync()
    assert (again.status, again.total) == ("applied", 0), again.as_json()


@pytest.mark.parametrize(("window", "status"), [(14, "applied"), (30, "stopped")])
def test_the_window_forgets_a_baseline_older_than_its_days(
    tmp_path: Path, db_url: str, window: int, status: str
) -> None:
    config = f"[safety]\nsource_window_days = {window}\n\n{SOURCES_ONLY}"
    board = make_board(tmp_path, db_url, extra_config=config)
    full = board.sync()
    age(board, full.run_id, days=15)
    keep_staff(board, 0.85)
    assert board.sync().status == "applied"
    keep_staff(board, 0.70)
    report = board.sync()  # 17.6% below the 51 of 14 days; 30% below the 60 of 30 days
    assert report.status == status, report.as_json()
    if status == "stopped":
        assert f"the 60 in run {full.run_id}" in report.stop_reasons[0]
        assert "(the largest of the last 30 days)" in report.stop_reasons[0]


def test_nights_without_a_good_run_never_make_the_guard_forget(board: Board) -> None:
    """Stopped for three weeks, nobody looked: the last good run is still the baseline."""
    age(board, first_run(board), days=21)
    keep_staff(board, 0.5)
    stopped = board.sync()
    assert stopped.status == "stopped"
    assert f"fewer than the 60 in run {first_run(board)}" in stopped.stop_reasons[0]


def test_a_shrink_approved_then_stopped_by_a_threshold_can_be_approved_again(
    tmp_path: Path, db_url: str
) -> None:
    board = make_board(tmp_path, db_url)  # the default thresholds
    board.sync()
    keep_staff(board, 0.70)
    by_source = board.sync()
    assert by_source.status == "stopped" and "hr.staff" in by_source.stop_reasons[0]
    by_threshold = board.sync(approve=by_source.run_id)
    assert by_threshold.status == "stopped"
    assert by_threshold.stop_reasons[0].startswith("For staff, 18 accounts would be disabled")
    applied = board.sync(approve=by_threshold.run_id)
    assert applied.status == "applied" and applied.counts["disable_account"] == 18
    assert board.sync().status == "applied"


# -- thresholds per population ---------------------------------------------------------------


def test_a_third_of_the_staff_disabled_stops_a_board_of_60_staff_and_700_pupils(
    tmp_path: Path, db_url: str
) -> None:
    """20 of 60 staff is 2.7% of all accounts: it passed when pupils were counted along."""
    board = make_board(tmp_path, db_url)
    board.sync()
    for number in board.ordinary_teachers()[:20]:
        board.edit_hr(number, lambda row: {**row, "end_date": YESTERDAY})
    report = board.sync()
    assert report.status == "stopped" and report.exit_code() == 2, report.as_json()
    assert report.stop_reasons[0].startswith(
        "For staff, 20 accounts would be disabled in directory, 34.5% of the 58 staff accounts "
        "there; the limit is 5%"
    )
    assert all(r.startswith("For staff,") for r in report.stop_reasons)
    assert all(a.enabled for a in board.target().read().accounts if a.key)


def test_the_leavers_of_a_normal_night_pass(tmp_path: Path, db_url: str) -> None:
    board = make_board(tmp_path, db_url)
    board.sync()
    for number in board.ordinary_teachers()[:2]:
        board.edit_hr(number, lambda row: {**row, "end_date": YESTERDAY})
    enrolments = board.folder / "sis" / "enrollments.csv"
    with enrolments.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    pupils = sorted({r["userSourcedId"] for r in rows if r["role"] == "student"})[-4:]
    with enrolments.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(
            {**r, "endDate": YESTERDAY} if r["userSourcedId"] in pupils else r for r in rows
        )
    report = board.sync()
    assert report.status == "applied" and report.exit_code() == 0, report.as_json()
    assert report.counts["disable_account"] == 6


# -- a dry run takes the lease ---------------------------------------------------------------


def test_a_dry_run_waits_for_the_run_that_holds_the_target(board: Board) -> None:
    acquire(board.sessions(), "directory", "someone-else")  # a live run in this process
    with pytest.raises(LockHeld):
        board.sync(dry_run=True)


def test_a_dry_run_releases_the_lease_and_leaves_a_killed_run_to_the_next_real_run(
    board: Board,
) -> None:
    number = board.teacher_number()
    with board.sessions()() as session:
        session.add(
            SyncRun(id="killed", started_at=datetime.now(UTC), status="running", actor="sync")
        )
        session.flush()
        session.add(
            JournalEntry(
                run_id="killed",
                target="directory",
                seq=1,
                op_type="disable_account",
                object_key=f"staff:{number}",
                data={},
                reason="leaver",
                status="sending",
            )
        )
        session.commit()
    preview = board.sync(dry_run=True)
    assert preview.status == "dry_run"
    assert any(
        "run killed was interrupted with 1 operation not confirmed" in p for p in preview.problems
    )
    with board.sessions()() as session:
        entry = session.query(JournalEntry).filter_by(run_id="killed").one()
        assert entry.status == "sending"  # untouched: a dry run changes nothing
    acquire(board.sessions(), "directory", "next-run")  # the dry run let go of the lease
