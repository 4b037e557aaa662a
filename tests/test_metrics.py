"""The Prometheus counters go up when the thing they count happens, through the code that
does it: a run stopped by the source guard in the nightly job, Graph's 429 answers honoured
by the client (also inside ``$batch``), and a run counted once however it is reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from connectors.emulators.graph import EmulatorSettings, GraphEmulator
from connectors.m365.client import BatchRequest, GraphClient
from provisioner import metrics
from provisioner.app.service.nightly import run_nightly
from tests.board import make_board


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_run_stopped_by_the_source_guard_counts_one_safety_stop(tmp_path: Path) -> None:
    board = make_board(tmp_path, staff=24, pupils=60)
    sessions = board.sessions()
    stops = sample("provisioner_safety_stops_total")
    applied = sample("provisioner_runs_total", status="applied")
    created = sample("provisioner_operations_total", target="directory", outcome="applied")

    first = run_nightly(board.config_path, sessions, send_report=False)
    assert first is not None and first.status == "applied"
    assert sample("provisioner_safety_stops_total") == stops
    assert sample("provisioner_runs_total", status="applied") == applied + 1
    assert sample("provisioner_operations_total", target="directory", outcome="applied") > created

    board.write_hr(board.hr_rows()[:3])  # an export with most of the staff missing
    stopped_runs = sample("provisioner_runs_total", status="stopped")
    second = run_nightly(board.config_path, sessions, send_report=False)
    assert second is not None and second.status == "stopped" and second.exit_code == 2
    assert sample("provisioner_safety_stops_total") == stops + 1
    assert sample("provisioner_runs_total", status="stopped") == stopped_runs + 1
    assert sample("provisioner_last_run_timestamp_seconds", status="stopped") > 0


def test_a_run_is_counted_once_however_many_callers_report_it() -> None:
    from provisioner.execution.engine import RunReport, TargetReport

    report = RunReport("20261204-050000-once01", "partial", [TargetReport("m365", applied=3)])
    runs = sample("provisioner_runs_total", status="partial")
    ops = sample("provisioner_operations_total", target="m365", outcome="applied")
    metrics.observe_run(report)
    metrics.observe_run(report)  # say, the nightly job and the sync it ran
    assert sample("provisioner_runs_total", status="partial") == runs + 1
    assert sample("provisioner_operations_total", target="m365", outcome="applied") == ops + 3
    metrics.observe_run(RunReport("20261204-050000-dry001", "dry_run"))
    assert sample("provisioner_runs_total", status="dry_run") == 0


@pytest.fixture
def throttling_graph() -> Iterator[GraphEmulator]:
    """The Graph emulator answering 429 (with Retry-After) to a share of the requests, inner
    ``$batch`` requests included."""
    emulator = GraphEmulator(
        EmulatorSettings(window_scale=0.01, fault_rate=0.3, faults=("429",), seed=11)
    )
    emulator.start()
    yield emulator
    emulator.stop()


def test_every_429_the_graph_client_honours_is_counted(throttling_graph: GraphEmulator) -> None:
    emu = throttling_graph
    ids = [emu.add_user(userPrincipalName=f"t{n}@school.test") for n in range(30)]
    before = sample("provisioner_graph_throttled_total")
    settings = emu.client_settings(timeout=10, max_attempts=20)
    with GraphClient(settings) as client:
        users = list(client.paged("/users", {"$top": "5", "$select": "id"}))
        results = client.batch(
            [
                BatchRequest(str(n), "PATCH", f"/users/{uid}", {"jobTitle": "docent"})
                for n, uid in enumerate(ids)
            ]
        )
    assert sorted(u["id"] for u in users) == sorted(ids)
    assert [r.status for r in results] == [204] * 30  # every 429 was waited out and retried
    answered_429 = [r for r in emu.requests if r.status == 429 and r.path.startswith("/v1.0")]
    assert any(r.in_batch for r in answered_429) and any(not r.in_batch for r in answered_429)
    counted = sample("provisioner_graph_throttled_total") - before
    assert counted == client.throttled == len(answered_429) > 0


def test_a_run_that_does_not_come_from_the_nightly_job_is_counted_too(tmp_path: Path) -> None:
    """The chat bot's offboarding and ``provisioner sync`` go through ``wiring.run_sync``."""
    from provisioner.app.wiring import run_sync
    from provisioner.execution.engine import SyncRequest

    board = make_board(tmp_path, staff=24, pupils=60)
    applied = sample("provisioner_runs_total", status="applied")
    report = run_sync(board.config, board.sessions(), SyncRequest())
    assert report.status == "applied"
    assert sample("provisioner_runs_total", status="applied") == applied + 1


def test_a_nightly_run_that_finds_a_target_busy_is_busy_not_failed(tmp_path: Path) -> None:
    from provisioner.execution import locks

    board = make_board(tmp_path, staff=24, pupils=60)
    sessions = board.sessions()
    busy, failed = (sample("provisioner_runs_total", status=s) for s in ("busy", "failed"))
    lease, _ = locks.acquire(sessions, "directory", "offboarding")  # a bot's run holds it
    try:
        result = run_nightly(board.config_path, sessions, send_report=False)
    finally:
        locks.release(sessions, lease)
    assert result is not None and (result.status, result.exit_code) == ("busy", 4)
    assert sample("provisioner_runs_total", status="busy") == busy + 1
    assert sample("provisioner_runs_total", status="failed") == failed
    again = run_nightly(board.config_path, sessions, send_report=False)  # the next tick
    assert again is not None and again.status == "applied"
