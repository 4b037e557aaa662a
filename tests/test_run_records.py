"""Complete run records (issue 12, item 3): what a killed run did, and what the next run
finished for it, is recorded under the killed run; a run whose process died never stays
``running`` or ``planning`` past its lease."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from connectors.reference.target import ReferenceTarget
from provisioner.execution import locks
from provisioner.execution.engine import Engine, RunReport, SyncRequest, close_dead_runs
from provisioner.report.morning import gather
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import JournalEntry, SyncOutcome, SyncRun, TargetLock
from provisioner.targets import AccountSpec
from tests.board import Board, make_board
from tests.conformance import StaticHr, board_config, teacher

TODAY = datetime(2026, 11, 23).date()
STAFF = [teacher(str(7000 + n), "Fenna", "", f"Mulder{n}") for n in range(12)]


class Killed(BaseException):
    """The process dies here: nothing after it runs."""


class DiesAfter(ReferenceTarget):
    """The reference directory in a process killed after ``writes`` account creations."""

    def __init__(self, path: Path, writes: int) -> None:
        super().__init__("directory", path)
        self.left = writes

    def create_account(self, spec: AccountSpec) -> str:
        if self.left == 0:
            raise Killed
        self.left -= 1
        return super().create_account(spec)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    return session_factory(engine)


def sync(sessions: sessionmaker[Session], target: ReferenceTarget) -> RunReport:
    return Engine(board_config(), sessions, [StaticHr(STAFF)], [target]).sync(
        SyncRequest(today=TODAY)
    )


def as_killed(sessions: sessionmaker[Session], run_id: str, status: str = "running") -> None:
    """What SIGKILL leaves behind: the run in its state, no finish, its lease in place."""
    with sessions() as session:
        session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id)
            .values(status=status, finished_at=None, counts={}, total=0, failed=0, problems=[])
        )
        session.add(
            TargetLock(
                target="directory",
                run_id=run_id,
                owner="another-host:1:dead",
                expires_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
        session.commit()


def kill_a_run(sessions: sessionmaker[Session], folder: Path, writes: int) -> str:
    with pytest.raises(Killed):
        sync(sessions, DiesAfter(folder, writes))
    with sessions() as session:
        run_id = session.execute(
            select(SyncRun.id).order_by(SyncRun.started_at.desc()).limit(1)
        ).scalar_one()
        session.execute(delete(TargetLock))
        session.commit()
    as_killed(sessions, run_id)
    return run_id


def test_a_killed_run_finished_by_the_next_is_recorded_under_its_own_id(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "dir"
    killed = kill_a_run(sessions, folder, writes=4)
    with sessions() as session:
        open_before = session.execute(
            select(JournalEntry).where(
                JournalEntry.run_id == killed, JournalEntry.status.in_(("pending", "sending"))
            )
        ).all()
    assert open_before

    report = sync(sessions, ReferenceTarget("directory", folder))
    assert report.resumed == [killed]
    assert report.status == "applied" and report.total == 0
    assert any(
        f"finished {len(open_before)} operations of run {killed}" in p for p in report.problems
    ), report.problems

    with sessions() as session:
        run = session.get(SyncRun, killed)
        assert run is not None
        assert run.status == "applied"
        assert run.total > 0 and run.counts["create_account"] == len(STAFF)
        assert any(f"finished by run {report.run_id}" in p for p in run.problems)
        outcomes = session.execute(
            select(SyncOutcome).where(SyncOutcome.run_id == killed)
        ).scalars().all()  # fmt: skip
        created = {o.object_key for o in outcomes if o.outcome == "created"}
        assert {f"staff:{s.employee_number}" for s in STAFF} <= created
        resumer = session.get(SyncRun, report.run_id)
        assert resumer is not None
        assert any(f"operations of run {killed}" in p for p in resumer.problems)

    facts = gather(sessions, board_config(), run_id=killed)  # the morning report of that night
    assert facts.outcomes["directory"]["created"] >= len(STAFF)


def test_runs_show_lists_the_killed_runs_operations(tmp_path: Path) -> None:
    from provisioner.app.cli import app

    board: Board = make_board(tmp_path, pupils=60)
    sessions = board.sessions()
    config = board.config

    class Dies(ReferenceTarget):
        left = 30

        def create_account(self, spec: AccountSpec) -> str:
            if Dies.left == 0:
                raise Killed
            Dies.left -= 1
            return super().create_account(spec)

    from provisioner.app.wiring import build_sources, target_settings

    engine = Engine(
        config,
        sessions,
        build_sources(config),
        [Dies("directory", board.directory)],
        target_settings=target_settings(config),
    )
    with pytest.raises(Killed):
        engine.sync(SyncRequest(today=TODAY))
    with sessions() as session:
        killed = session.execute(
            select(SyncRun.id).order_by(SyncRun.started_at.desc()).limit(1)
        ).scalar_one()
        session.execute(delete(TargetLock))
        session.commit()
    as_killed(sessions, killed)
    assert board.sync().resumed == [killed]

    shown = CliRunner().invoke(
        app, ["runs", "show", killed, "-c", str(board.config_path), "--json"]
    )
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["status"] == "applied" and body["total"] > 100
    assert len([o for o in body["outcomes"] if o["outcome"] == "created"]) > 100


@pytest.mark.parametrize("state", ["running", "planning"])
def test_a_run_whose_process_died_is_closed_as_interrupted_once_its_lease_expired(
    sessions: sessionmaker[Session], tmp_path: Path, state: str
) -> None:
    folder = tmp_path / "dir"
    first = sync(sessions, ReferenceTarget("directory", folder))
    assert first.status == "applied"
    # killed after its last write (running) or while planning with its lease taken
    as_killed(sessions, first.run_id, status=state)
    if state == "running":
        with sessions() as session:  # it died before recording its outcomes
            session.execute(delete(SyncOutcome).where(SyncOutcome.run_id == first.run_id))
            session.commit()

    notes = close_dead_runs(sessions, closer="serve at start")
    assert notes == [f"closed run {first.run_id} as interrupted: its process died while {state}"]
    with sessions() as session:
        run = session.get(SyncRun, first.run_id)
        assert run is not None and run.status == "interrupted"
        assert "serve at start" in run.problems[-1]
        if state == "running":
            assert run.total > 0 and "after its last operation" in run.problems[-1]
            outcomes = session.execute(
                select(SyncOutcome).where(SyncOutcome.run_id == first.run_id)
            ).scalars().all()  # fmt: skip
            assert len(outcomes) >= len(STAFF)


def test_a_live_run_is_left_alone(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        session.add(
            SyncRun(id="live", started_at=datetime.now(UTC), status="running", actor="sync")
        )
        session.add(
            SyncRun(
                id="reading",  # planning, no lease yet: still reading its sources
                started_at=datetime.now(UTC) - timedelta(minutes=5),
                status="planning",
                actor="sync",
            )
        )
        session.commit()
    locks.acquire(sessions, "directory", "live")  # this process: alive
    assert close_dead_runs(sessions) == []
    with sessions() as session:
        assert {r.id: r.status for r in session.execute(select(SyncRun)).scalars()} == {
            "live": "running",
            "reading": "planning",
        }


def test_nothing_stays_running_after_the_next_run(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "dir"
    kill_a_run(sessions, folder, writes=2)
    with sessions() as session:
        session.add(
            SyncRun(
                id="died-planning",
                started_at=datetime.now(UTC) - timedelta(hours=2),
                status="planning",
                actor="sync",
            )
        )
        session.commit()
    sync(sessions, ReferenceTarget("directory", folder))
    with sessions() as session:
        statuses = [r.status for r in session.execute(select(SyncRun)).scalars()]
    assert "running" not in statuses and "planning" not in statuses
