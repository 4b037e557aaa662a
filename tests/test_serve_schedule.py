"""The nightly schedule: cron in Amsterdam time, daylight saving time, catching up, the lock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from provisioner.app.service.leader import nightly_lock
from provisioner.app.service.schedule import due_moment, latest_moment, next_moment
from provisioner.execution.locks import LockHeld
from provisioner.store.db import make_engine, session_factory

AMS = ZoneInfo("Europe/Amsterdam")
DAY = timedelta(hours=18)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_the_expression_is_read_in_amsterdam_time_in_winter_and_summer() -> None:
    winter = latest_moment("0 5 * * *", AMS, utc(2026, 1, 15, 12))
    summer = latest_moment("0 5 * * *", AMS, utc(2026, 7, 15, 12))
    assert winter.astimezone(UTC) == utc(2026, 1, 15, 4)
    assert summer.astimezone(UTC) == utc(2026, 7, 15, 3)


def test_a_moment_in_the_spring_gap_runs_once_at_three() -> None:
    # 29 March 2026: 02:00 -> 03:00; 02:30 does not exist
    moment = next_moment("30 2 * * *", AMS, utc(2026, 3, 28, 12))
    assert moment.astimezone(UTC) == utc(2026, 3, 29, 1)  # 03:00 CEST
    assert next_moment("30 2 * * *", AMS, moment).astimezone(UTC) == utc(2026, 3, 30, 0, 30)


def test_a_wall_time_that_happens_twice_in_autumn_is_one_run() -> None:
    # 25 October 2026: 03:00 -> 02:00; 02:30 happens at 00:30 and at 01:30 UTC
    first = utc(2026, 10, 25, 0, 30)
    assert next_moment("30 2 * * *", AMS, utc(2026, 10, 24, 12)).astimezone(UTC) == first
    # after the first 02:30, the next is the next day's, not the repeat an hour later
    after = next_moment("30 2 * * *", AMS, first + timedelta(minutes=5))
    assert after.astimezone(UTC) == utc(2026, 10, 26, 1, 30)
    # during the repeat, the due moment is still the first one, which has run
    assert (
        due_moment("30 2 * * *", AMS, utc(2026, 10, 25, 1, 35), catch_up=DAY, last_full_run=first)
        is None
    )


def test_due_when_passed_not_run_and_not_too_late() -> None:
    moment = utc(2026, 11, 22, 4)  # 05:00 CET
    assert (
        due_moment("0 5 * * *", AMS, utc(2026, 11, 22, 3, 59), catch_up=DAY, last_full_run=None)
        is None
    )
    assert due_moment("0 5 * * *", AMS, moment, catch_up=DAY, last_full_run=None) == moment
    # a server that was down at 05:00 and is back at 10:00 catches up
    at_ten = utc(2026, 11, 22, 9)
    assert due_moment("0 5 * * *", AMS, at_ten, catch_up=DAY, last_full_run=None) == moment
    # ...unless the night's run was done (by another replica, or by hand this morning)
    by_hand = utc(2026, 11, 22, 7, 15)
    assert due_moment("0 5 * * *", AMS, at_ten, catch_up=DAY, last_full_run=by_hand) is None
    # yesterday's run does not count for today
    yesterday = moment - timedelta(days=1)
    assert due_moment("0 5 * * *", AMS, at_ten, catch_up=DAY, last_full_run=yesterday) == moment
    # a night long gone is not run: the next one will be
    late = utc(2026, 11, 22, 23)
    assert due_moment("0 5 * * *", AMS, late, catch_up=DAY, last_full_run=yesterday) is None
    # however small the window, a moment stays due for a few polls
    assert (
        due_moment(
            "0 5 * * *",
            AMS,
            moment + timedelta(minutes=2),
            catch_up=timedelta(0),
            last_full_run=None,
        )
        == moment
    )


@pytest.fixture
def sessions(db_url: str) -> sessionmaker[Session]:
    return session_factory(make_engine(db_url))


def test_the_nightly_lock_is_held_once(sessions: sessionmaker[Session]) -> None:
    with (
        nightly_lock(sessions, "nightly-a"),
        pytest.raises(LockHeld),
        nightly_lock(sessions, "nightly-b"),
    ):
        pass
    with nightly_lock(sessions, "nightly-b") as lease:  # released: the next may take it
        assert lease.run_id == "nightly-b"


# -- provisioner nightly: the job once, for a systemd timer or a CronJob -------------------------


def test_provisioner_nightly_runs_the_job_once_and_refuses_when_busy(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from provisioner.app.cli import app
    from tests.board import make_board

    board = make_board(tmp_path, staff=24, pupils=60)
    runner = CliRunner()
    first = runner.invoke(app, ["nightly", "-c", str(board.config_path), "--json"])
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout.strip().splitlines()[-1])
    assert result["status"] == "applied"
    assert result["report"] == {"slack": "not configured", "email": "not configured"}

    with nightly_lock(board.sessions(), "nightly-elsewhere"):
        busy = runner.invoke(app, ["nightly", "-c", str(board.config_path)])
    assert busy.exit_code == 1
    assert isinstance(busy.exception, LockHeld) or "Busy" in busy.output
