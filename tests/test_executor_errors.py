"""How the executor treats each kind of connector error: one bad object never stops the rest,
a fatal error stops only that target, and the next run picks up what failed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.reference.target import ReferenceTarget
from provisioner.errors import FatalError, RejectedError, TransientError
from provisioner.execution.engine import Engine, SyncRequest
from provisioner.store.db import make_engine, session_factory, upgrade
from provisioner.store.tables import SyncOutcome
from provisioner.targets import AccountSpec
from tests.conformance import StaticHr, board_config, teacher

TODAY = date(2026, 11, 23)
STAFF = [teacher(str(5100 + n), "Jan", "", f"Bakker{n}") for n in range(6)]


class FaultyDirectory(ReferenceTarget):
    """The reference directory, refusing to create some accounts in a chosen way."""

    def __init__(self, faults: dict[str, Exception], parallel: int = 1) -> None:
        super().__init__("directory", parallel=parallel)
        self.faults = faults

    def create_account(self, spec: AccountSpec) -> str:
        fault = self.faults.get(spec.key)
        if fault is not None:
            raise fault
        return super().create_account(spec)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    return session_factory(engine)


def run(sessions: sessionmaker[Session], target: ReferenceTarget):  # type: ignore[no-untyped-def]
    return Engine(board_config(), sessions, [StaticHr(STAFF)], [target]).sync(
        SyncRequest(today=TODAY)
    )


def outcomes(sessions: sessionmaker[Session], run_id: str) -> dict[str, tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(select(SyncOutcome).where(SyncOutcome.run_id == run_id)).scalars()
        return {row.object_key: (row.outcome, row.reason) for row in rows}


@pytest.mark.parametrize("parallel", [1, 4])
def test_rejected_and_throttled_objects_fail_alone_and_are_retried_next_run(
    sessions: sessionmaker[Session], parallel: int
) -> None:
    target = FaultyDirectory(
        {
            "staff:5101": RejectedError("usageLocation is required"),
            "staff:5102": TransientError("throttled", retry_after=30),
        },
        parallel=parallel,
    )
    report = run(sessions, target)
    assert report.status == "partial" and report.exit_code() == 1
    # each failed person's create, group membership and licence; nobody else's
    assert report.failed == 6
    result = outcomes(sessions, report.run_id)
    assert sorted(k for k, (o, _) in result.items() if o in ("failed", "rejected")) == [
        "staff:5101",
        "staff:5102",
    ]
    assert result["staff:5101"] == ("rejected", "rejected: usageLocation is required")
    assert (
        result["staff:5102"][0] == "failed" and "temporarily unavailable" in result["staff:5102"][1]
    )
    assert result["staff:5100"][0] == "created"
    assert {a.key for a in target.read().accounts} == {f"staff:{5100 + n}" for n in (0, 3, 4, 5)}

    target.faults.clear()
    retry = run(sessions, target)
    assert retry.status == "applied"
    assert retry.counts["create_account"] == 2
    assert len(target.read().accounts) == 6


def test_a_fatal_error_stops_that_target_and_sends_nothing_more(
    sessions: sessionmaker[Session],
) -> None:
    target = FaultyDirectory({"staff:5100": FatalError("the client secret has expired")})
    # sequential: with several in flight, the ones already sent may still land
    report = run(sessions, target)
    (target_report,) = report.targets
    assert report.status == "partial"
    assert target_report.stopped == "directory stopped: the client secret has expired"
    assert target_report.skipped > 0
    assert target.read().accounts == []  # nothing after the fatal error was sent
    assert outcomes(sessions, report.run_id)["staff:5105"][0] == "failed"
