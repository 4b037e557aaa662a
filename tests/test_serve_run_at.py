"""``provisioner serve --run-at MOMENT``: the nightly job once, at that moment and not before
(the barrier the two-process test in tests/test_serve.py uses), in the schedule's zone when
the moment has no offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from provisioner.app.cli import app
from provisioner.app.service.app import ServeOptions, Service
from tests.board import make_board
from tests.test_serve import full_runs


def test_the_job_runs_at_the_moment_not_before_and_once(tmp_path: Path) -> None:
    board = make_board(tmp_path, staff=24, pupils=60, extra_config="[schedule]\nenabled = false\n")
    board.sessions()  # migrated
    moment = datetime(2026, 12, 4, 22, 0)  # no offset: Amsterdam time, 21:00 UTC
    now = [datetime(2026, 12, 4, 20, 59, 30, tzinfo=UTC)]
    service = Service(
        board.config_path,
        ServeOptions(host="127.0.0.1", port=0, run_now=True, run_at=moment),
        clock=lambda: now[0],
    )
    try:
        assert service.options.run_at == moment.replace(tzinfo=ZoneInfo("Europe/Amsterdam"))
        service.check_schedule()
        assert full_runs(board.db_url) == []  # 30 seconds early: nothing
        now[0] += timedelta(seconds=30)
        service.check_schedule()
        assert [r.status for r in full_runs(board.db_url)] == ["applied"]
        now[0] += timedelta(minutes=5)
        service.check_schedule()
        assert len(full_runs(board.db_url)) == 1  # once
    finally:
        service.stop()


def test_a_moment_that_is_no_moment_is_refused(tmp_path: Path) -> None:
    board = make_board(tmp_path, staff=24, pupils=60)
    result = CliRunner().invoke(app, ["serve", "-c", str(board.config_path), "--run-at", "tonight"])
    assert result.exit_code == 2
    assert "is not a moment like 2026-12-04T22:00" in result.output


def test_serve_closes_a_run_whose_process_died_when_it_starts(tmp_path: Path) -> None:
    from sqlalchemy import select

    from provisioner.store.tables import SyncRun
    from tests.test_run_records import as_killed

    board = make_board(tmp_path, staff=24, pupils=60, extra_config="[schedule]\nenabled = false\n")
    run_id = board.sync().run_id
    sessions = board.sessions()
    as_killed(sessions, run_id)  # SIGKILL after its last write: running, its lease expired
    service = Service(board.config_path, ServeOptions(host="127.0.0.1", port=0))
    try:
        service.start()
        with sessions() as session:
            status = session.execute(select(SyncRun.status).where(SyncRun.id == run_id))
            assert status.scalar_one() == "interrupted"
    finally:
        service.stop()
